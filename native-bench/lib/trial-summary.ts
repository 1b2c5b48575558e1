// Turns trial results into the saved JSON document and the printed summary.
import type { Goal, TrialDefinition, TrialResult } from './trial-types.js';

export interface Ratio {
  readonly group: string;
  readonly tributary: string;
  readonly peer: string;
  readonly metric: string;
  /** Tributary's figure divided by the peer's (> 1: Tributary is faster); with rounds, the median. */
  readonly ratio: number;
  /** With --rounds: the ratio in each round (sorted), and its range. */
  readonly perRound?: readonly number[];
  readonly min?: number;
  readonly max?: number;
}

export function goalMet(goal: Goal, metrics: Record<string, number>): boolean | undefined {
  const value = metrics[goal.metric];
  if (value === undefined || Number.isNaN(value)) return undefined;
  return goal.op === '>=' ? value >= goal.value : value < goal.value;
}

export function ratios(definitions: readonly TrialDefinition[], results: readonly TrialResult[]): Ratio[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  const out: Ratio[] = [];
  for (const peer of definitions) {
    if (peer.compareTo === undefined) continue;
    const ours = byId.get(peer.compareTo);
    const theirs = byId.get(peer.id);
    const metric = peer.headline;
    const a = ours?.metrics[metric];
    const b = theirs?.metrics[metric];
    if (a === undefined || b === undefined || b === 0) continue;
    out.push({ group: peer.group, tributary: peer.compareTo, peer: peer.id, metric, ratio: a / b });
  }
  return out;
}

const UNITS: Record<string, (v: number) => string> = {
  msgsPerSec: (v) => `${(v / 1e6).toFixed(3)} M msgs/s`,
  bodyBytesPerSec: (v) => `${(v / 1e9).toFixed(3)} GB/s of bodies`,
  logBytesPerSec: (v) => `${(v / 1e9).toFixed(3)} GB/s of log`,
  scanBytesPerSec: (v) => `${(v / 1e9).toFixed(3)} GB/s scanned`,
  openScanBytesPerSec: (v) => `${(v / 1e9).toFixed(3)} GB/s (open wall time)`,
  fillBytesPerSec: (v) => `${(v / 1e9).toFixed(3)} GB/s`,
};

export function formatMetric(name: string, value: number): string {
  const unit = UNITS[name];
  if (unit !== undefined) return unit(value);
  if (name.endsWith('Ms')) return `${value.toFixed(2)} ms`;
  if (name.endsWith('Bytes')) return value >= 1e6 ? `${(value / 2 ** 20).toFixed(1)} MiB` : `${value.toFixed(1)} B`;
  if (name.endsWith('Percent')) return `±${value.toFixed(1)}%`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function formatGoal(goal: Goal & { met: boolean | undefined }): string {
  const mark = goal.met === undefined ? '?' : goal.met ? 'MET' : 'MISSED';
  return `goal ${goal.metric} ${goal.op} ${formatMetric(goal.metric, goal.value)}: ${mark}`;
}

/** Secondary metrics worth a line in the summary, per headline. */
const EXTRA: readonly string[] = [
  'bodyBytesPerSec',
  'msgsPerSec',
  'recordBytes',
  'rmePercent',
  'latencyP50Ms',
  'latencyP99Ms',
  'messagesPerMsync',
  'eventLoopP99Ms',
  'maxTurnGapMs',
  'allocationStalls',
  'scannedBytes',
  'recoveryMs',
  'openMs',
  'redispatchedRecords',
  'settleMs',
];

export function summaryText(results: readonly TrialResult[], ratioList: readonly Ratio[]): string {
  const lines: string[] = [];
  let group = '';
  for (const result of results) {
    if (result.group !== group) {
      group = result.group;
      lines.push('', `== ${group} ==`);
    }
    if (result.error !== undefined) {
      lines.push(`  ${result.title}`, `    FAILED: ${result.error.split('\n')[0]}`);
      continue;
    }
    const headline = result.metrics[result.headline];
    lines.push(`  ${result.title}`);
    lines.push(
      `    ${headline === undefined ? '?' : formatMetric(result.headline, headline)}   [durability: ${shortDurability(result.durability)}]`,
    );
    const extras = EXTRA.filter((name) => name !== result.headline && result.metrics[name] !== undefined).map(
      (name) => `${name}=${formatMetric(name, result.metrics[name]!)}`,
    );
    if (extras.length > 0) lines.push(`    ${extras.join('  ')}`);
    if (result.rounds !== undefined) {
      const values = result.rounds.map((v) => (v === null ? 'failed' : formatMetric(result.headline, v)));
      lines.push(`    median of ${values.length} rounds: ${values.join(' | ')}`);
    }
    for (const goal of result.goals ?? []) lines.push(`    ${formatGoal(goal)}`);
    for (const ratio of ratioList.filter((r) => r.peer === result.id)) {
      const range =
        ratio.min !== undefined && ratio.max !== undefined
          ? ` (rounds: ${ratio.min.toFixed(2)}-${ratio.max.toFixed(2)})`
          : '';
      lines.push(`    ratio Tributary/this (${ratio.metric}): ${ratio.ratio.toFixed(2)}x${range}`);
    }
  }
  return lines.join('\n');
}

function shortDurability(durability: string): string {
  return durability.split(/[;(]/)[0]!.trim();
}
