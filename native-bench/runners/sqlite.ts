// better-sqlite3 peers: one table, rowid = sequence number, WAL with synchronous=NORMAL.
import { createRequire } from 'node:module';
import path from 'node:path';

import { bennyThroughput, runBenny, sampling } from '../lib/benny-case.js';
import { MessageStream } from '../lib/messages.js';
import { num, type Params, type RunnerOutput } from '../lib/trial-types.js';

// better-sqlite3 ships no types and @types/better-sqlite3 is not worth a dependency for this.
interface Statement {
  run(...values: unknown[]): unknown;
  all(...values: unknown[]): unknown[];
  pluck(on?: boolean): Statement;
}
interface Database {
  pragma(source: string, options?: { simple?: boolean }): unknown;
  exec(source: string): void;
  prepare(source: string): Statement;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}
const require = createRequire(import.meta.url);
const DatabaseClass = require('better-sqlite3') as new (file: string) => Database;

function openLog(directory: string): Database {
  const db = new DatabaseClass(path.join(directory, 'log.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE log (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  return db;
}

/** One transaction of batchSize INSERTs per operation. */
export async function append(params: Params, directory: string): Promise<RunnerOutput> {
  const bodyBytes = num(params, 'bodyBytes');
  const batchSize = num(params, 'batchSize');
  const stream = new MessageStream(bodyBytes, batchSize);
  const db = openLog(directory);
  try {
    const insert = db.prepare('INSERT INTO log (id, body) VALUES (?, ?)');
    let id = 0;
    const batch = db.transaction((bodies: Buffer[]) => {
      for (const body of bodies) insert.run(id++, body);
    });
    const stats = await runBenny('sqlite insert', () => batch(stream.nextBodies()), sampling(params), false);
    return {
      metrics: bennyThroughput(stats, batchSize, bodyBytes),
      details: {
        journalMode: db.pragma('journal_mode', { simple: true }),
        synchronous: db.pragma('synchronous', { simple: true }),
      },
    };
  } finally {
    db.close();
  }
}

/** Fills `messages` rows, then SELECT body WHERE id >= ? ORDER BY id LIMIT readBatch. */
export async function read(params: Params, directory: string): Promise<RunnerOutput> {
  const bodyBytes = num(params, 'bodyBytes');
  const total = num(params, 'messages');
  const readBatch = num(params, 'readBatch');
  const stream = new MessageStream(bodyBytes, 1000);
  const db = openLog(directory);
  try {
    const insert = db.prepare('INSERT INTO log (id, body) VALUES (?, ?)');
    let id = 0;
    const fill = db.transaction((bodies: Buffer[]) => {
      for (const body of bodies) if (id < total) insert.run(id++, body);
    });
    while (id < total) fill(stream.nextBodies());
    const select = db.prepare('SELECT body FROM log WHERE id >= ? ORDER BY id LIMIT ?').pluck();
    let start = 0;
    let touched = 0;
    const stats = await runBenny(
      'sqlite select',
      () => {
        const rows = select.all(start, readBatch) as Buffer[];
        if (rows.length !== readBatch) throw new Error(`select returned ${rows.length}`);
        for (const body of rows) touched += body[0]! + body[body.length - 1]!;
        start = start + readBatch >= total ? 0 : start + readBatch;
      },
      sampling(params),
      false,
    );
    return { metrics: bennyThroughput(stats, readBatch, bodyBytes), details: { checksum: touched } };
  } finally {
    db.close();
  }
}
