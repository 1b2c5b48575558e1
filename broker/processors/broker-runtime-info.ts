// GET_BROKER_RUNTIME_INFO (28): the broker's vital signs as RocketMQ's KVTable, a JSON body
// {"table": {name: value}} with every value a string (what `mqadmin brokerStatus` prints).
// Tributary reports the process's memory and its connection limits at work, so an operator
// (and the load test) can watch both from outside the process.
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import type { ConnectionStats } from '../../server/connection-limits.js';

export interface BrokerRuntimeInfo {
  readonly bootTimestamp: number;
  readonly memory: NodeJS.MemoryUsage;
  readonly connections: ConnectionStats;
  /** Identity, store figures and limits (`tributary broker status`); absent in older callers. */
  readonly extra?: Readonly<Record<string, string | number>>;
}

/** The KVTable's entries: RocketMQ's bootTimestamp, then Tributary's own, units in the names. */
export function brokerRuntimeInfoTable(info: BrokerRuntimeInfo): Record<string, string> {
  const { memory, connections } = info;
  return {
    bootTimestamp: String(info.bootTimestamp),
    processRssBytes: String(memory.rss),
    processHeapUsedBytes: String(memory.heapUsed),
    processExternalBytes: String(memory.external),
    processArrayBuffersBytes: String(memory.arrayBuffers),
    connectionsOpen: String(connections.open),
    connectionsAccepted: String(connections.accepted),
    connectionsRejected: String(connections.rejected),
    connectionsClosedIdle: String(connections.closedIdle),
    connectionsClosedStalled: String(connections.closedStalled),
    connectionsClosedProtocolError: String(connections.closedProtocolError),
    connectionsClosedFrameBudget: String(connections.closedFrameBudget),
    connectionsClosedHeaderRefused: String(connections.closedHeaderRefused),
    unfinishedFrameBytes: String(connections.unfinishedFrameBytes),
    requestsRefusedBusy: String(connections.busyRefusals),
    ...Object.fromEntries(Object.entries(info.extra ?? {}).map(([name, value]) => [name, String(value)])),
  };
}

export function brokerRuntimeInfoResponse(request: RemotingCommand, info: BrokerRuntimeInfo): RemotingCommand {
  const body = Buffer.from(JSON.stringify({ table: brokerRuntimeInfoTable(info) }));
  return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, undefined, body);
}
