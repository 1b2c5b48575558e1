// The identity, store figures and limits GET_BROKER_RUNTIME_INFO adds to the process's vital
// signs (`tributary broker status`, `tributary cluster list`). Units are in the names; the
// put rate is the average since boot (bytes appended to the commit log per second).
import { BROKER_VERSION } from '../broker-constants.js';
import type { BrokerContext } from '../broker-context.js';
import { resolveConnectionLimits } from '../../server/connection-limits.js';

const MS_PER_SECOND = 1000;

export function brokerStatusTable(
  context: BrokerContext,
  bootTimestamp: number,
  bootMaxOffset: number,
): Record<string, string | number> {
  const { options, store } = context;
  const stats = store.stats();
  const limits = store.options;
  const connectionLimits = resolveConnectionLimits(options.connectionLimits);
  const uptimeMs = Math.max(1, Date.now() - bootTimestamp);
  return {
    brokerVersionDesc: BROKER_VERSION,
    brokerName: options.brokerName,
    clusterName: options.clusterName,
    brokerAddress: context.address,
    brokerRole: 'MASTER',
    flushMode: limits.flush,
    commitLogMinOffset: stats.minOffset,
    commitLogMaxOffset: stats.maxOffset,
    commitLogFlushedOffset: stats.flushedOffset,
    commitLogSegments: stats.segments,
    diskUsedRatio: stats.diskUsedRatio,
    putBytesPerSecondSinceBoot: Math.round(((stats.maxOffset - bootMaxOffset) * MS_PER_SECOND) / uptimeMs),
    topicCount: [...context.topics.all()].length,
    consumerGroupsOnline: [...context.consumers.all()].length,
    segmentBytes: limits.segmentBytes,
    retentionHours: limits.retentionHours,
    diskRetentionRatio: limits.diskRetentionRatio,
    diskFullRatio: limits.diskFullRatio,
    maxMessageBytes: limits.maxMessageBytes,
    indexEntryCount: limits.indexEntryCount,
    transactionCheckIntervalMs: options.transactionCheckIntervalMs,
    transactionTimeoutMs: options.transactionTimeoutMs,
    maxConnections: connectionLimits.maxConnections,
    maxFrameBytes: connectionLimits.maxFrameBytes,
  };
}
