// The controller's workflow (broker/replication/broker-controller.ts; ARCHITECTURE.md, State
// machines). One transition table; the controller asserts every move against it.
//
// | from      | to        | when                                                              |
// |-----------|-----------|-------------------------------------------------------------------|
// | (start)   | follower  | etcd names a ready master: the broker follows it as a replica      |
// | (start)   | candidate | etcd names no master                                               |
// | follower  | follower  | another master took over: cut the unreplicated tail, follow it     |
// | follower  | candidate | the master's lease expired (its election key is gone)              |
// | candidate | master    | it was the in-sync broker with the highest log end and won         |
// | candidate | follower  | another broker won                                                 |
// | candidate | candidate | it may not campaign yet; it looks again                            |
// | master    | candidate | it won but found an in-sync broker with a higher log end: resigned |
// | master    | fenced    | its lease deadline passed (etcd unreachable) or the lease was lost |
// | fenced    | follower  | etcd names another master: cut the tail, follow it                 |
// | fenced    | candidate | etcd reachable again and no master                                 |
export type ElectionState = 'follower' | 'candidate' | 'master' | 'fenced';

export const ELECTION_TRANSITIONS: Readonly<Record<ElectionState | 'start', readonly ElectionState[]>> = {
  start: ['follower', 'candidate'],
  follower: ['follower', 'candidate'],
  candidate: ['master', 'follower', 'candidate'],
  master: ['candidate', 'fenced'],
  fenced: ['follower', 'candidate'],
};

export class ElectionTransitionError extends Error {
  override readonly name = 'ElectionTransitionError';
  readonly code = 'ILLEGAL_ELECTION_TRANSITION';
}

/** Asserts that `from` may move to `to` (a programmer error otherwise). */
export function assertElectionTransition(from: ElectionState | 'start', to: ElectionState): void {
  if (!ELECTION_TRANSITIONS[from].includes(to)) throw new ElectionTransitionError(`${from} -> ${to}`);
}
