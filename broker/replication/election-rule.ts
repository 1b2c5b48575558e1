// Who may become a broker set's master in controller mode (README "Topologies"). Each live
// broker publishes its log end under its own etcd lease; the master publishes which brokers are
// in sync with it. Only an in-sync candidate with the highest log end campaigns (ties: lowest
// broker id), so the winner holds every acknowledged write: a sync master counts only the
// replicas it published (ReplicationServer.admit), and every log is a prefix of the master's.

/** One live broker's published candidacy. */
export interface Candidate {
  readonly brokerId: number;
  /** Where its commit log ends. */
  readonly logEnd: number;
}

/** The in-sync set the last master published, with its epoch; undefined before any master. */
export interface PublishedInSync {
  readonly epoch: number;
  readonly brokerIds: readonly number[];
}

/**
 * The candidate that should campaign now, or undefined when none may (no live in-sync broker:
 * the set waits rather than elect a replica that may lack acknowledged writes).
 */
export function electionWinner(
  candidates: readonly Candidate[],
  inSync: PublishedInSync | undefined,
): Candidate | undefined {
  let best: Candidate | undefined;
  for (const candidate of candidates) {
    if (inSync !== undefined && !inSync.brokerIds.includes(candidate.brokerId)) continue;
    if (
      best === undefined ||
      candidate.logEnd > best.logEnd ||
      (candidate.logEnd === best.logEnd && candidate.brokerId < best.brokerId)
    )
      best = candidate;
  }
  return best;
}

/** Whether broker `brokerId` should campaign, given what etcd holds. */
export function shouldCampaign(
  brokerId: number,
  candidates: readonly Candidate[],
  inSync: PublishedInSync | undefined,
): boolean {
  return electionWinner(candidates, inSync)?.brokerId === brokerId;
}
