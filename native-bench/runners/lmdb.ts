// lmdb-js peers. The log is a B+tree keyed by a monotonic uint32 sequence number.
import path from 'node:path';

import { open, type RootDatabase } from 'lmdb';

import { bennyThroughput, runBenny, sampling } from '../lib/benny-case.js';
import { MessageStream } from '../lib/messages.js';
import { runTimedAppenders } from '../lib/timed-appenders.js';
import { num, type Params, type RunnerOutput } from '../lib/trial-types.js';

type LogDb = RootDatabase<Buffer, number>;

/** The flags stated in lib/durability.ts: lmdbNoSync / lmdbSync. */
function openLog(directory: string, durable: boolean): LogDb {
  return open<Buffer, number>({
    path: path.join(directory, 'lmdb'),
    compression: false,
    encoding: 'binary',
    keyEncoding: 'uint32',
    ...(durable ? { overlappingSync: false } : { noSync: true }),
  });
}

/** batchSize async put()s issued in one turn (lmdb-js batches them into one write txn), await the last. */
export async function appendAsync(params: Params, directory: string): Promise<RunnerOutput> {
  const bodyBytes = num(params, 'bodyBytes');
  const batchSize = num(params, 'batchSize');
  const stream = new MessageStream(bodyBytes, batchSize);
  const db = openLog(directory, false);
  let key = 0;
  try {
    const stats = await runBenny(
      'lmdb put',
      () => {
        let last: Promise<boolean> | undefined;
        for (const body of stream.nextBodies()) last = db.put(key++, body);
        return last;
      },
      sampling(params),
      true,
    );
    return { metrics: bennyThroughput(stats, batchSize, bodyBytes) };
  } finally {
    await db.close();
  }
}

/** One synchronous write transaction of batchSize putSync()s. */
export async function appendTxn(params: Params, directory: string): Promise<RunnerOutput> {
  const bodyBytes = num(params, 'bodyBytes');
  const batchSize = num(params, 'batchSize');
  const stream = new MessageStream(bodyBytes, batchSize);
  const db = openLog(directory, false);
  let key = 0;
  try {
    const stats = await runBenny(
      'lmdb transactionSync',
      () =>
        db.transactionSync(() => {
          for (const body of stream.nextBodies()) db.putSync(key++, body);
        }),
      sampling(params),
      false,
    );
    return { metrics: bennyThroughput(stats, batchSize, bodyBytes) };
  } finally {
    await db.close();
  }
}

/** Fills `messages` keys, then getRange over readBatch keys at a time, touching each value. */
export async function readRange(params: Params, directory: string): Promise<RunnerOutput> {
  const bodyBytes = num(params, 'bodyBytes');
  const total = num(params, 'messages');
  const readBatch = num(params, 'readBatch');
  const stream = new MessageStream(bodyBytes, 1000);
  const db = openLog(directory, false);
  try {
    for (let key = 0; key < total;) {
      const bodies = stream.nextBodies();
      db.transactionSync(() => {
        for (const body of bodies) if (key < total) db.putSync(key++, body);
      });
    }
    await db.flushed;
    let start = 0;
    let touched = 0;
    const stats = await runBenny(
      'lmdb getRange',
      () => {
        let count = 0;
        for (const { value } of db.getRange({ start, end: start + readBatch })) {
          touched += value[0]! + value[value.length - 1]!;
          count++;
        }
        if (count !== readBatch) throw new Error(`getRange returned ${count}`);
        start = start + readBatch >= total ? 0 : start + readBatch;
      },
      sampling(params),
      false,
    );
    return { metrics: bennyThroughput(stats, readBatch, bodyBytes), details: { checksum: touched } };
  } finally {
    await db.close();
  }
}

/** Like Tributary's sync trial: `appenders` loops, each awaiting a durable put before the next. */
export async function syncAppenders(params: Params, directory: string): Promise<RunnerOutput> {
  const bodyBytes = num(params, 'bodyBytes');
  const stream = new MessageStream(bodyBytes, 100, 8, 16);
  const db = openLog(directory, true);
  try {
    const { metrics, completed, seconds } = await runTimedAppenders(params, {
      append: (n) => db.put(n, stream.message(n).body as Buffer),
      bodyBytes,
    });
    return { metrics, details: { completed, seconds } };
  } finally {
    await db.close();
  }
}
