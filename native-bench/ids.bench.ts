// Unique ids, side by side with Redis in one run:
//
//   segment-next     SegmentIdGenerator.next() in one client (ranges from 10,000, growing by
//                    Leaf's dynamic step, fetched ahead), with the times it found both buffers empty
//   snowflake-next   SnowflakeIdGenerator.next(): the default layout (12 sequence bits caps it
//                    at 4,096 ids per ms = 4.096 M/s by design) and 13- and 17-bit-sequence layouts
//   take-range       TAKE_RANGE round trips at the broker, 64 in flight (each logged before
//                    its answer): ranges a second
//   redis-incr       Redis INCR, 64 in flight (one id per round trip, what a segment next()
//                    replaces), and INCRBY 10000 (a range per round trip, what take-range does)
//
// The generators run in batches of 10,000 ids with an event-loop turn between (so background
// range fetches land); the turns are inside the measured time. The broker is a child process
// (async flush); Redis runs with appendonly yes, appendfsync everysec (Tributary's async flush
// is the comparable mode). Redis is skipped, with a message, when redis-server is not installed.
//
//   npm run build && node dist/native-bench/ids.bench.js [--seconds 3]
//
// Prints one line per figure; writes results/ids-<timestamp>.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Redis } from 'ioredis';

import { ClientError, IdClient } from '../client/index.js';
import { environmentNow } from '../bench/run-environment.js';
import { saveResultsFile } from '../bench/results-file.js';
import { startBenchBroker } from './lib/bench-broker-process.js';
import { RESULTS_DIRECTORY } from './lib/results-directory.js';
import { startRedisServer } from './peers/redis-server-process.js';
import { findServerBinary, missingServerMessage } from './peers/server-binary.js';

const BATCH_IDS = 10_000;
const IN_FLIGHT = 64;
const RANGE_SIZE = 10_000;
const SECONDS_DEFAULT = 3;

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
}

const measureMs = Number(flag('seconds') ?? SECONDS_DEFAULT) * 1000;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

let stalls = 0;

/**
 * Calls `next` in batches for the measured time; ids a second. When `next` finds no range at
 * hand (ID_BUFFER_EMPTY), `wait` takes the id instead (counted in `stalls`), as a caller would.
 */
async function generatorRate(next: () => unknown, wait?: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const started = performance.now();
  let sink: unknown;
  while (performance.now() - started < measureMs) {
    for (let i = 0; i < BATCH_IDS; i++) {
      try {
        sink = next();
      } catch (error) {
        if (wait === undefined || !(error instanceof ClientError) || error.code !== 'ID_BUFFER_EMPTY') throw error;
        stalls++;
        sink = await wait();
      }
    }
    count += BATCH_IDS;
    await turn();
  }
  if (sink === undefined) throw new Error('no id');
  return count / ((performance.now() - started) / 1000);
}

/** Keeps IN_FLIGHT calls of `call` going for the measured time; calls a second. */
async function roundTripRate(call: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (performance.now() - started < measureMs) {
      await call();
      count++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return count / ((performance.now() - started) / 1000);
}

async function tributaryFigures(): Promise<Record<string, number>> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-ids-'));
  const broker = await startBenchBroker(directory);
  const ids = new IdClient({ nameServer: broker.nameServer });
  try {
    await ids.createSequence('bench', { start: 1, step: 1 });
    const segment = await ids.segment('bench', { rangeSize: RANGE_SIZE });
    const figures: Record<string, number> = {};
    figures['segment-next ids/s'] = await generatorRate(
      () => segment.next(),
      () => segment.nextAsync(),
    );
    figures['segment-next stalls (both buffers empty)'] = stalls;
    const snowflake = await ids.snowflake('bench');
    figures['snowflake-next ids/s (12 sequence bits)'] = await generatorRate(() => snowflake.next());
    const wide = await ids.snowflake('bench-wide', { layout: { workerBits: 9, sequenceBits: 13 } });
    figures['snowflake-next ids/s (13 sequence bits)'] = await generatorRate(() => wide.next());
    const widest = await ids.snowflake('bench-widest', { layout: { workerBits: 5, sequenceBits: 17 } });
    figures['snowflake-next ids/s (17 sequence bits)'] = await generatorRate(() => widest.next());
    figures['take-range ranges/s'] = await roundTripRate(() => ids.takeRange('bench', RANGE_SIZE));
    return figures;
  } finally {
    await ids.close();
    await broker.stop();
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

async function redisFigures(): Promise<Record<string, number> | string> {
  if (findServerBinary('redis-server') === undefined) return missingServerMessage('redis-server', 'Redis INCR');
  const server = await startRedisServer('everysec');
  const redis = new Redis({ port: server.process.port, host: '127.0.0.1', protocol: 2 } as never);
  try {
    return {
      'redis INCR ids/s': await roundTripRate(() => redis.incr('bench-incr')),
      'redis INCRBY ranges/s': await roundTripRate(() => redis.incrby('bench-incrby', RANGE_SIZE)),
    };
  } finally {
    redis.disconnect();
    await server.process.stop();
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const tributary = await tributaryFigures();
  const redis = await redisFigures();
  for (const [name, value] of Object.entries(tributary)) console.log(`${name.padEnd(42)} ${Math.round(value)}`);
  const ratios: Record<string, number> = {};
  if (typeof redis === 'string') console.log(`redis skipped: ${redis}`);
  else {
    for (const [name, value] of Object.entries(redis)) console.log(`${name.padEnd(42)} ${Math.round(value)}`);
    ratios['segment next / redis INCR'] = tributary['segment-next ids/s']! / redis['redis INCR ids/s']!;
    ratios['take-range / redis INCRBY'] = tributary['take-range ranges/s']! / redis['redis INCRBY ranges/s']!;
    for (const [name, value] of Object.entries(ratios)) console.log(`${name.padEnd(42)} ${value.toFixed(2)}x`);
  }
  const file = saveResultsFile(
    { directory: RESULTS_DIRECTORY, name: 'ids', startedAt },
    { environment: environmentNow(), measureMs, inFlight: IN_FLIGHT, rangeSize: RANGE_SIZE, tributary, redis, ratios },
  );
  console.log(`results: ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
