// The goals, evaluated as ratios paired per round: each round runs every system back
// to back, so a ratio taken within a round sees one machine state on both sides, and the
// median of the per-round ratios moves less with other people's load than a ratio of medians.
import type { CpuGoal, LatencyGoal, LatencyPercentile, PeerGoal, PeerSystem } from '../peers-trials.js';
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
  /** The ratio must reach this, or exceed it when `strict`. */
  readonly target: number;
  readonly strict: boolean;
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
const percentiles: Readonly<Record<LatencyPercentile, Metric>> = {
  p50: (figure) => figure?.latencyMs?.p50Ms,
  p99: (figure) => figure?.latencyMs?.p99Ms,
};
const cpuSides: Readonly<Record<CpuGoal['side'], Metric>> = {
  total: (figure) => figure?.cpuUsPerMessage.total,
  server: (figure) => figure?.cpuUsPerMessage.server,
};

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
    strict,
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
  const wanted: readonly PeerSystem[] = goal.peers === 'best' ? ['redis', 'nats'] : goal.peers;
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
  if (goal.type === 'latency') return latencyOutcome(goal, rounds, ran, note);
  const side = cpuSides[goal.side];
  const versus = ran.map((peer) =>
    entry(
      peer,
      perRound(rounds, [peer], 'max', side, side, (ours, theirs) => theirs / ours),
    ),
  );
  const what = goal.side === 'total' ? 'CPU µs per message' : 'server CPU µs per message';
  return outcome(goal, `peer ${what} / Tributary ${what}`, 1, versus, goal.strict, note);
}

function latencyOutcome(
  goal: LatencyGoal & { readonly id: string; readonly label: string },
  rounds: RoundFigures,
  ran: readonly PeerSystem[],
  note: string | undefined,
): GoalOutcome {
  const ours = percentiles[goal.ours];
  const entry = (peer: string, ratios: (number | null)[]): GoalOutcome['versus'][number] => ({
    peer,
    median: medianOf(ratios),
    perRound: ratios,
  });
  if (goal.boundMs !== undefined) {
    const bound = goal.boundMs;
    const ratios = (rounds.get('tributary') ?? []).map((figure) => {
      const mine = ours(figure);
      return mine === undefined || mine <= 0 ? null : bound / mine;
    });
    return outcome(goal, `${bound} ms / Tributary ${goal.ours}`, goal.factor, [entry('bound', ratios)], goal.strict);
  }
  const theirs = percentiles[goal.theirs];
  const divide = (mine: number, best: number): number => best / mine;
  if (goal.peers === 'best') {
    const versus = ran.length === 0 ? [] : [entry('best', perRound(rounds, ran, 'min', ours, theirs, divide))];
    return outcome(goal, `lowest peer ${goal.theirs} / Tributary ${goal.ours}`, goal.factor, versus, goal.strict, note);
  }
  const versus = ran.map((peer) => entry(peer, perRound(rounds, [peer], 'min', ours, theirs, divide)));
  return outcome(goal, `peer ${goal.theirs} / Tributary ${goal.ours}`, goal.factor, versus, goal.strict, note);
}
