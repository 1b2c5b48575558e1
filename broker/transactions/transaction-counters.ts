// What happened to transactions since the broker started, as plain numbers bumped where it
// happens (END_TRANSACTION, the check-back round); the metrics read them when scraped
// (broker/metrics/workflow-metrics.ts). A replica ends and checks nothing, so its stay 0.
import { PlainHistogram } from '../../server/http/plain-histogram.js';
import { TRANSACTION_FINISH_LATENCY_BUCKETS_S } from '../broker-constants.js';

const MS_PER_SECOND = 1000;

export class TransactionCounters {
  /** Real topic name -> transactions committed (RocketMQ's rocketmq_commit_messages_total). */
  readonly committed = new Map<string, number>();
  /** Real topic name -> transactions rolled back. */
  readonly rolledBack = new Map<string, number>();
  /** Real topic name -> seconds from the half message stored to its verdict stored. */
  readonly finishLatency = new Map<string, PlainHistogram>();
  /** CHECK_TRANSACTION_STATE requests sent to a live producer of the group. */
  checksSent = 0;
  /** Check rounds counted with no producer of the group online to ask. */
  checksUnsent = 0;
  /** Half messages given up after their last check and parked in the check-max topic. */
  givenUp = 0;

  /** A verdict stored: `to` is committed or rolled_back, `elapsedMs` since the half message was stored. */
  ended(topic: string, to: 'committed' | 'rolled_back', elapsedMs: number): void {
    const counts = to === 'committed' ? this.committed : this.rolledBack;
    counts.set(topic, (counts.get(topic) ?? 0) + 1);
    let latency = this.finishLatency.get(topic);
    if (latency === undefined)
      this.finishLatency.set(topic, (latency = new PlainHistogram(TRANSACTION_FINISH_LATENCY_BUCKETS_S)));
    latency.observe(Math.max(0, elapsedMs) / MS_PER_SECOND);
  }
}
