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

/**
 * A benny case of one batch per operation: `append` writes `bodies` under keys from `firstKey`
 * on; isAsync says whether it returns a promise to await.
 */
async function appendCase(
  params: Params,
  directory: string,
  name: string,
  isAsync: boolean,
  append: (db: LogDb, bodies: readonly Buffer[], firstKey: number) => unknown,
): Promise<RunnerOutput> {
  const bodyBytes = num(params, 'bodyBytes');
  const batchSize = num(params, 'batchSize');
  const stream = new MessageStream(bodyBytes, batchSize);
  const db = openLog(directory, false);
  let key = 0;
  try {
    const operation = (): unknown => {
      const bodies = stream.nextBodies();
      const firstKey = key;
      key += bodies.length;
      return append(db, bodies, firstKey);
    };
    const stats = await runBenny(name, operation, sampling(params), isAsync);
    return { metrics: bennyThroughput(stats, batchSize, bodyBytes) };
  } finally {
    await db.close();
  }
}

/** batchSize async put()s issued in one turn (lmdb-js batches them into one write txn), await the last. */
export function appendAsync(params: Params, directory: string): Promise<RunnerOutput> {
  return appendCase(params, directory, 'lmdb put', true, (db, bodies, firstKey) => {
    let last: Promise<boolean> | undefined;
    for (let i = 0; i < bodies.length; i++) last = db.put(firstKey + i, bodies[i]!);
    return last;
  });
}

/** One synchronous write transaction of batchSize putSync()s. */
export function appendTxn(params: Params, directory: string): Promise<RunnerOutput> {
  return appendCase(params, directory, 'lmdb transactionSync', false, (db, bodies, firstKey) =>
    db.transactionSync(() => {
      for (let i = 0; i < bodies.length; i++) db.putSync(firstKey + i, bodies[i]!);
    }),
  );
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
