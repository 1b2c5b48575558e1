// Runners that drive Tributary's MessageStore through its public API only.
import path from 'node:path';

import { MessageStore, type MessageInput } from '../../storage/index.js';
import { bennyThroughput, runBenny, sampling } from '../lib/benny-case.js';
import { driveEventLoop, yieldToEventLoop } from '../lib/event-loop.js';
import { BENCH_TOPIC, MessageStream } from '../lib/messages.js';
import { waitForPreheat } from '../lib/settle.js';
import { runTimedAppenders } from '../lib/timed-appenders.js';
import { num, type Params, type RunnerOutput } from '../lib/trial-types.js';

/** Commit log bytes per message, from the store's own offsets. */
function recordBytes(store: MessageStore, messages: number): number {
  return messages > 0 ? store.stats().maxOffset / messages : 0;
}

function storeDir(directory: string): string {
  return path.join(directory, 'store');
}

/**
 * Opens a fresh store, appends one warm-up batch (which takes segment 0 and starts preparing
 * segment 1), then waits until both are preheated, so trials time steady state. Returns the
 * wait as settleMs (the cold-start cost, reported separately).
 */
async function openSettled(
  directory: string,
  options: Parameters<typeof MessageStore.open>[1],
  warmUp: MessageInput[],
): Promise<{ store: MessageStore; settleMs: number }> {
  const store = await MessageStore.open(storeDir(directory), options);
  await store.appendBatch(warmUp);
  const settleMs = await waitForPreheat(store);
  return { store, settleMs };
}

/** appendBatch(batchSize messages) as one benny operation. */
export async function appendBatch(params: Params, directory: string): Promise<RunnerOutput> {
  const bodyBytes = num(params, 'bodyBytes');
  const batchSize = num(params, 'batchSize');
  const stream = new MessageStream(bodyBytes, batchSize);
  const { store, settleMs } = await openSettled(
    directory,
    { segmentBytes: num(params, 'segmentBytes'), flush: 'async' },
    stream.nextMessages(),
  );
  let appended = batchSize;
  try {
    const stats = await runBenny(
      'appendBatch',
      () => {
        appended += batchSize;
        return store.appendBatch(stream.nextMessages());
      },
      sampling(params),
      true,
    );
    const { msgsPerSec, bodyBytesPerSec, rmePercent, samples } = bennyThroughput(stats, batchSize, bodyBytes);
    const perRecord = recordBytes(store, appended);
    const storeStats = store.stats();
    return {
      metrics: {
        msgsPerSec,
        bodyBytesPerSec,
        logBytesPerSec: msgsPerSec * perRecord,
        recordBytes: perRecord,
        rmePercent,
        samples,
        allocationStalls: storeStats.allocationStalls,
        segments: storeStats.segments,
        settleMs,
      },
      details: { appended, logBytes: storeStats.maxOffset },
    };
  } finally {
    await store.close();
  }
}

/**
 * Single append() calls with `inFlight` outstanding: `inFlight` concurrent async appenders, each
 * awaiting its own append before issuing the next, as independent producers would. Each
 * appender yields to the event loop (setImmediate) after every `yieldEvery` of its appends, so
 * the loop turns at least once per inFlight * yieldEvery appends and timers (the async
 * flusher, checkpoints) run as they would in a server. One benny operation = every appender
 * doing `perAppender` appends.
 */
export async function appendWindow(params: Params, directory: string): Promise<RunnerOutput> {
  const bodyBytes = num(params, 'bodyBytes');
  const inFlight = num(params, 'inFlight');
  const perAppender = num(params, 'perAppender');
  const yieldEvery = num(params, 'yieldEvery');
  const stream = new MessageStream(bodyBytes, 256, 8, 64);
  const { store, settleMs } = await openSettled(
    directory,
    { segmentBytes: num(params, 'segmentBytes'), flush: 'async' },
    stream.nextMessages(),
  );
  let n = 256;
  const appender = async (): Promise<void> => {
    for (let k = 1; k <= perAppender; k++) {
      await store.append(stream.message(n++));
      if (k % yieldEvery === 0) await yieldToEventLoop();
    }
  };
  const operation = async (): Promise<void> => {
    const running: Promise<void>[] = [];
    for (let i = 0; i < inFlight; i++) running.push(appender());
    await Promise.all(running);
  };
  try {
    const stats = await runBenny('append window', operation, sampling(params), true);
    const perOperation = inFlight * perAppender;
    const { msgsPerSec, bodyBytesPerSec, rmePercent, samples } = bennyThroughput(stats, perOperation, bodyBytes);
    return {
      metrics: {
        msgsPerSec,
        bodyBytesPerSec,
        recordBytes: recordBytes(store, n),
        rmePercent,
        samples,
        allocationStalls: store.stats().allocationStalls,
        settleMs,
      },
      details: { appended: n, messagesPerOperation: perOperation },
    };
  } finally {
    await store.close();
  }
}

/** Fills queue 0 of one topic, then read(topic, 0, offset, readBatch) in a loop over it. */
export async function readSequential(params: Params, directory: string): Promise<RunnerOutput> {
  const bodyBytes = num(params, 'bodyBytes');
  const total = num(params, 'messages');
  const readBatch = num(params, 'readBatch');
  if (total % readBatch !== 0) throw new Error('messages must be a multiple of readBatch');
  const store = await MessageStore.open(storeDir(directory), {
    segmentBytes: num(params, 'segmentBytes'),
    flush: 'async',
  });
  try {
    const stream = new MessageStream(bodyBytes, 100, 1);
    for (let written = 0; written < total; written += 100) {
      const batch = stream.nextMessages().slice(0, Math.min(100, total - written));
      await store.appendBatch(batch);
    }
    await store.flush();
    let offset = 0;
    let touched = 0;
    const operation = (): void => {
      const result = store.read(BENCH_TOPIC, 0, offset, readBatch);
      const messages = result.messages;
      if (messages.length !== readBatch) throw new Error(`read returned ${messages.length} (${result.status})`);
      for (let i = 0; i < messages.length; i++) {
        const body = messages[i]!.body;
        touched += body[0]! + body[body.length - 1]!;
      }
      offset = result.nextQueueOffset === total ? 0 : result.nextQueueOffset;
    };
    const stats = await runBenny('read', operation, sampling(params), false);
    return {
      metrics: bennyThroughput(stats, readBatch, bodyBytes),
      details: { storedMessages: total, checksum: touched },
    };
  } finally {
    await store.close();
  }
}

/**
 * flush:'sync': `appenders` async loops, each appending one message and awaiting it (it
 * resolves only after an msync covers it) before the next, measured by lib/timed-appenders.ts
 * (`durationMs` after `warmupMs`). Also counts commit-log msyncs by wrapping the store's
 * internal commitLog.flush for the measured window (instrumentation only, no behaviour change).
 */
export async function syncAppenders(params: Params, directory: string): Promise<RunnerOutput> {
  const bodyBytes = num(params, 'bodyBytes');
  const stream = new MessageStream(bodyBytes, 100, 8, 16);
  const { store, settleMs } = await openSettled(
    directory,
    { segmentBytes: num(params, 'segmentBytes'), flush: 'sync' },
    stream.nextMessages(),
  );
  const flushes = countFlushes(store);
  try {
    const { metrics, completed, seconds } = await runTimedAppenders(params, {
      append: (n) => store.append(stream.message(n)),
      bodyBytes,
      onMeasuring: () => flushes.reset(),
    });
    const msyncs = flushes.count;
    return {
      metrics: {
        ...metrics,
        msyncsPerSec: msyncs / seconds,
        messagesPerMsync: msyncs > 0 ? completed / msyncs : 0,
        settleMs,
      },
      details: { completed, seconds },
    };
  } finally {
    await store.close();
  }
}

/** Wraps the store's internal commit-log flush to count msyncs (benchmark instrumentation). */
function countFlushes(store: MessageStore): { count: number; reset(): void } {
  const counter = {
    count: 0,
    reset(): void {
      this.count = 0;
    },
  };
  const commitLog = (store as unknown as { commitLog?: { flush?: () => Promise<number> } }).commitLog;
  const original = commitLog?.flush;
  if (commitLog !== undefined && typeof original === 'function') {
    commitLog.flush = function (this: unknown): Promise<number> {
      counter.count++;
      return original.call(commitLog);
    };
  }
  return counter;
}

/**
 * Event-loop delay while appending across several segments: appendBatch then setImmediate
 * after every batch, so any stall the store causes (segment roll, msync, checkpoint, file
 * creation) shows up as loop delay rather than being hidden inside a long synchronous loop.
 * Measured with perf_hooks.monitorEventLoopDelay (resolution 1 ms) and, independently, as the
 * longest gap between two consecutive turns of the driver.
 */
export async function eventLoop(params: Params, directory: string): Promise<RunnerOutput> {
  const bodyBytes = num(params, 'bodyBytes');
  const batchSize = num(params, 'batchSize');
  const segmentBytes = num(params, 'segmentBytes');
  const target = num(params, 'segments') * segmentBytes;
  const stream = new MessageStream(bodyBytes, batchSize, 8, 16);
  const options = { segmentBytes, flush: 'async', preheat: true } as const;
  const settle = params['settle'] === true;
  const { store, settleMs } = settle
    ? await openSettled(directory, options, stream.nextMessages())
    : { store: await MessageStore.open(storeDir(directory), options), settleMs: 0 };
  try {
    const drive = await driveEventLoop(
      () => store.appendBatch(stream.nextMessages()),
      batchSize,
      () => store.stats().maxOffset >= target,
    );
    const stats = store.stats();
    return {
      metrics: {
        ...drive.metrics,
        logBytesPerSec: stats.maxOffset / drive.seconds,
        segments: stats.segments,
        allocationStalls: stats.allocationStalls,
        settleMs,
      },
      details: {
        appended: drive.appended,
        turnGapsOver5Ms: drive.longGapsMs.slice(0, 50),
        turnGapsOver5MsCount: drive.longGapsMs.length,
      },
    };
  } finally {
    await store.close();
  }
}

export type { MessageInput };
