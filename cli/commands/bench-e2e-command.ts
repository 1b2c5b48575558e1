// `tributary bench e2e`: end-to-end latency, from the producer's send() call to the consumer's
// handler, at a fixed rate (5,000 msgs/s by default; --rate 0 sends as fast as the window
// allows). Producer and consumer run in this process, so both ends read one high-resolution
// clock: each body carries its send time (performance.now(), a float64 in its first 8 bytes).
// The record's BORNTIMESTAMP is not used: its millisecond resolution cannot tell 0.3 ms from
// 0.9 ms. Messages sent during the warm-up are delivered but not measured; after the last
// send, the run waits for every measured message and reports any that never came as lost.
import { performance } from 'node:perf_hooks';

import type { ReceivedMessage } from '../../client/index.js';
import {
  BENCH_E2E_DRAIN_MS,
  BENCH_E2E_STAMP_BYTES,
  MICROSECONDS_PER_MS,
  MS_PER_SECOND,
} from '../../bench/bench-constants.js';
import { stampOf, stampedBody } from '../../bench/stamped-body.js';
import {
  BENCH_CONSUMER_GROUP_PREFIX,
  BENCH_E2E_RATE_PER_S_DEFAULT,
  BENCH_TOPIC_DEFAULT,
} from '../bench/bench-constants.js';
import { BenchMeter } from '../../bench/bench-meter.js';
import { SEND_LATENCY_MEASURES } from './bench-produce-command.js';
import { BenchRun, type BenchOutcome } from '../bench/bench-run.js';
import { benchFlags, benchSettingsFrom } from '../bench/bench-settings.js';
import { phaseResult } from '../../bench/phase-result.js';
import { cliCommand } from './cli-command.js';
import { freshGroupName, startReceiveLoad } from '../bench/receive-load.js';
import { runSendPhase } from '../bench/send-phase.js';

export const benchE2eCommand = cliCommand(
  'e2e',
  {
    name: 'bench e2e',
    summary: 'Measures end-to-end latency (send() call to handler) at a fixed rate, producer and consumer together.',
    flags: benchFlags('e2e'),
    examples: [
      'tributary bench e2e                            # 5,000 msgs/s of 100 B for 10 s',
      'tributary bench e2e --rate 20000 --flush sync --duration-s 30',
      'tributary bench e2e --rate 0 --in-flight 1000  # as fast as possible',
    ],
  },
  (line) => {
    const settings = benchSettingsFrom('e2e', line, {
      topic: BENCH_TOPIC_DEFAULT,
      ratePerS: BENCH_E2E_RATE_PER_S_DEFAULT,
    });
    if (settings.messageBytes < BENCH_E2E_STAMP_BYTES) {
      throw line.usageError(`--size must be at least ${BENCH_E2E_STAMP_BYTES}: bodies carry their send time`);
    }
    return BenchRun.execute(settings, endToEnd);
  },
);

/** The consumer side: each delivery's latency, and the wait for every measured message. */
class Deliveries {
  readonly meter = new BenchMeter();
  private measuredFrom = Number.POSITIVE_INFINITY;
  private expected = Number.POSITIVE_INFINITY;
  private wake: () => void = () => undefined;

  readonly handler = (message: ReceivedMessage): void => {
    const born = stampOf(message.body);
    const measured = born >= this.measuredFrom;
    const at = performance.now();
    this.meter.success((at - born) * MICROSECONDS_PER_MS, message.body.length, measured, at);
    if (measured && this.meter.measuredMessages >= this.expected) this.wake();
  };

  /** Messages sent from now on are measured. */
  startMeasuring(): void {
    this.meter.startMeasuring();
    this.measuredFrom = performance.now();
  }

  /** Waits until `sent` measured messages have arrived, at most BENCH_E2E_DRAIN_MS. */
  async awaitAll(sent: number): Promise<void> {
    this.expected = sent;
    if (this.meter.measuredMessages >= sent) return;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      setTimeout(resolve, BENCH_E2E_DRAIN_MS);
    });
  }
}

async function endToEnd(run: BenchRun): Promise<BenchOutcome> {
  const { settings } = run;
  const deliveries = new Deliveries();
  const consumers = await startReceiveLoad({
    nameServer: run.broker.nameServer,
    topic: settings.topic,
    group: freshGroupName(BENCH_CONSUMER_GROUP_PREFIX),
    consumers: settings.consumers,
    consumeFrom: 'last',
    pullBatch: settings.pullBatch,
    handler: deliveries.handler,
    onError: (error) => run.noteError(error),
  });
  const template = Buffer.alloc(settings.messageBytes, 'a');
  try {
    const sent = await runSendPhase(run, {
      label: 'e2e',
      plan: settings,
      body: () => stampedBody(template),
      ratePerS: settings.ratePerS,
      measured: true,
      onMeasuring: () => deliveries.startMeasuring(),
      line: ({ meter, schedule, label }) => {
        const sends = meter.takeInterval();
        const sendRate = sends.elapsedMs > 0 ? (sends.messages / sends.elapsedMs) * MS_PER_SECOND : 0;
        return {
          label,
          elapsedS: schedule.elapsedS,
          progress: schedule.progress,
          interval: deliveries.meter.takeInterval(),
          flush: settings.flush,
          extra: `sent ${Math.round(sendRate).toLocaleString('en-US')}/s`,
        };
      },
    });
    const sentCount = sent.meter.totals().messages;
    await deliveries.awaitAll(sentCount);
    await run.endMeasuring();
    const received = deliveries.meter.measuredMessages;
    const lag = sent.pacingLagMs;
    return {
      result: phaseResult(deliveries.meter.totals(), 'send() call to handler, one clock'),
      phases: { send: phaseResult(sent.meter.totals(), SEND_LATENCY_MEASURES) },
      details: {
        lost: Math.max(0, sentCount - received),
        duplicates: Math.max(0, received - sentCount),
        ...(lag === undefined ? {} : { pacingLagP99Ms: lag.p99Ms, pacingLagMaxMs: lag.maxMs }),
      },
    };
  } finally {
    await consumers.shutdown();
  }
}
