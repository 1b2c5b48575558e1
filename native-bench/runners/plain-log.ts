// The floor of any log: length-prefixed records (u32 big-endian length + body) appended to one
// file, no index, no per-message header, no checksum. Durability by batched fdatasync.
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { bennyThroughput, runBenny, sampling } from '../lib/benny-case.js';
import { driveEventLoop } from '../lib/event-loop.js';
import { MessageStream } from '../lib/messages.js';
import { runTimedAppenders } from '../lib/timed-appenders.js';
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
    const throughput = bennyThroughput(stats, batchSize, bodyBytes);
    return {
      metrics: {
        ...throughput,
        logBytesPerSec: throughput.msgsPerSec * (bodyBytes + 4),
        recordBytes: bodyBytes + 4,
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
    return { metrics: bennyThroughput(stats, readBatch, bodyBytes), details: { checksum: touched } };
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
  const stream = new MessageStream(bodyBytes, 100, 8, 16);
  const log = new GroupCommitLog(path.join(directory, 'plain.log'));
  let roundsAtStart = 0;
  try {
    const { metrics, completed, seconds } = await runTimedAppenders(params, {
      append: (n) => log.append(stream.message(n).body as Buffer),
      bodyBytes,
      onMeasuring: () => (roundsAtStart = log.rounds),
    });
    const rounds = log.rounds - roundsAtStart;
    return {
      metrics: {
        ...metrics,
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
  const bodyBytes = num(params, 'bodyBytes');
  const batchSize = num(params, 'batchSize');
  const target = num(params, 'segments') * num(params, 'segmentBytes');
  const stream = new MessageStream(bodyBytes, batchSize, 8, 16);
  const log = new PlainLog(path.join(directory, 'plain.log'), batchSize);
  log.startFlusher();
  try {
    const drive = await driveEventLoop(
      () => log.appendBatch(stream.nextBodies()),
      batchSize,
      () => log.written >= target,
    );
    return { metrics: { ...drive.metrics, logBytesPerSec: log.written / drive.seconds } };
  } finally {
    await log.close();
  }
}
