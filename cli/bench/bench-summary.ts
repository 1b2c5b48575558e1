// What a benchmark run ends with: the measured figures with their percentiles (kafka's final
// "50th, 95th, 99th, 99.9th"), the durability mode they were measured under, how both
// processes fared (event-loop delay, CPU, GC), every per-second line, and where the profiles
// went. `--json` prints it as one object; otherwise formatBenchSummary renders it for people.
import type { BrokerReport } from './bench-broker.js';
import { MS_PER_SECOND } from '../../bench/bench-constants.js';
import type { PhaseResult } from '../../bench/phase-result.js';
import type { ProcessReport } from '../../bench/process-probe.js';
import type { RunEnvironment } from '../../bench/run-environment.js';
import { milliseconds } from './bench-line.js';
import type { BenchKind, BenchSettings } from './bench-settings.js';
import type { IntervalRecord } from './bench-ticker.js';
import type { ProfileFiles } from './process-profiler.js';

export interface BenchSummary {
  readonly tool: 'tributary bench';
  readonly kind: BenchKind;
  readonly version: string;
  readonly startedAt: string;
  readonly settings: BenchSettings;
  /** The durability mode every figure was measured under, in words. */
  readonly durability: string;
  /** The phase the command is about: sends (produce), deliveries (consume, e2e). */
  readonly result: PhaseResult;
  /** Other phases: the backlog fill of consume, the sends of e2e. */
  readonly phases: Readonly<Record<string, PhaseResult>>;
  /** Kind-specific counters (e2e: lost, duplicates, pacing lag). */
  readonly details: Readonly<Record<string, number>>;
  readonly broker: { readonly external: boolean; readonly nameServer: string; readonly report?: BrokerReport };
  readonly client: ProcessReport;
  /** CPU time per measured message on each side, and what it implies (see cpuCostOf). */
  readonly cpuCost: CpuCost;
  readonly intervals: readonly IntervalRecord[];
  readonly profiles?: { readonly client?: ProfileFiles; readonly broker?: ProfileFiles };
  /** True when Ctrl-C or a failure ended the run before its count or duration. */
  readonly stoppedEarly: boolean;
  /** The first few distinct errors the load met. */
  readonly errors: readonly string[];
  readonly environment: RunEnvironment;
}

/**
 * CPU time per measured message, client and broker. On a shared machine throughput swings with
 * other people's load, while CPU per message barely moves, so it is the steadier figure to
 * compare across runs. `ceilingMsgsPerSec` is 10^6 / the larger of the two: the rate if each
 * process had a core to itself and the two overlapped perfectly (undefined for an external
 * broker, whose CPU is not measured).
 */
export interface CpuCost {
  readonly clientUsPerMessage: number | undefined;
  readonly brokerUsPerMessage: number | undefined;
  readonly ceilingMsgsPerSec: number | undefined;
}

const US_PER_SECOND = 1e6;

export function cpuCostOf(messages: number, client: ProcessReport, broker: ProcessReport | undefined): CpuCost {
  if (messages === 0)
    return { clientUsPerMessage: undefined, brokerUsPerMessage: undefined, ceilingMsgsPerSec: undefined };
  const perMessage = (report: ProcessReport): number => ((report.cpuUserMs + report.cpuSystemMs) * 1000) / messages;
  const clientUs = perMessage(client);
  const brokerUs = broker === undefined ? undefined : perMessage(broker);
  return {
    clientUsPerMessage: clientUs,
    brokerUsPerMessage: brokerUs,
    ceilingMsgsPerSec: brokerUs === undefined ? undefined : US_PER_SECOND / Math.max(clientUs, brokerUs),
  };
}

const DURABILITY: Readonly<Record<BenchSettings['flush'], string>> = {
  async:
    "ASYNC_FLUSH: broker flush 'async'; a send is acknowledged once its record is in the mapped commit log " +
    '(survives a broker process crash; msync every 500 ms, so power loss can lose the last ~0.5 s)',
  sync: "SYNC_FLUSH: broker flush 'sync'; a send is acknowledged only after an msync covering it (group commit)",
  unknown: 'external broker; its flush mode was not stated (pass --flush to label it)',
};

export function durabilityOf(flush: BenchSettings['flush']): string {
  return DURABILITY[flush];
}

export function formatBenchSummary(summary: BenchSummary): string {
  const { settings } = summary;
  const lines = [
    `${summary.kind} summary: ${phaseText(summary.result, settings.messageBytes)}`,
    `  ${latencyText(summary.result)}`,
  ];
  for (const [name, phase] of Object.entries(summary.phases)) {
    lines.push(`  ${name}: ${phaseText(phase, settings.messageBytes)}`, `    ${latencyText(phase)}`);
  }
  const details = Object.entries(summary.details);
  if (details.length > 0) lines.push(`  ${details.map(([name, value]) => `${name} ${round(value)}`).join(', ')}`);
  lines.push(`  durability: ${summary.durability}`);
  const broker = summary.broker.report;
  lines.push(
    broker === undefined
      ? `  broker: external, name server ${summary.broker.nameServer} (no self-report)`
      : `  broker (child pid ${broker.pid}): ${processText(broker.process)}`,
    `  client (pid ${process.pid}): ${processText(summary.client)}`,
  );
  const cost = summary.cpuCost;
  if (cost.clientUsPerMessage !== undefined) {
    const broker =
      cost.brokerUsPerMessage === undefined || cost.ceilingMsgsPerSec === undefined
        ? 'broker not measured'
        : `broker ${cost.brokerUsPerMessage.toFixed(2)} ` +
          `(a core each would allow ~${Math.round(cost.ceilingMsgsPerSec).toLocaleString('en-US')} msgs/s)`;
    lines.push(`  CPU per message, us: client ${cost.clientUsPerMessage.toFixed(2)}, ${broker}`);
  }
  for (const [side, files] of Object.entries(summary.profiles ?? {})) {
    if (files !== undefined) lines.push(`  ${side} profiles: ${files.cpuProfile} ${files.heapProfile}`);
  }
  if (summary.stoppedEarly) lines.push('  stopped before the planned end');
  for (const error of summary.errors) lines.push(`  error: ${error}`);
  return lines.join('\n');
}

function phaseText(phase: PhaseResult, messageBytes: number): string {
  return (
    `${phase.messages.toLocaleString('en-US')} messages of ${messageBytes} B in ` +
    `${(phase.elapsedMs / MS_PER_SECOND).toFixed(2)} s: ${Math.round(phase.msgsPerSec).toLocaleString('en-US')} msgs/s, ` +
    `${phase.mbPerSec.toFixed(2)} MB/s; ${phase.failures} failed`
  );
}

function latencyText(phase: PhaseResult): string {
  const l = phase.latencyMs;
  return (
    `latency ms (${phase.latencyMeasures}): avg ${milliseconds(l.avgMs)}  p50 ${milliseconds(l.p50Ms)}  ` +
    `p95 ${milliseconds(l.p95Ms)}  p99 ${milliseconds(l.p99Ms)}  p99.9 ${milliseconds(l.p999Ms)}  max ${milliseconds(l.maxMs)}`
  );
}

function processText(report: ProcessReport): string {
  const delay = report.eventLoopDelayMs;
  return (
    `event loop delay ms p50 ${milliseconds(delay.p50)} p99 ${milliseconds(delay.p99)} max ${milliseconds(delay.max)}; ` +
    `CPU ${Math.round(report.cpuPercent)}% of a core; GC ${Math.round(report.gcPauseMs)} ms in ${report.gcCount} pauses; ` +
    `RSS ${Math.round(report.rssBytes / 2 ** 20)} MiB`
  );
}

function round(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(3);
}
