// The other saved benchmark results in REPORT.md, briefly: the messaging benchmarks
// (results/e2e-latest.json) and the storage benchmarks (results/latest.json), each figure
// with its durability mode and its goals. Their READMEs carry the method and the discussion.
import { formatCount, formatMs, goalMark, markdownTable } from './markdown-table.js';

type Loose = Record<string, unknown>;

function at(value: unknown, dotted: string): unknown {
  for (const key of dotted.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Loose)[key];
  }
  return value;
}

const numberAt = (value: unknown, dotted: string): number | undefined => {
  const found = at(value, dotted);
  return typeof found === 'number' ? found : undefined;
};

/** "ASYNC_FLUSH: ..." -> "ASYNC_FLUSH"; other texts up to their first separator. */
function shortDurability(text: unknown): string {
  return typeof text === 'string' && text !== '' ? text.split(/[;:(]/)[0]!.trim() : '-';
}

export function e2eMarkdown(document: Loose): string[] {
  const trials = (document.trials ?? []) as Loose[];
  const rows = trials.map((trial) => {
    const summary = trial.summary as Loose | undefined;
    const latency = at(summary, 'result.latencyMs') as Record<string, number> | undefined;
    const goals = (trial.goals ?? []) as { label: string; met?: boolean }[];
    const floor = at(summary, 'tool') === 'tcp-floor';
    return [
      String(trial.id),
      floor ? '(transport floor)' : shortDurability(at(summary, 'durability')),
      floor
        ? `${formatCount(numberAt(summary, 'result.pingPongRoundTripsPerSec'))} round trips/s`
        : `${formatCount(numberAt(summary, 'result.msgsPerSec'))} msgs/s`,
      latency === undefined
        ? '-'
        : `${formatMs(latency.p50Ms)} / ${formatMs(latency.p99Ms)} / ${formatMs(latency.p999Ms)}`,
      goals.map((goal) => `${goal.label}: ${goalMark(goal.met)}`).join('; ') || '-',
    ];
  });
  return [
    ...sectionHead('## Messaging benchmarks (`npm run bench:e2e`)', document),
    ...markdownTable(['trial', 'durability', 'figure', 'latency p50 / p99 / p99.9 ms', 'goals'], rows),
  ];
}

export function storageMarkdown(document: Loose): string[] {
  const trials = (document.trials ?? []) as Loose[];
  const rows = trials.map((trial) => {
    const headline = String(trial.headline);
    const value = numberAt(trial, `metrics.${headline}`);
    const goals = (trial.goals ?? []) as { metric: string; op: string; value: number; met?: boolean }[];
    return [
      String(trial.id),
      shortDurability(trial.durability),
      value === undefined ? String(trial.error ?? '-') : `${formatCount(value)} ${headline}`,
      goals.map((goal) => `${goal.metric} ${goal.op} ${goal.value}: ${goalMark(goal.met)}`).join('; ') || '-',
    ];
  });
  return [
    ...sectionHead('## Storage benchmarks (`npm run bench:storage`)', document),
    ...markdownTable(['trial', 'durability', 'figure', 'goals'], rows),
  ];
}

/** A section's heading and the run it shows: when, the command, how many rounds. */
function sectionHead(heading: string, document: Loose): string[] {
  return [
    heading,
    '',
    `Run ${String(document.date)}: \`${String(document.command)}\`, ${String(document.rounds)} round(s); ` +
      'see native-bench/README.md for the method.',
    '',
  ];
}
