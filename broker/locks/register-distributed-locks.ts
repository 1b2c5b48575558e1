// Wires the distributed lock requests and connection closes into the broker's server.
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { responseTo } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import type { RemotingServer } from '../../server/remoting-server.js';
import type { BrokerContext } from '../broker-context.js';
import { LockRequestProcessor } from './lock-request-processor.js';

export function registerDistributedLocks(server: RemotingServer, context: BrokerContext): void {
  const locks = context.distributedLocks;
  const processor = new LockRequestProcessor(locks);
  server.register(REQUEST_CODE.TRIBUTARY_LOCK_ACQUIRE, (request, channel) => processor.acquire(request, channel));
  server.register(REQUEST_CODE.TRIBUTARY_LOCK_RELEASE, (request) => processor.release(request));
  server.register(REQUEST_CODE.TRIBUTARY_LOCK_RENEW, (request, channel) => processor.renew(request, channel));
  server.register(REQUEST_CODE.TRIBUTARY_LOCK_STATUS, (request) => processor.status(request));
  server.register(REQUEST_CODE.TRIBUTARY_LOCK_LIST, (request) => processor.list(request));
  server.register(REQUEST_CODE.TRIBUTARY_LOCK_KEEPALIVE, (request) => responseTo(request, RESPONSE_CODE.SUCCESS));
  server.onChannelClosed((channel) => locks.channelClosed(channel));
}
