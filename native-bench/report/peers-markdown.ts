// The peers section of REPORT.md: how the run was made, every figure with its durability mode
// beside it and its ratio to Tributary, then the goals as met or missed.
import { medianOf, type PeerFigure } from '../peers/peer-figure.js';
import { formatCount, formatMs, formatRatio, goalMark, markdownTable } from './markdown-table.js';
import type { PeersDocument, PeersSystemEntry, PeersWorkloadEntry } from './peers-document.js';

function runDescription(document: PeersDocument): string[] {
  const env = document.environment as {
    cpus?: number;
    cpuModel?: string;
    node?: string;
    loadAverageAtStart?: number[];
    loadAverageAtEnd?: number[];
    servers?: Record<string, { version?: string; skipped?: string }>;
    clients?: Record<string, string | undefined>;
  };
  const load = (values: number[] | undefined): string => values?.map((v) => v.toFixed(1)).join(' ') ?? '?';
  const servers = Object.entries(env.servers ?? {})
    .map(([name, server]) => `${name} ${server.version ?? 'not installed'}`)
    .join(', ');
  const clients = Object.entries(env.clients ?? {})
    .map(([name, version]) => `${name} ${version ?? '?'}`)
    .join(', ');
  return [
    `Run ${document.date}: \`${document.command}\`, ${document.rounds} round(s)` +
      `${document.quick ? ' (--quick: a smoke test, figures not comparable)' : ''}; ` +
      `${env.cpus ?? '?'} CPUs (${env.cpuModel ?? '?'}), Node ${env.node ?? '?'}, ` +
      `load average ${load(env.loadAverageAtStart)} at the start, ${load(env.loadAverageAtEnd)} at the end.`,
    `Servers: ${servers || 'none'}; clients: ${clients || 'none'}. Each figure is the system's median round; ` +
      'ratios are the median of per-round ratios (each round runs every system back to back).',
    ...document.skipped.map((reason) => `- Skipped: ${reason}`),
  ];
}

/** Tributary ÷ this system per round, median: msgs/s (e2e: this p99 ÷ Tributary p99). */
function ratioToTributary(workload: PeersWorkloadEntry, system: PeersSystemEntry): number | undefined {
  if (system.system === 'tributary') return undefined;
  const ours = workload.systems.find((entry) => entry.system === 'tributary');
  const pick = (figure: PeerFigure | null | undefined): number | undefined =>
    workload.kind === 'e2e' ? figure?.latencyMs?.p99Ms : figure?.msgsPerSec;
  const ratios = system.figures.map((figure, round) => {
    const mine = pick(ours?.figures[round]);
    const theirs = pick(figure);
    if (mine === undefined || theirs === undefined || mine <= 0 || theirs <= 0) return undefined;
    return workload.kind === 'e2e' ? theirs / mine : mine / theirs;
  });
  return medianOf(ratios);
}

function figureRow(workload: PeersWorkloadEntry, system: PeersSystemEntry): string[] {
  const figure = system.median;
  if (system.status !== 'ok' || figure === null) {
    return [workload.id, system.name, system.durabilityMode, `${system.status}: ${system.reason ?? ''}`, '', '', ''];
  }
  const latency = figure.latencyMs;
  const cpu = figure.cpuUsPerMessage;
  return [
    workload.id,
    system.name,
    system.durabilityMode,
    `${formatCount(figure.msgsPerSec)} msgs/s (${figure.mbPerSec.toFixed(1)} MB/s)`,
    latency === undefined
      ? '-'
      : `${formatMs(latency.p50Ms)} / ${formatMs(latency.p99Ms)} / ${formatMs(latency.p999Ms)}`,
    `${cpu.client?.toFixed(2) ?? '-'} + ${cpu.server?.toFixed(2) ?? '-'} = ${cpu.total?.toFixed(2) ?? '-'}`,
    system.system === 'tributary' ? '(Tributary)' : formatRatio(ratioToTributary(workload, system)),
  ];
}

function goalRows(document: PeersDocument): string[][] {
  return document.goals.flatMap((goal) => {
    if (goal.versus.length === 0) return [[goal.label, '-', '-', '-', '-', 'n/a', goal.note ?? 'no peer ran']];
    return goal.versus.map((entry) => [
      goal.label,
      entry.peer === 'best' ? 'best peer, per round' : entry.peer,
      formatRatio(entry.median),
      entry.perRound.map((ratio) => formatRatio(ratio)).join(' / '),
      `${goal.ratioMeans} ${(goal.strict ?? goal.type !== 'throughput') ? '>' : '>='} ${goal.target}`,
      goalMark(entry.met ?? goal.met),
      goal.note ?? '',
    ]);
  });
}

export function peersMarkdown(document: PeersDocument, charts: readonly string[]): string[] {
  const rows = document.workloads.flatMap((workload) => workload.systems.map((system) => figureRow(workload, system)));
  return [
    '## Tributary vs Redis Streams vs NATS JetStream (`npm run bench:peers`)',
    '',
    ...runDescription(document),
    '',
    ...markdownTable(
      [
        'workload',
        'system',
        'durability',
        'throughput',
        'latency p50 / p99 / p99.9 ms',
        'CPU µs/msg client + server',
        'Tributary vs this',
      ],
      rows,
    ),
    '',
    'Latency: produce = send call to acknowledgement; e2e = send call to delivery (one clock). ' +
      '"Tributary vs this": Tributary msgs/s ÷ this msgs/s; for e2e, this p99 ÷ Tributary p99 (above 1: Tributary ahead). ' +
      'CPU µs per message = CPU seconds per million messages, user + system, over the measured window.',
    '',
    '### Goals',
    '',
    ...markdownTable(
      ['goal', 'compared with', 'ratio (median)', 'rounds', 'needs', 'result', 'note'],
      goalRows(document),
    ),
    '',
    ...charts,
  ];
}
