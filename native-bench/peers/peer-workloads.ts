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

export async function runPeerWorkload(
  client: PeerClient,
  settings: PeerWorkloadSettings,
  serverPid: number,
): Promise<PeerWorkloadOutcome> {
  const cpu = new CpuWindow(serverPid);
  const errors = new ErrorSample();
  if (settings.kind === 'produce') return produce(client, settings, cpu, errors);
  if (settings.kind === 'consume') return consume(client, settings, cpu, errors);
  return endToEnd(client, settings, cpu, errors);
}

async function produce(
  client: PeerClient,
  settings: PeerWorkloadSettings,
  cpu: CpuWindow,
  errors: ErrorSample,
): Promise<PeerWorkloadOutcome> {
  const template = Buffer.alloc(settings.messageBytes, 'a');
  const meter = new BenchMeter();
  const schedule = measuredWindow(meter, settings);
  schedule.start(() => cpu.begin());
  await runSendLoad({
    senders: [(body: Buffer) => client.send(body)],
    message: () => template,
    bytesOf: bufferBytes,
    inFlight: settings.inFlight,
    ratePerS: undefined,
    meter,
    schedule,
    onError: errors.note,
  });
  schedule.stop();
  const measuredCpu = cpu.end();
  return {
    result: phaseResult(meter.totals(), 'send() call to its acknowledgement'),
    phases: {},
    details: {},
    cpu: measuredCpu,
    errors: errors.errors,
  };
}

async function consume(
  client: PeerClient,
  settings: PeerWorkloadSettings,
  cpu: CpuWindow,
  errors: ErrorSample,
): Promise<PeerWorkloadOutcome> {
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
  const measuredCpu = cpu.end();
  return {
    result: phaseResult(meter.totals(), 'not measured (a backlog has no send time)'),
    phases: {},
    details: { fillMs, fillMsgsPerSec: (settings.count / fillMs) * MS_PER_SECOND },
    cpu: measuredCpu,
    errors: errors.errors,
  };
}

async function endToEnd(
  client: PeerClient,
  settings: PeerWorkloadSettings,
  cpu: CpuWindow,
  errors: ErrorSample,
): Promise<PeerWorkloadOutcome> {
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
  await runSendLoad({
    senders: [(body: Buffer) => client.send(body)],
    message: () => {
      const now = performance.now();
      if (now >= measuredFrom) measuredSent++;
      return stampedBody(template, now);
    },
    bytesOf: bufferBytes,
    inFlight: settings.inFlight,
    ratePerS: settings.ratePerS,
    meter: sends,
    schedule,
    onError: errors.note,
  });
  schedule.stop();
  expected = measuredSent;
  if (deliveries.measuredMessages < expected) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, BENCH_E2E_DRAIN_MS);
    });
  }
  const measuredCpu = cpu.end();
  await subscription.stop();
  const received = deliveries.measuredMessages;
  return {
    result: phaseResult(deliveries.totals(), 'send() call to delivery, one clock'),
    phases: {},
    details: { sent: measuredSent, lost: Math.max(0, measuredSent - received) },
    cpu: measuredCpu,
    errors: errors.errors,
  };
}

/** A warm-up, then a measured window of the settings' duration. */
function measuredWindow(meter: BenchMeter, settings: PeerWorkloadSettings): BenchSchedule {
  return new BenchSchedule(meter, { warmupMs: settings.warmupMs, count: undefined, durationMs: settings.durationMs });
}
