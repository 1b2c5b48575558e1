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

  /** The broker id to suggest for the next pull, given how far behind the log end it read. */
  suggestedBrokerId(behindBytes: number, inMemoryBytes: number): number {
    return behindBytes > inMemoryBytes && this.replicaFollowing() ? REPLICA_READ_BROKER_ID : 0;
  }
}
