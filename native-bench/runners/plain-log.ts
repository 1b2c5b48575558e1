// The floor of any log: length-prefixed records (u32 big-endian length + body) appended to one
// file, no index, no per-message header, no checksum. Durability by batched fdatasync.
import fs from 'node:fs';
import path from 'node:path';
import { createHistogram, performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

import { runBenny, sampling } from '../lib/benny-case.js';
import { MessageStream } from '../lib/messages.js';
import { num, type Params, type RunnerOutput } from '../lib/trial-types.js';

const fdatasync = promisify(fs.fdatasync);
const FLUSH_INTERVAL_MS = 500;

/** An append-only file written with writev; fdatasync on a timer (async) or on demand. */
class PlainLog {
  readonly fd: number;
  written = 0;
  private synced = 0;
  private syncing = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly headers: Buffer;

  constructor(file: string, maxBatch: number) {
    this.fd = fs.openSync(file, 'w+');
    this.headers = Buffer.alloc(4 * maxBatch);
  }

  /** One writev of [len, body] pairs. */
  appendBatch(bodies: readonly Buffer[]): void {
    const vectors: Buffer[] = [];
    let bytes = 0;
    for (let i = 0; i < bodies.length; i++) {
      const body = bodies[i]!;
      const header = this.headers.subarray(i * 4, i * 4 + 4);
      header.writeUInt32BE(body.length, 0);
      vectors.push(header, body);
      bytes += 4 + body.length;
    }
    const wrote = fs.writevSync(this.fd, vectors);
    if (wrote !== bytes) throw new Error(`short writev: ${wrote} of ${bytes}`);
    this.written += bytes;
  }

  /** fdatasync every FLUSH_INTERVAL_MS when anything was written since the last one. */
  startFlusher(): void {
    this.timer = setInterval(() => {
      if (this.syncing || this.synced === this.written) return;
      const target = this.written;
      this.syncing = true;
      fdatasync(this.fd).then(
        () => {
          this.synced = target;
          this.syncing = false;
        },
        (error: unknown) => {
          this.syncing = false;
          throw error;
        },
      );
    }, FLUSH_INTERVAL_MS);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    while (this.syncing) await new Promise((resolve) => setTimeout(resolve, 5));
    await fdatasync(this.fd);
    fs.closeSync(this.fd);
  }
}

export async function append(params: Params, directory: string): Promise<RunnerOutput> {
  const bodyBytes = num(params, 'bodyBytes');
  const batchSize = num(params, 'batchSize');
  const stream = new MessageStream(bodyBytes, batchSize);
  const log = new PlainLog(path.join(directory, 'plain.log'), batchSize);
  log.startFlusher();
  try {
    const stats = await runBenny('plain writev', () => log.appendBatch(stream.nextBodies()), sampling(params), false);
    const msgsPerSec = stats.ops * batchSize;
    return {
      metrics: {
        msgsPerSec,
        bodyBytesPerSec: msgsPerSec * bodyBytes,
        logBytesPerSec: msgsPerSec * (bodyBytes + 4),
        recordBytes: bodyBytes + 4,
        rmePercent: stats.rme,
        samples: stats.samples,
      },
    };
  } finally {
    await log.close();
  }
}

/** Fills the file, then parses it sequentially, refilling a 1 MiB buffer with readSync. */
export async function read(params: Params, directory: string): Promise<RunnerOutput> {
  const bodyBytes = num(params, 'bodyBytes');
  const total = num(params, 'messages');
  const readBatch = num(params, 'readBatch');
  const stream = new MessageStream(bodyBytes, 1000);
  const file = path.join(directory, 'plain.log');
  const log = new PlainLog(file, 1000);
  for (let n = 0; n < total; n += 1000) log.appendBatch(stream.nextBodies().slice(0, Math.min(1000, total - n)));
  await log.close();
  const fd = fs.openSync(file, 'r');
  const size = fs.fstatSync(fd).size;
  const chunk = Buffer.allocUnsafe(1024 * 1024);
  let filePosition = 0;
  let start = 0;
  let end = 0;
  let touched = 0;
  const refill = (): void => {
    chunk.copy(chunk, 0, start, end);
    end -= start;
    start = 0;
    if (filePosition >= size) filePosition = 0;
    const read = fs.readSync(fd, chunk, end, chunk.length - end, filePosition);
    filePosition += read;
    end += read;
  };
  try {
    const stats = await runBenny(
      'plain scan',
      () => {
        for (let i = 0; i < readBatch; i++) {
          if (end - start < 4 || end - start < 4 + chunk.readUInt32BE(start)) refill();
          const length = chunk.readUInt32BE(start);
          const body = chunk.subarray(start + 4, start + 4 + length);
          touched += body[0]! + body[length - 1]!;
          start += 4 + length;
        }
      },
      sampling(params),
      false,
    );
    const msgsPerSec = stats.ops * readBatch;
    return {
      metrics: { msgsPerSec, bodyBytesPerSec: msgsPerSec * bodyBytes, rmePercent: stats.rme, samples: stats.samples },
      details: { checksum: touched },
    };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Group commit, the floor for sync durability: appends queue their record; one loop writes
 * everything queued with a single write() and fdatasyncs, then resolves those appends;
 * appends arriving meanwhile wait for the next round.
 */
class GroupCommitLog {
  private readonly fd: number;
  private queued: Buffer[] = [];
  private waiters: (() => void)[] = [];
  private running = false;
  rounds = 0;

  constructor(file: string) {
    this.fd = fs.openSync(file, 'w+');
  }

  append(body: Buffer): Promise<void> {
    const header = Buffer.allocUnsafe(4);
    header.writeUInt32BE(body.length, 0);
    this.queued.push(header, body);
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    if (!this.running) {
      this.running = true;
      queueMicrotask(() => void this.run());
    }
    return done;
  }

  private async run(): Promise<void> {
    while (this.waiters.length > 0) {
      const buffers = this.queued;
      const waiters = this.waiters;
      this.queued = [];
      this.waiters = [];
      const data = Buffer.concat(buffers);
      fs.writeSync(this.fd, data);
      await fdatasync(this.fd);
      this.rounds++;
      for (const resolve of waiters) resolve();
    }
    this.running = false;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

export async function syncAppenders(params: Params, directory: string): Promise<RunnerOutput> {
  const bodyBytes = num(params, 'bodyBytes');
  const appenders = num(params, 'appenders');
  const stream = new MessageStream(bodyBytes, 100, 8, 16);
  const log = new GroupCommitLog(path.join(directory, 'plain.log'));
  const latency = createHistogram();
  let counting = false;
  let stopped = false;
  let completed = 0;
  let n = 0;
  const appender = async (): Promise<void> => {
    while (!stopped) {
      const body = stream.message(n++).body as Buffer;
      const started = performance.now();
      await log.append(body);
      if (counting) {
        completed++;
        latency.record(Math.max(1, Math.round((performance.now() - started) * 1e6)));
      }
    }
  };
  try {
    const running = Array.from({ length: appenders }, () => appender());
    await new Promise((resolve) => setTimeout(resolve, num(params, 'warmupMs')));
    counting = true;
    const rounds0 = log.rounds;
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, num(params, 'durationMs')));
    counting = false;
    const seconds = (performance.now() - started) / 1000;
    const rounds = log.rounds - rounds0;
    stopped = true;
    await Promise.all(running);
    const msgsPerSec = completed / seconds;
    return {
      metrics: {
        msgsPerSec,
        bodyBytesPerSec: msgsPerSec * bodyBytes,
        latencyP50Ms: latency.percentile(50) / 1e6,
        latencyP99Ms: latency.percentile(99) / 1e6,
        latencyMaxMs: latency.max / 1e6,
        msyncsPerSec: rounds / seconds,
        messagesPerMsync: rounds > 0 ? completed / rounds : 0,
      },
      details: { completed, seconds },
    };
  } finally {
    log.close();
  }
}

/**
 * Control for the event-loop trial: the same driver (a batch, then setImmediate) writing the
 * same bytes with writev and fdatasync every 500 ms. Its delay is this machine's noise floor at
 * the time of the run (other processes, GC, the driver itself), not anything the store does.
 */
export async function eventLoopControl(params: Params, directory: string): Promise<RunnerOutput> {
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const bodyBytes = num(params, 'bodyBytes');
  const batchSize = num(params, 'batchSize');
  const target = num(params, 'segments') * num(params, 'segmentBytes');
  const stream = new MessageStream(bodyBytes, batchSize, 8, 16);
  const log = new PlainLog(path.join(directory, 'plain.log'), batchSize);
  log.startFlusher();
  try {
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const started = performance.now();
    let last = started;
    let maxGap = 0;
    let appended = 0;
    while (log.written < target) {
      log.appendBatch(stream.nextBodies());
      appended += batchSize;
      await new Promise((resolve) => setImmediate(resolve));
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }
    const seconds = (performance.now() - started) / 1000;
    histogram.disable();
    return {
      metrics: {
        eventLoopMaxMs: histogram.max / 1e6,
        eventLoopP99Ms: histogram.percentile(99) / 1e6,
        eventLoopP50Ms: histogram.percentile(50) / 1e6,
        eventLoopMeanMs: histogram.mean / 1e6,
        maxTurnGapMs: maxGap,
        msgsPerSec: appended / seconds,
        logBytesPerSec: log.written / seconds,
      },
    };
  } finally {
    await log.close();
  }
}
