// The goals, evaluated as ratios paired per round: each round runs every system back
// to back, so a ratio taken within a round sees one machine state on both sides, and the
// median of the per-round ratios moves less with other people's load than a ratio of medians.
import type { PeerGoal, PeerSystem } from '../peers-trials.js';
import type { PeerFigure } from './peer-figure.js';
import { medianOf } from './peer-figure.js';

/** Figures of one workload: per system, per round (undefined: skipped or failed). */
export type RoundFigures = ReadonlyMap<PeerSystem, readonly (PeerFigure | undefined)[]>;

export interface GoalOutcome {
  readonly id: string;
  readonly type: PeerGoal['type'];
  readonly label: string;
  readonly workload: string;
  /** What the ratio divides, in words. */
  readonly ratioMeans: string;
  /** The ratio must reach this (throughput) or exceed it (latency, CPU). */
  readonly target: number;
  /** Per compared peer ("best" for best-peer goals): median ratio and the per-round ratios. */
  readonly versus: readonly {
    peer: string;
    median: number | undefined;
    perRound: (number | null)[];
    /** This comparison alone (the goal is met when every comparison is). */
    met?: boolean;
  }[];
  /** Undefined when there was nothing to compare against. */
  readonly met: boolean | undefined;
  readonly note?: string;
}

type Metric = (figure: PeerFigure | undefined) => number | undefined;

const throughput: Metric = (figure) => figure?.msgsPerSec;
const p50: Metric = (figure) => figure?.latencyMs?.p50Ms;
const p99: Metric = (figure) => figure?.latencyMs?.p99Ms;
const cpuTotal: Metric = (figure) => figure?.cpuUsPerMessage.total;

/** ratio(ours, theirs) for every round where both exist. */
function perRound(
  rounds: RoundFigures,
  peers: readonly PeerSystem[],
  pick: 'max' | 'min',
  ours: Metric,
  theirs: Metric,
  ratio: (ours: number, theirs: number) => number,
): (number | null)[] {
  const own = rounds.get('tributary') ?? [];
  return own.map((figure, round) => {
    const mine = ours(figure);
    const candidates = peers
      .map((peer) => theirs(rounds.get(peer)?.[round]))
      .filter((value): value is number => value !== undefined && value > 0);
    if (mine === undefined || mine <= 0 || candidates.length === 0) return null;
    const best = pick === 'max' ? Math.max(...candidates) : Math.min(...candidates);
    return ratio(mine, best);
  });
}

function outcome(
  goal: PeerGoal,
  ratioMeans: string,
  target: number,
  versus: GoalOutcome['versus'],
  strict: boolean,
  note?: string,
): GoalOutcome {
  const reaches = (median: number | undefined): boolean | undefined =>
    median === undefined ? undefined : strict ? median > target : median >= target;
  const judged = versus.map((entry) => ({ ...entry, met: reaches(entry.median) }));
  const met = judged.some((entry) => entry.met === undefined) ? undefined : judged.every((entry) => entry.met);
  return {
    id: goal.id,
    type: goal.type,
    label: goal.label,
    workload: goal.workload,
    ratioMeans,
    target,
    versus: judged,
    met: versus.length === 0 ? undefined : met,
    ...(note === undefined ? {} : { note }),
  };
}

/**
 * A goal's outcome against the peers that produced figures for its workload; a peer that did
 * not (not installed, skipped for this durability mode, or failed every round) is named in the
 * note and left out, never counted as a zero.
 */
export function evaluateGoal(goal: PeerGoal, rounds: RoundFigures): GoalOutcome {
  const entry = (peer: string, ratios: (number | null)[]): GoalOutcome['versus'][number] => ({
    peer,
    median: medianOf(ratios),
    perRound: ratios,
  });
  const wanted: readonly PeerSystem[] =
    goal.type === 'throughput' && goal.peers !== 'best' ? goal.peers : ['redis', 'nats'];
  const ran = wanted.filter((peer) => (rounds.get(peer) ?? []).some((figure) => figure !== undefined));
  const missing = wanted.filter((peer) => !ran.includes(peer));
  const note = missing.length === 0 ? undefined : `no figures from ${missing.join(', ')} for this workload`;
  if (goal.type === 'throughput') {
    const divide = (ours: number, theirs: number): number => ours / theirs;
    if (goal.peers === 'best') {
      const ratios = perRound(rounds, ran, 'max', throughput, throughput, divide);
      const versus = ran.length === 0 ? [] : [entry('best', ratios)];
      return outcome(goal, 'Tributary msgs/s / fastest peer msgs/s', goal.factor, versus, false, note);
    }
    const versus = ran.map((peer) => entry(peer, perRound(rounds, [peer], 'max', throughput, throughput, divide)));
    return outcome(goal, 'Tributary msgs/s / peer msgs/s', goal.factor, versus, false, note);
  }
  if (goal.type === 'latency') {
    const ratios = perRound(rounds, ran, 'min', p99, p50, (ours, best) => best / ours);
    const versus = ran.length === 0 ? [] : [entry('best', ratios)];
    return outcome(goal, 'lowest peer p50 / Tributary p99', 1, versus, true, note);
  }
  const versus = ran.map((peer) =>
    entry(
      peer,
      perRound(rounds, [peer], 'max', cpuTotal, cpuTotal, (ours, theirs) => theirs / ours),
    ),
  );
  return outcome(goal, 'peer CPU µs per message / Tributary CPU µs per message', 1, versus, true, note);
}
