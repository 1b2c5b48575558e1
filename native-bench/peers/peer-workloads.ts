// The workloads of `tributary bench produce|consume|e2e`, run against a peer through its
// PeerClient, with the same measuring rules: a warm-up, then a measured window; CPU time of
// this (client) process and of the server process over exactly that window; latency as
// Tributary defines it for each workload.
//
// - produce: `inFlight` closed-loop senders; latency = send call to acknowledgement.
// - consume: fill a backlog of `count` (not measured), then time a fresh consumer group from
//   the first message until it has seen all of them (group creation included, as Tributary's
//   consumer start-up is).
// - e2e: a consumer from the end of the stream, sends paced at `ratePerS`; latency = send call
//   to delivery, on one clock (the send time is a float64 in each body's first 8 bytes).
import { performance } from 'node:perf_hooks';

import {
  BENCH_E2E_DRAIN_MS,
  BENCH_E2E_STAMP_BYTES,
  MICROSECONDS_PER_MS,
  MS_PER_SECOND,
} from '../../bench/bench-constants.js';
import { BenchMeter } from '../../bench/bench-meter.js';
import { ErrorSample } from '../../bench/error-sample.js';
import { BenchSchedule } from '../../bench/bench-schedule.js';
import { phaseResult, type PhaseResult } from '../../bench/phase-result.js';
import { cpuTimeSince, processCpuTime, type CpuTime } from '../../bench/process-cpu-time.js';
import { bufferBytes, runSendLoad } from '../../bench/send-load.js';
import { stampOf, stampedBody } from '../../bench/stamped-body.js';
import type { PeerClient } from './peer-client.js';

export type PeerWorkloadKind = 'produce' | 'consume' | 'e2e';

export interface PeerWorkloadSettings {
  readonly kind: PeerWorkloadKind;
  readonly messageBytes: number;
  readonly inFlight: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** consume: the backlog. */
  readonly count: number;
  /** e2e: sends per second. */
  readonly ratePerS: number;
}

export interface PeerWorkloadOutcome {
  readonly result: PhaseResult;
  readonly phases: Readonly<Record<string, PhaseResult>>;
  readonly details: Readonly<Record<string, number>>;
  readonly cpu: { readonly client: CpuTime; readonly server: CpuTime };
  readonly errors: readonly string[];
}

/** CPU time of both processes over the measured window. */
class CpuWindow {
  private clientAtStart = process.cpuUsage();
  private serverAtStart: CpuTime = { userMs: 0, systemMs: 0 };
  private measured: PeerWorkloadOutcome['cpu'] | undefined;

  constructor(private readonly serverPid: number) {}

  begin(): void {
    this.clientAtStart = process.cpuUsage();
    this.serverAtStart = processCpuTime(this.serverPid);
  }

  end(): PeerWorkloadOutcome['cpu'] {
    const client = process.cpuUsage(this.clientAtStart);
    this.measured ??= {
      client: { userMs: client.user / MICROSECONDS_PER_MS, systemMs: client.system / MICROSECONDS_PER_MS },
      server: cpuTimeSince(this.serverAtStart, processCpuTime(this.serverPid)),
    };
    return this.measured;
  }
}

/** What one workload works with. */
interface WorkloadRun {
  readonly client: PeerClient;
  readonly settings: PeerWorkloadSettings;
  readonly cpu: CpuWindow;
  readonly errors: ErrorSample;
}

type Workload = (run: WorkloadRun) => Promise<Pick<PeerWorkloadOutcome, 'result' | 'details'>>;

export async function runPeerWorkload(
  client: PeerClient,
  settings: PeerWorkloadSettings,
  serverPid: number,
): Promise<PeerWorkloadOutcome> {
  const run: WorkloadRun = { client, settings, cpu: new CpuWindow(serverPid), errors: new ErrorSample() };
  const workload: Workload = settings.kind === 'produce' ? produce : settings.kind === 'consume' ? consume : endToEnd;
  const { result, details } = await workload(run);
  // The window's CPU was taken when measuring ended (end() keeps the first reading).
  return { result, phases: {}, details, cpu: run.cpu.end(), errors: run.errors.errors };
}

/** Sends through the peer's client under `schedule` until it stops. */
async function sendThroughPeer(
  run: WorkloadRun,
  meter: BenchMeter,
  schedule: BenchSchedule,
  ratePerS: number | undefined,
  message: () => Buffer,
): Promise<void> {
  await runSendLoad({
    senders: [(body: Buffer) => run.client.send(body)],
    message,
    bytesOf: bufferBytes,
    inFlight: run.settings.inFlight,
    ratePerS,
    meter,
    schedule,
    onError: run.errors.note,
  });
  schedule.stop();
}

const produce: Workload = async (run) => {
  const template = Buffer.alloc(run.settings.messageBytes, 'a');
  const meter = new BenchMeter();
  const schedule = measuredWindow(meter, run.settings);
  schedule.start(() => run.cpu.begin());
  await sendThroughPeer(run, meter, schedule, undefined, () => template);
  run.cpu.end();
  return { result: phaseResult(meter.totals(), 'send() call to its acknowledgement'), details: {} };
};

const consume: Workload = async ({ client, settings, cpu, errors }) => {
  const template = Buffer.alloc(settings.messageBytes, 'a');
  const fillStartedAt = performance.now();
  await client.fill(settings.count, template);
  const fillMs = performance.now() - fillStartedAt;
  const meter = new BenchMeter();
  meter.startMeasuring();
  cpu.begin();
  await client
    .drain(settings.count, (body) => meter.success(undefined, body.length, true, performance.now()))
    .catch(errors.note);
  cpu.end();
  return {
    result: phaseResult(meter.totals(), 'not measured (a backlog has no send time)'),
    details: { fillMs, fillMsgsPerSec: (settings.count / fillMs) * MS_PER_SECOND },
  };
};

const endToEnd: Workload = async (run) => {
  const { client, settings, cpu } = run;
  const deliveries = new BenchMeter();
  let measuredFrom = Number.POSITIVE_INFINITY;
  let measuredSent = 0;
  let expected = Number.POSITIVE_INFINITY;
  let wake: () => void = () => undefined;
  const subscription = await client.subscribe((body) => {
    const born = stampOf(body);
    const at = performance.now();
    deliveries.success((at - born) * MICROSECONDS_PER_MS, body.length, born >= measuredFrom, at);
    if (deliveries.measuredMessages >= expected) wake();
  });
  const template = Buffer.alloc(Math.max(settings.messageBytes, BENCH_E2E_STAMP_BYTES), 'a');
  const sends = new BenchMeter();
  const schedule = measuredWindow(sends, settings);
  schedule.start(() => {
    measuredFrom = performance.now();
    deliveries.startMeasuring();
    cpu.begin();
  });
  await sendThroughPeer(run, sends, schedule, settings.ratePerS, () => {
    const now = performance.now();
    if (now >= measuredFrom) measuredSent++;
    return stampedBody(template, now);
  });
  expected = measuredSent;
  if (deliveries.measuredMessages < expected) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, BENCH_E2E_DRAIN_MS);
    });
  }
  cpu.end();
  await subscription.stop();
  const received = deliveries.measuredMessages;
  return {
    result: phaseResult(deliveries.totals(), 'send() call to delivery, one clock'),
    details: { sent: measuredSent, lost: Math.max(0, measuredSent - received) },
  };
};

/** A warm-up, then a measured window of the settings' duration. */
function measuredWindow(meter: BenchMeter, settings: PeerWorkloadSettings): BenchSchedule {
  return new BenchSchedule(meter, { warmupMs: settings.warmupMs, count: undefined, durationMs: settings.durationMs });
}
