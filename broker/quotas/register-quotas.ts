// Wires the quota requests into the broker's server (broker.ts calls this once). Enforcement
// itself sits in the send and pull processors (context.quotas).
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { RemotingServer } from '../../server/remoting-server.js';
import type { BrokerContext } from '../broker-context.js';
import { QuotaProcessor } from './quota-processor.js';

export function registerQuotas(server: RemotingServer, context: BrokerContext): void {
  const quotas = new QuotaProcessor(context.quotas.table);
  server.register(REQUEST_CODE.TRIBUTARY_QUOTA_SET, (request) => quotas.set(request));
  server.register(REQUEST_CODE.TRIBUTARY_QUOTA_DELETE, (request) => quotas.delete(request));
  server.register(REQUEST_CODE.TRIBUTARY_QUOTA_LIST, (request) => quotas.list(request));
}
