// The fuzz harness of test/fuzz/: feeds a decoder a stream of seeded inputs, half pure random
// bytes and half mutations of valid encodings (byte-mutator.ts), and fails on the first input
// that makes it throw anything but its documented error, run longer than SLOW_DECODE_MS, or
// hang; after the run it fails if memory kept after garbage collection grew. It counts every
// outcome (accepted, rejected by each error code) for the report.
//
// Each target runs in a worker thread (runFuzzWorker), so a decoder stuck in a loop can be
// stopped: the worker publishes the index of the input it is decoding in shared memory, and
// the main thread terminates it when that index stops moving for `hangMs`. Every failure names
// the seed and the input index; `SEED=<seed> EVENTS_MAX=<index + 1> FUZZ_TARGET=<name>` replays
// the run up to the failing input (the input stream does not depend on the count).
//
// Decoders run with Error.stackTraceLimit = 0 (capturing stacks is most of what a rejected
// input costs); a failing input is decoded once more with stacks for the report. The event
// loop turns every EVENT_LOOP_TURN_EVERY inputs, as it would between a server's reads. The
// time measured for an input includes its target's oracle.
//
//   main thread:  runFuzzWorker(workerScript, 'json-header', { seed, inputs }) → FuzzReport
//   worker:       serveFuzzWorker([targets...])   (fuzzLoop on the named target)
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Worker, parentPort, workerData } from 'node:worker_threads';

import { mutateBytes, type FuzzSample } from './byte-mutator.js';
import { seededRandom, type SeededRandom } from './seeded-random.js';

/** A decode slower than this is a finding (once confirmed by two retries). */
export const SLOW_DECODE_MS = 50;
/** An input that has not finished after this long is a hang. */
export const HANG_MS_DEFAULT = 10_000;
/** Memory kept after GC may grow this much over a run (JIT code, caches) before it is a leak. */
export const RETAINED_GROWTH_BYTES_MAX = 8 * 1024 * 1024;
/** Valid samples kept for mutation; fresh ones replace them one in CORPUS_REFRESH_EVERY picks. */
const CORPUS_SIZE = 256;
const CORPUS_REFRESH_EVERY = 32;
/** Larger samples (16 MiB frames) are used once, never kept, so they do not count as retained. */
const CORPUS_SAMPLE_BYTES_MAX = 64 * 1024;
/** One mutated-half input in this many is the valid sample itself, unmutated. */
const UNMUTATED_EVERY = 16;
/** Memory is sampled for the peak this often; the baseline is taken after the warm-up. */
const MEMORY_SAMPLE_EVERY = 4096;
const WARMUP_INPUTS_MAX = 10_000;
/** The event loop turns, and the sentinel is checked, this often. */
const EVENT_LOOP_TURN_EVERY = 1000;
const HEX_SHOWN_BYTES = 256;
const WATCHDOG_INTERVAL_MS = 100;

/** What each kind of input is, for the decoder's oracles. */
export type FuzzInputKind = 'random' | 'mutated' | 'valid';

export interface FuzzTarget {
  readonly name: string;
  /** A valid encoding (or a well-formed hostile one) to mutate; set `valid` when it must decode. */
  sample(random: SeededRandom): FuzzSample & { readonly valid?: boolean };
  /** A pure random input; the default is random bytes, mostly short. */
  randomInput?(random: SeededRandom): Buffer;
  /**
   * Decodes `input`, checks what came out (throwing an AssertionError on a wrong result) and
   * returns the outcome's label for the counts. `original` is the sample when `input` is that
   * sample unmutated. Errors the decoder throws pass through.
   */
  decode(
    input: Buffer,
    random: SeededRandom,
    original: (FuzzSample & { readonly valid?: boolean }) | undefined,
  ): string;
  /** The count label of an error the decoder documents; undefined for anything else (a bug). */
  classifyError(error: unknown): string | undefined;
  /** Throws unless the decoder still decodes a known input right (no state left corrupted). */
  sentinel?(): void;
}

export interface FuzzReport {
  readonly target: string;
  readonly seed: number;
  readonly inputs: number;
  readonly randomInputs: number;
  readonly mutatedInputs: number;
  /** Unmutated valid samples, part of the mutated half. */
  readonly validInputs: number;
  readonly outcomes: Readonly<Record<string, number>>;
  readonly decodeMsMax: number;
  readonly decodeMsMaxInput: number;
  /** Inputs over SLOW_DECODE_MS once that were fast on retry (the machine, not the input). */
  readonly slowRetriedFast: number;
  readonly heapGrowthBytes: number;
  readonly arrayBuffersGrowthBytes: number;
  readonly heapPeakBytes: number;
  readonly arrayBuffersPeakBytes: number;
  readonly durationMs: number;
}

export class FuzzFailure extends Error {
  override readonly name = 'FuzzFailure';
}

export interface FuzzRunOptions {
  readonly seed: number;
  readonly inputs: number;
}

/** Pure random input: random bytes, length mostly under 32, rarely up to 64 KiB. */
export function randomBytesInput(random: SeededRandom): Buffer {
  const roll = random.int(1000);
  const lengthMax = roll < 600 ? 32 : roll < 950 ? 256 : roll < 999 ? 4096 : 65_536;
  return random.bytes(random.int(lengthMax + 1));
}

/** Runs `target` over `options.inputs` inputs; rejects with FuzzFailure on the first finding. */
export function fuzzLoop(target: FuzzTarget, options: FuzzRunOptions, progress?: Int32Array): Promise<FuzzReport> {
  const run = new FuzzRun(target, options);
  return run.execute(progress);
}

/**
 * Lets the event loop turn, as it does between a real process's decodes: some resources are
 * released only then (a failed zlib.inflateSync keeps its 16 KiB output buffer until the next
 * turn), and a synchronous loop would count them as retained.
 */
function turnEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

class FuzzRun {
  private readonly random: SeededRandom;
  private readonly corpus: FuzzSample[] = [];
  private readonly outcomes = new Map<string, number>();
  private readonly collectGarbage = garbageCollector();
  private counts = { random: 0, mutated: 0, valid: 0 };
  private decodeMsMax = 0;
  private decodeMsMaxInput = -1;
  private slowRetriedFast = 0;
  private heapPeak = 0;
  private arrayBuffersPeak = 0;
  private readonly stackTraceLimit = Error.stackTraceLimit;

  constructor(
    private readonly target: FuzzTarget,
    private readonly options: FuzzRunOptions,
  ) {
    this.random = seededRandom(`fuzz ${target.name}`, options.seed);
    for (let i = 0; i < CORPUS_SIZE; i++) this.corpus.push(this.smallSample());
  }

  async execute(progress: Int32Array | undefined): Promise<FuzzReport> {
    Error.stackTraceLimit = 0;
    try {
      return await this.executeWithoutStacks(progress);
    } finally {
      Error.stackTraceLimit = this.stackTraceLimit;
    }
  }

  private async executeWithoutStacks(progress: Int32Array | undefined): Promise<FuzzReport> {
    const started = performance.now();
    const warmup = Math.min(WARMUP_INPUTS_MAX, Math.floor(this.options.inputs / 10));
    let baseline = await this.retainedMemory();
    for (let index = 0; index < this.options.inputs; index++) {
      if (progress !== undefined) Atomics.store(progress, 0, index);
      if (index === warmup) baseline = await this.retainedMemory();
      this.one(index);
      if (index % MEMORY_SAMPLE_EVERY === 0) this.samplePeak();
      if (index % EVENT_LOOP_TURN_EVERY === 0) {
        this.checkSentinel(index);
        await turnEventLoop();
      }
    }
    const end = await this.retainedMemory();
    const report: FuzzReport = {
      target: this.target.name,
      seed: this.random.seed,
      inputs: this.options.inputs,
      randomInputs: this.counts.random,
      mutatedInputs: this.counts.mutated,
      validInputs: this.counts.valid,
      outcomes: Object.fromEntries([...this.outcomes].sort((a, b) => b[1] - a[1])),
      decodeMsMax: this.decodeMsMax,
      decodeMsMaxInput: this.decodeMsMaxInput,
      slowRetriedFast: this.slowRetriedFast,
      heapGrowthBytes: end.heapUsed - baseline.heapUsed,
      arrayBuffersGrowthBytes: end.arrayBuffers - baseline.arrayBuffers,
      heapPeakBytes: this.heapPeak,
      arrayBuffersPeakBytes: this.arrayBuffersPeak,
      durationMs: performance.now() - started,
    };
    this.checkRetained(report);
    return report;
  }

  /** Generates input `index`, decodes it, and counts or reports the outcome. */
  private one(index: number): void {
    const { input, kind, original } = this.nextInput(index);
    this.counts[kind]++;
    const started = performance.now();
    const outcome = this.decodeOnce(input, this.random, original, index, kind);
    const elapsedMs = performance.now() - started;
    if (elapsedMs > this.decodeMsMax) {
      this.decodeMsMax = elapsedMs;
      this.decodeMsMaxInput = index;
    }
    if (elapsedMs > SLOW_DECODE_MS) this.confirmSlow(input, original, index, kind, elapsedMs);
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  private nextInput(index: number): { input: Buffer; kind: FuzzInputKind; original: FuzzSample | undefined } {
    const { random } = this;
    if (index % 2 === 0) {
      return { input: (this.target.randomInput ?? randomBytesInput)(random), kind: 'random', original: undefined };
    }
    const sample = this.pickSample();
    if (random.int(UNMUTATED_EVERY) === 0) return { input: sample.bytes, kind: 'valid', original: sample };
    return { input: mutateBytes(random, sample, this.pickSample()), kind: 'mutated', original: undefined };
  }

  private pickSample(): FuzzSample {
    if (this.random.int(CORPUS_REFRESH_EVERY) !== 0) return this.random.pick(this.corpus);
    const fresh = this.target.sample(this.random);
    if (fresh.bytes.length <= CORPUS_SAMPLE_BYTES_MAX) this.corpus[this.random.int(CORPUS_SIZE)] = fresh;
    return fresh;
  }

  private smallSample(): FuzzSample {
    for (;;) {
      const sample = this.target.sample(this.random);
      if (sample.bytes.length <= CORPUS_SAMPLE_BYTES_MAX) return sample;
    }
  }

  private decodeOnce(
    input: Buffer,
    random: SeededRandom,
    original: FuzzSample | undefined,
    index: number,
    kind: FuzzInputKind,
  ): string {
    try {
      return this.target.decode(input, random, original);
    } catch (error) {
      const label = this.target.classifyError(error);
      if (label !== undefined) return label;
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new FuzzFailure(
        `${this.describe(index, kind, input)} threw an undocumented ${what}\n${this.hexOf(input)}\n  ` +
          this.stackOf(input, original, index),
        { cause: error },
      );
    }
  }

  /**
   * The stack of what decoding `input` throws. Decoders run without stack traces (capturing
   * them is most of what a rejected input costs), so a failing input is decoded once more
   * with them.
   */
  private stackOf(input: Buffer, original: FuzzSample | undefined, index: number): string {
    const random = seededRandom(`${this.target.name} input #${index} again, for its stack`, this.random.seed ^ index);
    Error.stackTraceLimit = this.stackTraceLimit;
    try {
      this.target.decode(input, random, original);
      return '(no stack: decoding the input again did not throw)';
    } catch (error) {
      return error instanceof Error ? (error.stack ?? '') : String(error);
    } finally {
      Error.stackTraceLimit = 0;
    }
  }

  /** A slow decode is retried twice on the same bytes; slow every time, it is a finding. */
  private confirmSlow(
    input: Buffer,
    original: FuzzSample | undefined,
    index: number,
    kind: FuzzInputKind,
    firstMs: number,
  ): void {
    let fastestMs = firstMs;
    for (let retry = 1; retry <= 2; retry++) {
      const random = seededRandom(`${this.target.name} slow input #${index} retry ${retry}`, this.random.seed ^ index);
      const started = performance.now();
      this.decodeOnce(input, random, original, index, kind);
      fastestMs = Math.min(fastestMs, performance.now() - started);
    }
    if (fastestMs <= SLOW_DECODE_MS) {
      this.slowRetriedFast++;
      return;
    }
    throw new FuzzFailure(
      `${this.describe(index, kind, input)} took ${fastestMs.toFixed(1)} ms at best of 3 (bound ${SLOW_DECODE_MS} ms)\n` +
        this.hexOf(input),
    );
  }

  private checkSentinel(index: number): void {
    try {
      this.target.sentinel?.();
    } catch (error) {
      throw new FuzzFailure(
        `${this.target.name}: after input #${index} the decoder no longer decodes its sentinel right ` +
          `(state corrupted by a bad input); replay: ${this.replay(index + 1)}: ${String(error)}`,
        { cause: error },
      );
    }
  }

  private samplePeak(): void {
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    this.heapPeak = Math.max(this.heapPeak, heapUsed);
    this.arrayBuffersPeak = Math.max(this.arrayBuffersPeak, arrayBuffers);
  }

  private async retainedMemory(): Promise<{ heapUsed: number; arrayBuffers: number }> {
    await turnEventLoop();
    this.collectGarbage();
    this.collectGarbage();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return { heapUsed, arrayBuffers };
  }

  private checkRetained(report: FuzzReport): void {
    const growth = Math.max(report.heapGrowthBytes, report.arrayBuffersGrowthBytes);
    if (growth <= RETAINED_GROWTH_BYTES_MAX) return;
    throw new FuzzFailure(
      `${this.target.name}: memory kept after GC grew over the run (heap ${mebibytes(report.heapGrowthBytes)}, ` +
        `arrayBuffers ${mebibytes(report.arrayBuffersGrowthBytes)}; bound ${mebibytes(RETAINED_GROWTH_BYTES_MAX)}); ` +
        `replay: ${this.replay(report.inputs)}`,
    );
  }

  private describe(index: number, kind: FuzzInputKind, input: Buffer): string {
    return (
      `${this.target.name}: input #${index} (${kind}, ${input.length} bytes; ` + `replay: ${this.replay(index + 1)})`
    );
  }

  /** The environment that replays this run's first `inputs` inputs. */
  private replay(inputs: number): string {
    return `SEED=${this.random.seed} EVENTS_MAX=${inputs} FUZZ_TARGET=${this.target.name}`;
  }

  private hexOf(input: Buffer): string {
    const shown = input.subarray(0, HEX_SHOWN_BYTES).toString('hex');
    return `  input: ${shown}${input.length > HEX_SHOWN_BYTES ? '…' : ''}`;
  }
}

/** V8's gc(), exposed at run time (uvu gives no way to pass --expose-gc). */
function garbageCollector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

// ---- worker threads ------------------------------------------------------------------------

interface FuzzWorkerData extends FuzzRunOptions {
  readonly target: string;
  readonly progress: SharedArrayBuffer;
}

type FuzzWorkerMessage = { kind: 'report'; report: FuzzReport } | { kind: 'failure'; message: string };

/** The worker side: runs the target named in workerData and posts its report or failure. */
export async function serveFuzzWorker(targets: readonly FuzzTarget[]): Promise<void> {
  const data = workerData as FuzzWorkerData;
  const target = targets.find((candidate) => candidate.name === data.target);
  const post = (message: FuzzWorkerMessage): void => parentPort!.postMessage(message);
  if (target === undefined) return post({ kind: 'failure', message: `no fuzz target named ${data.target}` });
  try {
    post({ kind: 'report', report: await fuzzLoop(target, data, new Int32Array(data.progress)) });
  } catch (error) {
    post({ kind: 'failure', message: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * Runs target `target` of the worker script `script` (which calls serveFuzzWorker) and
 * resolves to its report; rejects with a FuzzFailure on a finding, a hang or a worker crash.
 */
export function runFuzzWorker(
  script: URL,
  target: string,
  options: FuzzRunOptions & { readonly hangMs?: number },
): Promise<FuzzReport> {
  const hangMs = options.hangMs ?? HANG_MS_DEFAULT;
  const progress = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const index = new Int32Array(progress);
  const data: FuzzWorkerData = { target, seed: options.seed, inputs: options.inputs, progress };
  const worker = new Worker(script, { workerData: data });
  return new Promise<FuzzReport>((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | undefined, report?: FuzzReport): void => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      void worker.terminate();
      if (error === undefined) resolve(report!);
      else reject(error);
    };
    let lastIndex = -1;
    let lastMoved = performance.now();
    const watchdog = setInterval(() => {
      const current = Atomics.load(index, 0);
      if (current !== lastIndex) {
        lastIndex = current;
        lastMoved = performance.now();
      } else if (performance.now() - lastMoved > hangMs) {
        settle(
          new FuzzFailure(
            `${target}: input #${current} did not finish within ${hangMs} ms (a hang); ` +
              `replay: SEED=${options.seed} EVENTS_MAX=${current + 1} FUZZ_TARGET=${target}`,
          ),
        );
      }
    }, WATCHDOG_INTERVAL_MS);
    worker.on('message', (message: FuzzWorkerMessage) => {
      if (message.kind === 'report') settle(undefined, message.report);
      else settle(new FuzzFailure(message.message));
    });
    worker.on('error', (error) => settle(new FuzzFailure(`${target}: the worker crashed: ${error.stack ?? error}`)));
    worker.on('exit', (code) =>
      settle(new FuzzFailure(`${target}: the worker exited (code ${code}) without a report`)),
    );
  });
}

// ---- reporting -----------------------------------------------------------------------------

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const count = (value: number): string => value.toLocaleString('en-US');

/** One report as a few lines, for the test output (and RELIABILITY.md). */
export function formatFuzzReport(report: FuzzReport): string {
  const outcomes = Object.entries(report.outcomes)
    .map(([label, times]) => `${label} ${count(times)}`)
    .join(', ');
  return [
    `${report.target}: ${count(report.inputs)} inputs (${count(report.randomInputs)} random, ` +
      `${count(report.mutatedInputs)} mutated, ${count(report.validInputs)} valid) in ` +
      `${(report.durationMs / 1000).toFixed(1)} s, SEED=${report.seed}`,
    `    outcomes: ${outcomes}`,
    `    decode max ${report.decodeMsMax.toFixed(2)} ms (input #${report.decodeMsMaxInput}; ` +
      `${report.slowRetriedFast} over ${SLOW_DECODE_MS} ms once, fast on retry); retained after GC: heap ` +
      `${signed(report.heapGrowthBytes)}, arrayBuffers ${signed(report.arrayBuffersGrowthBytes)}; peak heap ` +
      `${mebibytes(report.heapPeakBytes)}, arrayBuffers ${mebibytes(report.arrayBuffersPeakBytes)}`,
  ].join('\n');
}

function signed(bytes: number): string {
  return `${bytes >= 0 ? '+' : ''}${mebibytes(bytes)}`;
}

/** Makes `items` run at most `concurrency` at a time; each promise is returned at once. */
export function limitConcurrency<T>(concurrency: number): (start: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (start) => {
    if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await start();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
