// Whether a master may send consumers to a replica (RocketMQ suggestWhichBrokerId): when what
// they read lies further behind the log end than messageInMemoryBytes (no longer in the page
// cache) and a replica is following, the pull response suggests broker id 1.
export const REPLICA_READ_BROKER_ID = 1;

export class ReplicaReads {
  /** Set by startReplication on a master with an HA port. */
  replicaFollowing: () => boolean = () => false;
  /**
   * The commit log offset up to which pulls are served (controller mode: what the in-sync
   * replicas hold, so a consumer never reads a record a failover could take back and then
   * skip the different record the new master stores at its queue offset). Unlimited otherwise.
   */
  readableEnd: () => number = () => Number.POSITIVE_INFINITY;
  /** Per queue: the pull parked on a record past the readable end, woken once it is readable. */
  private readonly waiting = new Map<string, { end: number; wake: () => void }>();

  /**
   * Calls `wake` once reads reach `end`. One waiter per `key` (a queue): a later one keeps the
   * lower end, so every parked pull of the queue wakes no later than its own record's turn.
   */
  whenReadable(key: string, end: number, wake: () => void): void {
    const known = this.waiting.get(key);
    this.waiting.set(key, { end: Math.min(end, known?.end ?? end), wake });
  }

  /** The readable end moved (a replica reported, or the master said so): wakes what it covers. */
  readableGrew(): void {
    if (this.waiting.size === 0) return;
    const end = this.readableEnd();
    for (const [key, waiter] of this.waiting) {
      if (waiter.end > end) continue;
      this.waiting.delete(key);
      waiter.wake();
    }
  }

  /** The broker id to suggest for the next pull, given how far behind the log end it read. */
  suggestedBrokerId(behindBytes: number, inMemoryBytes: number): number {
    return behindBytes > inMemoryBytes && this.replicaFollowing() ? REPLICA_READ_BROKER_ID : 0;
  }
}
