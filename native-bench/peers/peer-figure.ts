// One run's figures in one shape, whichever tool produced them: a `tributary bench --json`
// summary or a peer-trial-child summary. The report and the ratios read only this.
import type { LatencySummary } from '../../bench/latency-histogram.js';

export interface PeerFigure {
  readonly messages: number;
  readonly msgsPerSec: number;
  readonly mbPerSec: number;
  /** Undefined where latency means nothing comparable (a backlog's age). */
  readonly latencyMs: LatencySummary | undefined;
  /** CPU time per measured message, µs (= CPU seconds per million messages). */
  readonly cpuUsPerMessage: {
    readonly client: number | undefined;
    readonly server: number | undefined;
    readonly total: number | undefined;
  };
  /** The durability mode in full, as the tool stated it. */
  readonly durability: string;
  readonly errors: readonly string[];
  readonly details: Readonly<Record<string, number>>;
}

type Summary = Record<string, unknown>;

function at(summary: Summary | undefined, dotted: string): unknown {
  let value: unknown = summary;
  for (const key of dotted.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const numberAt = (summary: Summary, dotted: string): number | undefined => {
  const value = at(summary, dotted);
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

/** The figure of a summary, or undefined when the run produced none. */
export function figureOf(summary: Summary | undefined): PeerFigure | undefined {
  if (summary === undefined) return undefined;
  const msgsPerSec = numberAt(summary, 'result.msgsPerSec');
  if (msgsPerSec === undefined) return undefined;
  const client = numberAt(summary, 'cpuCost.clientUsPerMessage');
  // Tributary names its server the broker.
  const server = numberAt(summary, 'cpuCost.serverUsPerMessage') ?? numberAt(summary, 'cpuCost.brokerUsPerMessage');
  const latency = at(summary, 'result.latencyMs') as LatencySummary | undefined;
  return {
    messages: numberAt(summary, 'result.messages') ?? 0,
    msgsPerSec,
    mbPerSec: numberAt(summary, 'result.mbPerSec') ?? 0,
    latencyMs: summary.kind === 'consume' || latency === undefined || latency.count === 0 ? undefined : latency,
    cpuUsPerMessage: {
      client,
      server,
      total: client === undefined || server === undefined ? undefined : client + server,
    },
    durability: typeof summary.durability === 'string' ? summary.durability : '',
    errors: Array.isArray(summary.errors) ? (summary.errors as string[]) : [],
    details: (at(summary, 'details') ?? {}) as Record<string, number>,
  };
}

/** The workload's headline: msgs/s, except e2e, whose headline is its p99 latency (ms). */
export function headlineOf(figure: PeerFigure | undefined, kind: string): number | undefined {
  if (figure === undefined) return undefined;
  return kind === 'e2e' ? figure.latencyMs?.p99Ms : figure.msgsPerSec;
}

/** The median of the defined values (the lower middle of an even count), or undefined. */
export function medianOf(values: readonly (number | undefined | null)[]): number | undefined {
  const sorted = values.filter((value): value is number => typeof value === 'number').sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : sorted[Math.floor((sorted.length - 1) / 2)];
}
