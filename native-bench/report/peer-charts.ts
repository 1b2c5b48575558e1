// The charts of the peers run: throughput by message size (produce, async durability), the
// end-to-end latency CDF at 5,000 msgs/s, and CPU per message by workload. Series are always
// in PEER_SYSTEMS order, so each system keeps its colour across charts, and a system that did
// not run stays in the legend with its bars marked n/a.
import { PEER_SYSTEMS, SYSTEM_NAMES } from '../peers-trials.js';
import type { PeersDocument, PeersWorkloadEntry } from './peers-document.js';
import { renderBarChart } from './svg-bar-chart.js';
import { renderLatencyCdf, type CdfPoint } from './svg-latency-cdf.js';

export interface Chart {
  /** File name under the charts directory, without extension. */
  readonly name: string;
  readonly title: string;
  readonly svg: string;
}

const KIB = 1024;

function sizeLabel(bytes: number): string {
  return bytes >= KIB && bytes % KIB === 0 ? `${bytes / KIB} KiB` : `${bytes} B`;
}

function figureOf(
  workload: PeersWorkloadEntry | undefined,
  system: string,
): PeersWorkloadEntry['systems'][number]['median'] {
  return workload?.systems.find((entry) => entry.system === system)?.median ?? null;
}

function compact(value: number): string {
  if (value === 0) return '0';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(value >= 1e4 ? 0 : 1)}k`;
  return value.toFixed(value >= 10 ? 0 : 1);
}

function throughputBySize(document: PeersDocument): Chart | undefined {
  const produce = document.workloads
    .filter((workload) => workload.kind === 'produce' && !workload.sync)
    .sort((a, b) => a.messageBytes - b.messageBytes);
  if (produce.length === 0) return undefined;
  const title = 'Produce throughput by message size (1,000 in flight; async durability)';
  const svg = renderBarChart({
    title,
    unit: 'messages per second',
    groups: produce.map((workload) => sizeLabel(workload.messageBytes)),
    series: PEER_SYSTEMS.map((system) => ({
      name: SYSTEM_NAMES[system],
      values: produce.map((workload) => figureOf(workload, system)?.msgsPerSec),
    })),
    format: compact,
  });
  return { name: 'throughput-by-size', title, svg };
}

function latencyCdf(document: PeersDocument): Chart | undefined {
  const e2e = document.workloads.find((workload) => workload.kind === 'e2e');
  if (e2e === undefined) return undefined;
  const title = 'End-to-end latency CDF at 5,000 msgs/s (send call to delivery)';
  const series = PEER_SYSTEMS.map((system) => {
    const latency = figureOf(e2e, system)?.latencyMs;
    const points: CdfPoint[] =
      latency === undefined
        ? []
        : [
            { ms: latency.minMs, percentile: 0 },
            { ms: latency.p50Ms, percentile: 50 },
            { ms: latency.p95Ms, percentile: 95 },
            { ms: latency.p99Ms, percentile: 99 },
            { ms: latency.p999Ms, percentile: 99.9 },
            { ms: latency.maxMs, percentile: 100 },
          ];
    return { name: SYSTEM_NAMES[system], points };
  });
  return { name: 'latency-cdf', title, svg: renderLatencyCdf(title, series) };
}

function cpuPerMessage(document: PeersDocument): Chart | undefined {
  if (document.workloads.length === 0) return undefined;
  const title = 'CPU per message, client + server (µs = CPU seconds per million messages)';
  const svg = renderBarChart({
    title,
    unit: 'CPU µs per message',
    groups: document.workloads.map((workload) => workload.id),
    series: PEER_SYSTEMS.map((system) => ({
      name: SYSTEM_NAMES[system],
      values: document.workloads.map((workload) => figureOf(workload, system)?.cpuUsPerMessage.total),
    })),
    format: (value) => (value === 0 ? '0' : value.toFixed(value >= 10 ? 0 : 1)),
  });
  return { name: 'cpu-per-message', title, svg };
}

export function peerCharts(document: PeersDocument): Chart[] {
  return [throughputBySize(document), latencyCdf(document), cpuPerMessage(document)].filter(
    (chart): chart is Chart => chart !== undefined,
  );
}
