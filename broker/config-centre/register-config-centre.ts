// Wires the config centre into a broker: its request codes (21100-21107), the watch holds woken
// by every stored change, and held watches dropped when their connection closes.
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { RemotingServer } from '../../server/remoting-server.js';
import type { BrokerContext } from '../broker-context.js';
import { CONFIG_WATCHES_HELD_MAX } from './config-centre-constants.js';
import { ConfigCentreProcessor } from './config-centre-processor.js';
import { ConfigWatchHold } from './config-watch-hold.js';

export function registerConfigCentre(server: RemotingServer, context: BrokerContext): ConfigWatchHold {
  const holds = new ConfigWatchHold(CONFIG_WATCHES_HELD_MAX);
  const processor = new ConfigCentreProcessor(context.configCentre, holds);
  context.configCentre.onChange((env, namespace) => holds.changed(env, namespace));
  context.configCentre.watches = holds;
  server.onChannelClosed((channel) => holds.channelClosed(channel));
  const routes: [number, Parameters<ConfigCentreProcessor['handle']>[1]][] = [
    [REQUEST_CODE.CONFIG_PUBLISH, (fields, request) => processor.publish(fields, request)],
    [REQUEST_CODE.CONFIG_GET, (fields) => processor.get(fields)],
    [REQUEST_CODE.CONFIG_HISTORY, (fields) => processor.history(fields)],
    [REQUEST_CODE.CONFIG_ROLLBACK, (fields, request) => processor.rollback(fields, request)],
    [REQUEST_CODE.CONFIG_DELETE, (fields, request) => processor.delete(fields, request)],
    [REQUEST_CODE.CONFIG_PROMOTE, (fields, request) => processor.promote(fields, request)],
    [REQUEST_CODE.CONFIG_ABANDON, (fields) => processor.abandon(fields)],
  ];
  for (const [code, handler] of routes) server.register(code, (request) => processor.handle(request, handler));
  server.register(REQUEST_CODE.CONFIG_WATCH, (request, channel) =>
    processor.handle(request, (fields) => processor.watch(fields, channel)),
  );
  return holds;
}
