// Wires the unique id requests into the broker's server (broker.ts calls this once).
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { RemotingServer } from '../../server/remoting-server.js';
import type { BrokerContext } from '../broker-context.js';
import { IdProcessor } from './id-processor.js';

export function registerIds(server: RemotingServer, context: BrokerContext): void {
  const ids = new IdProcessor(context.ids);
  server.register(REQUEST_CODE.TRIBUTARY_ID_CREATE_SEQUENCE, (request) => ids.create(request));
  server.register(REQUEST_CODE.TRIBUTARY_ID_TAKE_RANGE, (request) => ids.take(request));
  server.register(REQUEST_CODE.TRIBUTARY_ID_LEASE_WORKER, (request) => ids.lease(request));
  server.register(REQUEST_CODE.TRIBUTARY_ID_RELEASE_WORKER, (request) => ids.release(request));
  server.register(REQUEST_CODE.TRIBUTARY_ID_LIST_SEQUENCES, (request) => ids.list(request));
}
