// What the broker's compressed-body check (protocol/compressed-body-check.ts) costs a send: one
// bounded inflate of each body that carries the compressed SYSFLAG. Times the check on typical
// compressed bodies (JSON records, deflated at the producer's level 5) from 4 KiB to 1 MiB
// uncompressed, next to the producer's own deflate of the same body, with process.hrtime.
//
//   npx tsc -p tsconfig.json && node dist/native-bench/compressed-body-check.bench.js [--seconds 2]
//
// Prints per size: the median time of one check (and p95) over repeated runs, the inflate rate
// in uncompressed MiB/s, and the deflate the producer already pays for the same body.
import zlib from 'node:zlib';

import { compressedBodyProblem } from '../protocol/compressed-body-check.js';

/** Uncompressed body sizes measured, in bytes. */
const BODY_BYTES = [4 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024];
/** The producer's zlib level (client/producer/outgoing-message.ts). */
const ZLIB_LEVEL = 5;
/** The broker's default message limit, the check's inflate bound. */
const MESSAGE_BYTES_MAX = 4 * 1024 * 1024;
const SECONDS_DEFAULT = 2;
const NS_PER_MS = 1e6;
const BYTES_PER_MIB = 1024 * 1024;

/** JSON order records with varied numbers and ids (a fixed LCG, so runs compare): ~4-6x deflate. */
function jsonBody(bytes: number): Buffer {
  let state = 42;
  const next = (): number => (state = (state * 1_103_515_245 + 12_345) >>> 0);
  const lines: string[] = [];
  let length = 0;
  while (length < bytes) {
    const line = JSON.stringify({
      orderId: `o-${next().toString(16)}`,
      customer: `c-${next() % 100_000}`,
      amount: (next() % 1_000_000) / 100,
      currency: ['EUR', 'USD', 'GBP'][next() % 3],
      items: Array.from({ length: 1 + (next() % 4) }, () => ({ sku: `sku-${next() % 5000}`, qty: 1 + (next() % 9) })),
      createdAt: 1_700_000_000_000 + (next() % 86_400_000),
    });
    lines.push(line);
    length += line.length + 1;
  }
  return Buffer.from(lines.join('\n')).subarray(0, bytes);
}

/** Runs `operation` for about `seconds`, returning each run's time in ms, sorted. */
function sample(seconds: number, operation: () => void): number[] {
  for (let i = 0; i < 20; i++) operation(); // warm up the JIT and zlib
  const times: number[] = [];
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < end) {
    const start = process.hrtime.bigint();
    operation();
    times.push(Number(process.hrtime.bigint() - start) / NS_PER_MS);
  }
  return times.sort((a, b) => a - b);
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function main(): void {
  const at = process.argv.indexOf('--seconds');
  const seconds = at >= 0 ? Number(process.argv[at + 1]) : SECONDS_DEFAULT;
  console.log(`compressed-body check: node ${process.version}, ${seconds} s per case`);
  console.log('| body | compressed | check median | check p95 | inflate rate | producer deflate median |');
  console.log('|---|---|---|---|---|---|');
  for (const bytes of BODY_BYTES) {
    const body = jsonBody(bytes);
    const compressed = zlib.deflateSync(body, { level: ZLIB_LEVEL });
    if (compressedBodyProblem(1, compressed, MESSAGE_BYTES_MAX) !== undefined) throw new Error('the body must pass');
    const check = sample(seconds, () => compressedBodyProblem(1, compressed, MESSAGE_BYTES_MAX));
    const deflate = sample(seconds, () => zlib.deflateSync(body, { level: ZLIB_LEVEL }));
    const median = quantile(check, 0.5);
    console.log(
      `| ${bytes / 1024} KiB | ${(compressed.length / 1024).toFixed(1)} KiB | ${median.toFixed(3)} ms | ` +
        `${quantile(check, 0.95).toFixed(3)} ms | ${(bytes / BYTES_PER_MIB / (median / 1000)).toFixed(0)} MiB/s | ` +
        `${quantile(deflate, 0.5).toFixed(3)} ms |`,
    );
  }
}

main();
