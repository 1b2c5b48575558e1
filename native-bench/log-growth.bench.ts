// Produce as the log grows: appends N GiB of commit log (10 by default) through a broker in a
// child process (1 GiB segments, async flush) with 1,000 independent `send()` calls in flight,
// and prints, for each GiB of log, the throughput and the broker's CPU per message. A log
// store's cost must not grow with its size: the 10th GiB should go as fast as the first.
//
//   npm run bench:growth                         # 10 GiB of 100 B messages
//   npm run bench:growth -- --gib 4 --size 1024 --in-flight 1000 --warmup-s 3
//   npm run bench:growth -- --cpu-prof           # the broker under node --cpu-prof, whole run
//
// The log position comes from the broker's answers (the commit log offset in offsetMsgId),
// read from one answer in OFFSET_SAMPLE_EVERY. The broker's data directory is a fresh temporary
// directory, removed when the run ends, however it ends. Broker CPU is read from /proc (all its
// threads), so the figure holds on a shared machine where wall-clock throughput does not.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Admin, Producer } from '../client/index.js';
import { OffsetMessageId } from '../protocol/offset-message-id.js';
import { cpuTimeSince, processCpuTime, type CpuTime } from '../bench/process-cpu-time.js';
import { environmentNow } from '../bench/run-environment.js';
import { saveResultsFile } from '../bench/results-file.js';
import { startBenchBroker } from './lib/bench-broker-process.js';
import { RESULTS_DIRECTORY } from './lib/results-directory.js';

const GIB_DEFAULT = 10;
const BODY_BYTES_DEFAULT = 100;
const IN_FLIGHT_DEFAULT = 1000;
const WARMUP_S_DEFAULT = 3;
/** The broker's default segment size: the shape shows with it. */
const SEGMENT_MIB = 1024;
const QUEUES = 8;
const TOPIC = 'bench-log-growth';
/** One answer in this many has its offset id decoded (hex parsing is not free at 300 k/s). */
const OFFSET_SAMPLE_EVERY = 64;
/** Free space the run needs beyond the log itself (queues, index, the next segment). */
const FREE_SPACE_MARGIN_GIB = 4;
const BYTES_PER_GIB = 1024 ** 3;
const MS_PER_SECOND = 1000;
const US_PER_MS = 1000;
const ROUTE_TRIES_MAX = 100;
const ROUTE_RETRY_MS = 100;

interface Settings {
  readonly gib: number;
  readonly bodyBytes: number;
  readonly inFlight: number;
  readonly warmupS: number;
  readonly cpuProfile: boolean;
}

/** One GiB of log: how fast it was appended and what it cost the broker. */
interface GibWindow {
  readonly gib: number;
  readonly seconds: number;
  readonly messages: number;
  readonly msgsPerSec: number;
  readonly brokerCpuUsPerMessage: number;
  /** Broker CPU (all threads) as a share of one core over the window. */
  readonly brokerCpuPercent: number;
  readonly clientCpuUsPerMessage: number;
  readonly brokerRssMiB: number;
  /** The machine's dirty and writeback page cache at the window's end (/proc/meminfo). */
  readonly dirtyMiB: number;
  readonly writebackMiB: number;
  readonly loadAverage1: number;
}

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
}

function numberFlag(name: string, fallback: number): number {
  const text = flag(name);
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} takes a number, got ${String(text)}`);
  return value;
}

function settingsFromArgs(): Settings {
  return {
    gib: numberFlag('gib', GIB_DEFAULT),
    bodyBytes: numberFlag('size', BODY_BYTES_DEFAULT),
    inFlight: numberFlag('in-flight', IN_FLIGHT_DEFAULT),
    warmupS: numberFlag('warmup-s', WARMUP_S_DEFAULT),
    cpuProfile: process.argv.includes('--cpu-prof'),
  };
}

/** A field of /proc/meminfo in MiB (0 where there is none). */
function meminfoMiB(field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  return match === null ? 0 : Number(match[1]) / 1024;
}

function residentMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Number(match[1]) / 1024;
}

const cpuMs = (time: CpuTime): number => time.userMs + time.systemMs;

/** Splits the run into GiB windows as the log position passes each GiB boundary. */
class GrowthMeter {
  readonly windows: GibWindow[] = [];
  private messages = 0;
  private startMessages = 0;
  private startMs = 0;
  private brokerStart: CpuTime;
  private clientStart = process.cpuUsage();
  private nextBoundary = 0;

  constructor(
    private readonly brokerPid: number,
    private readonly gib: number,
  ) {
    this.brokerStart = processCpuTime(brokerPid);
  }

  get done(): boolean {
    return this.windows.length >= this.gib;
  }

  /** Starts the first window at the log position `offset` (after the warm-up). */
  begin(offset: number): void {
    this.nextBoundary = (Math.floor(offset / BYTES_PER_GIB) + 1) * BYTES_PER_GIB;
    this.restart();
  }

  /** Counts one acknowledged send; `offset` is its log position when sampled. */
  acknowledged(offset: number | undefined): void {
    this.messages++;
    if (offset === undefined || this.nextBoundary === 0 || offset < this.nextBoundary || this.done) return;
    this.close(Math.round(this.nextBoundary / BYTES_PER_GIB));
    this.nextBoundary += BYTES_PER_GIB;
  }

  private restart(): void {
    this.startMessages = this.messages;
    this.startMs = performance.now();
    this.brokerStart = processCpuTime(this.brokerPid);
    this.clientStart = process.cpuUsage();
  }

  private close(gib: number): void {
    const messages = this.messages - this.startMessages;
    const elapsedMs = performance.now() - this.startMs;
    const brokerMs = cpuMs(cpuTimeSince(this.brokerStart, processCpuTime(this.brokerPid)));
    const client = process.cpuUsage(this.clientStart);
    const window: GibWindow = {
      gib,
      seconds: elapsedMs / MS_PER_SECOND,
      messages,
      msgsPerSec: (messages / elapsedMs) * MS_PER_SECOND,
      brokerCpuUsPerMessage: (brokerMs * US_PER_MS) / messages,
      brokerCpuPercent: (brokerMs / elapsedMs) * 100,
      clientCpuUsPerMessage: (client.user + client.system) / messages,
      brokerRssMiB: residentMiB(this.brokerPid),
      dirtyMiB: meminfoMiB('Dirty'),
      writebackMiB: meminfoMiB('Writeback'),
      loadAverage1: os.loadavg()[0]!,
    };
    this.windows.push(window);
    printWindow(window);
    this.restart();
  }
}

function printWindow(window: GibWindow): void {
  const number = (value: number, digits = 0): string =>
    value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  console.log(
    `GiB ${String(window.gib).padStart(3)}: ${number(window.msgsPerSec).padStart(9)} msgs/s` +
      `  broker ${number(window.brokerCpuUsPerMessage, 2)} us CPU/msg (${number(window.brokerCpuPercent)}% of a core)` +
      `  client ${number(window.clientCpuUsPerMessage, 2)} us/msg  broker RSS ${number(window.brokerRssMiB)} MiB` +
      `  dirty ${number(window.dirtyMiB)} MiB  load ${number(window.loadAverage1, 1)}`,
  );
}

function assertFreeSpace(directory: string, gib: number): void {
  const stats = fs.statfsSync(directory);
  const freeGib = (stats.bavail * stats.bsize) / BYTES_PER_GIB;
  if (freeGib < gib + FREE_SPACE_MARGIN_GIB) {
    throw new Error(
      `${directory} has ${freeGib.toFixed(1)} GiB free; ${gib} GiB of log needs ${gib + FREE_SPACE_MARGIN_GIB}`,
    );
  }
}

async function waitForRoute(admin: Admin): Promise<void> {
  for (let tries = 0; !(await admin.listTopics()).includes(TOPIC); tries++) {
    if (tries > ROUTE_TRIES_MAX) throw new Error('the topic never got a route');
    await new Promise((resolve) => setTimeout(resolve, ROUTE_RETRY_MS));
  }
}

/** Sends from `inFlight` loops until the meter has every GiB; the warm-up first. */
async function produce(producer: Producer, settings: Settings, meter: GrowthMeter): Promise<void> {
  const body = Buffer.alloc(settings.bodyBytes, 'g');
  const warmupEndMs = performance.now() + settings.warmupS * MS_PER_SECOND;
  let warm = settings.warmupS === 0;
  let acknowledged = 0;
  let lastOffset = 0;
  const loop = async (): Promise<void> => {
    while (!meter.done) {
      const result = await producer.send({ topic: TOPIC, body });
      const sampled = ++acknowledged % OFFSET_SAMPLE_EVERY === 0 || !warm;
      const offset = sampled ? OffsetMessageId.decode(result.offsetMsgId)?.commitLogOffset : undefined;
      if (offset !== undefined) lastOffset = Math.max(lastOffset, offset);
      if (!warm && performance.now() >= warmupEndMs) {
        warm = true;
        meter.begin(lastOffset);
      }
      if (warm) meter.acknowledged(offset);
    }
  };
  if (warm) meter.begin(0);
  await Promise.all(Array.from({ length: settings.inFlight }, loop));
}

function summary(windows: readonly GibWindow[]): Record<string, number> {
  const first = windows[0]!;
  const last = windows.at(-1)!;
  const sorted = windows.map((window) => window.msgsPerSec).sort((a, b) => a - b);
  return {
    firstGibMsgsPerSec: first.msgsPerSec,
    lastGibMsgsPerSec: last.msgsPerSec,
    lastOverFirstThroughput: last.msgsPerSec / first.msgsPerSec,
    firstGibBrokerCpuUsPerMessage: first.brokerCpuUsPerMessage,
    lastGibBrokerCpuUsPerMessage: last.brokerCpuUsPerMessage,
    lastOverFirstBrokerCpu: last.brokerCpuUsPerMessage / first.brokerCpuUsPerMessage,
    medianMsgsPerSec: sorted[Math.floor(sorted.length / 2)]!,
  };
}

async function main(): Promise<void> {
  const settings = settingsFromArgs();
  assertFreeSpace(os.tmpdir(), settings.gib);
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-log-growth-'));
  const removeDirectory = (): void => fs.rmSync(directory, { recursive: true, force: true });
  process.once('exit', removeDirectory);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(1));
  const profileDirectory = path.join(RESULTS_DIRECTORY, 'profiles');
  const nodeFlags = settings.cpuProfile ? ['--cpu-prof', '--cpu-prof-dir', profileDirectory] : [];
  console.log(
    `log growth: ${settings.gib} GiB of ${settings.bodyBytes} B messages, ${settings.inFlight} in flight, ` +
      `${SEGMENT_MIB} MiB segments, async flush, ${settings.warmupS} s warm-up; data in ${directory}`,
  );
  const broker = await startBenchBroker(directory, 'async', { segmentMiB: SEGMENT_MIB, nodeFlags });
  const admin = new Admin({ nameServer: broker.nameServer });
  const producer = new Producer({ nameServer: broker.nameServer, group: 'bench-log-growth-producer' });
  let windows: readonly GibWindow[];
  try {
    await admin.createTopic(TOPIC, { queues: QUEUES });
    await waitForRoute(admin);
    await producer.start();
    const meter = new GrowthMeter(broker.pid, settings.gib);
    await produce(producer, settings, meter);
    windows = meter.windows;
  } finally {
    await producer.shutdown();
    await admin.close();
    await broker.stop();
    removeDirectory();
  }
  const totals = summary(windows);
  console.log(
    `last GiB / first: throughput ${totals.lastOverFirstThroughput!.toFixed(2)}x, ` +
      `broker CPU per message ${totals.lastOverFirstBrokerCpu!.toFixed(2)}x`,
  );
  if (settings.cpuProfile) console.log(`broker profile in ${profileDirectory}`);
  const file = saveResultsFile(
    { directory: RESULTS_DIRECTORY, name: 'log-growth' },
    { environment: environmentNow(), settings: { ...settings, segmentMiB: SEGMENT_MIB }, windows, summary: totals },
  );
  console.log(`wrote ${file}`);
}

await main();
