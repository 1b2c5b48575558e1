// `tributary bench consume`: how fast Tributary's own PushConsumer drains a backlog. It first
// fills a fresh topic with --count messages (that fill is reported, but not measured: no
// probes, no profiles), then starts the consumer group from the first offset and measures from
// its start until the handler has seen --count messages. Latency is born timestamp to handler
// (the record's BORNTIMESTAMP, in ms): for a backlog it is the messages' age.
import { performance } from 'node:perf_hooks';

import type { ReceivedMessage } from '../../client/index.js';
import { MICROSECONDS_PER_MS } from '../../bench/bench-constants.js';
import {
  BENCH_CONSUME_COUNT_DEFAULT,
  BENCH_CONSUME_IDLE_MS,
  BENCH_CONSUMER_GROUP_PREFIX,
} from '../bench/bench-constants.js';
import { BenchMeter } from '../../bench/bench-meter.js';
import { SEND_LATENCY_MEASURES } from './bench-produce-command.js';
import { BenchRun, type BenchOutcome } from '../bench/bench-run.js';
import { BenchSchedule } from '../../bench/bench-schedule.js';
import { benchFlags, benchSettingsFrom } from '../bench/bench-settings.js';
import { phaseResult } from '../../bench/phase-result.js';
import { BenchTicker } from '../bench/bench-ticker.js';
import { cliCommand } from './cli-command.js';
import { freshGroupName, startReceiveLoad } from '../bench/receive-load.js';
import { runSendPhase } from '../bench/send-phase.js';

const IDLE_CHECK_INTERVAL_MS = 100;

export const benchConsumeCommand = cliCommand(
  'consume',
  {
    name: 'bench consume',
    summary: 'Measures consuming: fills a fresh topic with a backlog, then times a consumer group draining it.',
    flags: benchFlags('consume'),
    examples: [
      'tributary bench consume                        # 1,000,000 messages of 100 B, one consumer',
      'tributary bench consume --count 200000 --consumers 2 --pull-batch 256 --json',
    ],
  },
  (line) => {
    const topic = `BenchConsume_${Date.now().toString(36)}`;
    const settings = benchSettingsFrom('consume', line, { topic, count: BENCH_CONSUME_COUNT_DEFAULT });
    return BenchRun.execute({ ...settings, warmupMs: 0 }, consume);
  },
);

async function consume(run: BenchRun): Promise<BenchOutcome> {
  const count = run.settings.count ?? BENCH_CONSUME_COUNT_DEFAULT;
  const fill = await fillBacklog(run, count);
  const meter = await drain(run, count);
  return {
    result: phaseResult(meter.totals(), 'born timestamp (ms) to handler: the backlog age'),
    phases: { fill: phaseResult(fill.totals(), SEND_LATENCY_MEASURES) },
  };
}

/** Sends the backlog, as fast as the window allows; not the measured window. */
async function fillBacklog(run: BenchRun, count: number): Promise<BenchMeter> {
  const template = Buffer.alloc(run.settings.messageBytes, 'a');
  const fill = await runSendPhase(run, {
    label: 'fill',
    plan: { warmupMs: 0, count, durationMs: undefined },
    body: () => template,
    ratePerS: undefined,
    measured: false,
  });
  return fill.meter;
}

/** Starts the group from the first offset and waits for `count` messages (or idleness). */
async function drain(run: BenchRun, count: number): Promise<BenchMeter> {
  const { settings } = run;
  const meter = new BenchMeter();
  const schedule = new BenchSchedule(meter, { warmupMs: 0, count, durationMs: undefined });
  const ticker = new BenchTicker(
    (text) => run.write(text),
    () => ({
      label: 'consume',
      elapsedS: schedule.elapsedS,
      progress: schedule.progress,
      interval: meter.takeInterval(),
      flush: settings.flush,
    }),
    run.intervals,
  );
  let lastArrival = performance.now();
  let wake: () => void = () => undefined;
  // timeOrigin + now() is the wall clock, comparable with BORNTIMESTAMP, for one clock read.
  // Read once: the getter allocates a number on every call.
  const timeOrigin = performance.timeOrigin;
  const handler = (message: ReceivedMessage): void => {
    const at = performance.now();
    const ageMs = timeOrigin + at - message.bornTimestamp;
    meter.success(ageMs * MICROSECONDS_PER_MS, message.body.length, true, at);
    lastArrival = at;
    if (meter.measuredMessages === count) wake();
  };
  run.onInterrupt(() => {
    schedule.stop();
    wake();
  });
  await run.beginMeasuring();
  schedule.start(() => undefined);
  ticker.start();
  const consumers = await startReceiveLoad({
    nameServer: run.broker.nameServer,
    topic: settings.topic,
    group: freshGroupName(BENCH_CONSUMER_GROUP_PREFIX),
    consumers: settings.consumers,
    consumeFrom: 'first',
    pullBatch: settings.pullBatch,
    handler,
    onError: (error) => run.noteError(error),
  });
  try {
    while (!schedule.finished) {
      if (performance.now() - lastArrival > BENCH_CONSUME_IDLE_MS) {
        run.noteError(`no message for ${BENCH_CONSUME_IDLE_MS} ms after ${meter.measuredMessages} of ${count}`);
        break;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, IDLE_CHECK_INTERVAL_MS);
      });
    }
    ticker.stop();
    await run.endMeasuring();
  } finally {
    ticker.stop();
    await consumers.shutdown();
  }
  return meter;
}
