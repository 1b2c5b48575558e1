// What happened to transactions since the broker started, as plain numbers bumped where it
// happens (END_TRANSACTION, the check-back round); the metrics read them when scraped
// (broker/metrics/workflow-metrics.ts). A replica ends and checks nothing, so its stay 0.

export class TransactionCounters {
  /** Real topic name -> transactions committed (RocketMQ's rocketmq_commit_messages_total). */
  readonly committed = new Map<string, number>();
  /** Real topic name -> transactions rolled back. */
  readonly rolledBack = new Map<string, number>();
  /** CHECK_TRANSACTION_STATE requests sent to a live producer of the group. */
  checksSent = 0;
  /** Check rounds counted with no producer of the group online to ask. */
  checksUnsent = 0;
  /** Half messages given up after their last check and parked in the check-max topic. */
  givenUp = 0;

  /** A verdict stored: `to` is committed or rolled_back. */
  ended(topic: string, to: 'committed' | 'rolled_back'): void {
    const counts = to === 'committed' ? this.committed : this.rolledBack;
    counts.set(topic, (counts.get(topic) ?? 0) + 1);
  }
}
