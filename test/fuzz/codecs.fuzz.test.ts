// Fuzzing the wire and store decoders: the frame decoder, the three header codecs, the pull
// body and batch decoders, and the store's record check each take EVENTS_MAX inputs (default
// 1,000,000; 10,000,000 with SOAK=1), half pure random and half mutations of valid encodings,
// and must answer each with a result or their documented error only, within SLOW_DECODE_MS,
// without hanging and without keeping memory. Targets run in worker threads, as many at a time
// as there are cores. The canaries prove the harness reports each kind of failure.
//
//   npx uvu dist/test '^fuzz/codecs\.fuzz\.test\.js$'
//   SEED=<n> EVENTS_MAX=<m> FUZZ_TARGET=json-header npx uvu dist/test '^fuzz/codecs'   (replay)
//   FUZZ_REPORT=fuzz-report.json ...   (also writes the reports as JSON)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { test } from 'uvu';

import { FrameDecoder, type RawFrame } from '../../protocol/remoting-frame.js';
import {
  FuzzFailure,
  formatFuzzReport,
  limitConcurrency,
  runFuzzWorker,
  type FuzzReport,
} from '../support/fuzz-harness.js';
import { seededRandom } from '../support/seeded-random.js';
import { soakScale } from '../support/soak-scale.js';
import { CODEC_FUZZ_TARGETS } from './codec-fuzz-targets.js';

const WORKER = new URL('./codec-fuzz-worker.js', import.meta.url);
const INPUTS = Number(process.env.EVENTS_MAX ?? soakScale(1_000_000, 10_000_000));
const CANARY_INPUTS = 20_000;
const CANARY_HANG_MS = 1000;
const TRICKLED_FRAME_BYTES = 1024 * 1024;
const TRICKLED_FRAME_MS_MAX = 2000;
const { seed } = seededRandom('fuzz codecs');
const only = process.env.FUZZ_TARGET;
const targets = CODEC_FUZZ_TARGETS.map((target) => target.name).filter((name) => only === undefined || name === only);

const pooled = limitConcurrency<FuzzReport>(os.availableParallelism());
const runs = new Map<string, Promise<FuzzReport>>();
const reports: FuzzReport[] = [];

// Every target starts when this suite does (not on import: uvu imports every test file before
// it runs any), so the workers keep all cores busy while the tests below await them in order.
test.before(() => {
  for (const name of targets) {
    const run = pooled(() => runFuzzWorker(WORKER, name, { seed, inputs: INPUTS }));
    run.catch(() => undefined);
    runs.set(name, run);
  }
});

for (const name of targets) {
  test(`fuzz: ${name} takes ${INPUTS.toLocaleString('en-US')} random and mutated inputs with only documented errors, no hang, no leak`, async () => {
    const report = await runs.get(name)!;
    reports.push(report);
    console.log(`  [fuzz] ${formatFuzzReport(report)}`);
    assert.equal(report.inputs, INPUTS);
    assert.equal(report.randomInputs, Math.ceil(INPUTS / 2));
  });
}

const canaries: [string, RegExp][] = [
  [
    'canary-type-error',
    /input #\d+ .*replay: SEED=\d+ EVENTS_MAX=\d+ FUZZ_TARGET=canary-type-error\).* threw an undocumented TypeError/s,
  ],
  ['canary-hang', /input #\d+ did not finish within 1000 ms \(a hang\); replay: SEED=\d+/],
  ['canary-slow', /took \d+\.\d ms at best of 3 \(bound 50 ms\)/],
  ['canary-leak', /memory kept after GC grew over the run/],
];

for (const [name, expected] of canaries) {
  if (only !== undefined && only !== name) continue;
  test(`fuzz: the harness reports a broken decoder (${name})`, async () => {
    const run = pooled(() => runFuzzWorker(WORKER, name, { seed, inputs: CANARY_INPUTS, hangMs: CANARY_HANG_MS }));
    await assert.rejects(run, (error: unknown) => {
      assert.ok(error instanceof FuzzFailure, `not a FuzzFailure: ${String(error)}`);
      assert.match(error.message, expected);
      return true;
    });
  });
}

/**
 * A frame a byte at a time: each push must cost O(1) amortized. Quadratic versions (peeking
 * the length by joining every pending chunk, shifting used chunks one by one) took 130 s for
 * 64 KiB; linear ones take well under a second for 1 MiB.
 */
const trickleTest = only === undefined || only === 'frame-decoder' ? test : test.skip;
trickleTest(
  `fuzz: frame-decoder takes a ${TRICKLED_FRAME_BYTES / 1024 / 1024} MiB frame a byte at a time in linear time`,
  () => {
    const frame = Buffer.alloc(TRICKLED_FRAME_BYTES);
    frame.writeUInt32BE(TRICKLED_FRAME_BYTES - 4, 0);
    const decoder = new FrameDecoder();
    const frames: RawFrame[] = [];
    const started = performance.now();
    for (let at = 0; at < frame.length; at++)
      decoder.push(frame.subarray(at, at + 1), (decoded) => frames.push(decoded));
    const elapsedMs = performance.now() - started;
    console.log(`  [fuzz] a ${TRICKLED_FRAME_BYTES} byte frame a byte at a time: ${elapsedMs.toFixed(0)} ms`);
    assert.equal(frames.length, 1);
    assert.equal(frames[0]!.body.length, TRICKLED_FRAME_BYTES - 8);
    assert.ok(elapsedMs < TRICKLED_FRAME_MS_MAX, `${elapsedMs.toFixed(0)} ms`);
  },
);

test.after(() => {
  if (process.env.FUZZ_REPORT !== undefined)
    fs.writeFileSync(process.env.FUZZ_REPORT, JSON.stringify(reports, null, 2));
});

test.run();
