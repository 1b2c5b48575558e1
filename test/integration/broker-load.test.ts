// A broker process under connection load: 1,000 concurrent connections that heartbeat once and
// stay open, plus 200 "slow consumers" that ask for 32 MiB of pulls each and then stop reading
// their sockets, while a well-behaved producer and consumer keep working. Measured from outside
// (GET_BROKER_RUNTIME_INFO): the broker's RSS must not grow past a stated bound over its
// baseline, the slow consumers must be closed for stalling (writeStallTimeoutMs, shortened here
// to 3 s), and the well-behaved producer's send latency must stay low (p99 bound). The figures
// are printed so they can be quoted. SOAK=1 opens 5,000 connections and sends six waves of 200
// slow consumers, one after another: memory that piled up from wave to wave would show.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'uvu';

import { Producer, type PushConsumer } from '../../client/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { brokerRuntimeInfo, pollUntil } from '../support/broker-requests.js';
import { recordingConsumer, startMessaging, waitFor, type MessagingFixture } from '../support/messaging-fixture.js';
import { RawConnection } from '../support/raw-connection.js';
import { soakScale } from '../support/soak-scale.js';

const MIB = 1024 * 1024;
const SCALE = soakScale(
  { idleConnections: 1000, slowConsumers: 200, slowWaves: 1 },
  { idleConnections: 5000, slowConsumers: 200, slowWaves: 6 },
);
/**
 * Broker RSS may grow at most this much over its baseline while the load is on. What a wave of
 * slow consumers holds live is freed when they are closed (heap after a forced GC is back to
 * where it was, wave after wave), but V8 collects old-space garbage lazily, so six waves peak
 * higher than one: the soak's bound allows for that garbage, not for anything retained.
 */
const RSS_GROWTH_BYTES_MAX = soakScale(200 * MIB, 320 * MIB);
/** The well-behaved producer's p99 send latency under load (generous: a noisy 2-core machine). */
const STEADY_SEND_P99_MS_MAX = 500;
const WRITE_STALL_TIMEOUT_MS = 3000;
const DATA_TOPIC = 'load-data';
const DATA_QUEUES = 8;
/** 8 queues x 256 records of 16 KiB: every pull of a slow consumer is a full 4 MiB response. */
const DATA_BODY_BYTES = 16 * 1024;
const DATA_MESSAGES = DATA_QUEUES * 256;
const STEADY_TOPIC = 'load-steady';
/** The steady producer sends one message every this many ms. */
const STEADY_SEND_INTERVAL_MS = 10;
/** Connections opened at once, so the listen backlog (511) never overflows into SYN retries. */
const OPEN_CONCURRENCY = 50;
const RSS_SAMPLE_INTERVAL_MS = 200;
const PHASE_WAIT_MS = 60_000;

type Phase = 'baseline' | 'load' | 'after';

/** A producer sending at a steady pace and a consumer receiving, with send latencies by phase. */
interface SteadyTraffic {
  phase: Phase;
  readonly sendMs: Record<Phase, number[]>;
  readonly sent: Set<string>;
  readonly received: Set<string>;
  stop(): Promise<void>;
}

async function startSteadyTraffic(fixture: MessagingFixture): Promise<SteadyTraffic> {
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'load-steady-producer' });
  await producer.start();
  const received = new Set<string>();
  let consumer: PushConsumer;
  try {
    ({ consumer } = await recordingConsumer(
      { nameServer: fixture.nameServer, group: 'load-steady-group', subscriptions: { [STEADY_TOPIC]: '*' } },
      (message) => void received.add(message.body.toString()),
    ));
  } catch (error) {
    await producer.shutdown();
    throw error;
  }
  const traffic: SteadyTraffic = {
    phase: 'baseline',
    sendMs: { baseline: [], load: [], after: [] },
    sent: new Set(),
    received,
    stop: async () => {
      stopped = true;
      await loop;
      await producer.shutdown();
      await consumer.shutdown();
    },
  };
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const body = `steady-${i}`;
      const startedAt = performance.now();
      await producer.send({ topic: STEADY_TOPIC, body });
      const tookMs = performance.now() - startedAt;
      traffic.sendMs[traffic.phase].push(tookMs);
      traffic.sent.add(body);
      // A pace, not a wait for anything: the producer stands for a modest, regular client.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, STEADY_SEND_INTERVAL_MS - tookMs)));
    }
  })();
  return traffic;
}

/** Samples the broker's RSS every RSS_SAMPLE_INTERVAL_MS until stopped; keeps the peak. */
function sampleRss(probe: () => Promise<Record<string, number>>): { peakBytes: () => number; stop(): Promise<void> } {
  let peak = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      peak = Math.max(peak, (await probe()).processRssBytes!);
      await new Promise((resolve) => setTimeout(resolve, RSS_SAMPLE_INTERVAL_MS));
    }
  })();
  return {
    peakBytes: () => peak,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** Opens `count` connections, OPEN_CONCURRENCY at a time, each running `setUp` once open. */
async function openConnections(
  address: string,
  count: number,
  setUp: (connection: RawConnection, index: number) => Promise<void>,
): Promise<RawConnection[]> {
  const connections: RawConnection[] = [];
  for (let first = 0; first < count; first += OPEN_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(OPEN_CONCURRENCY, count - first) }, async (_, i) => {
      const connection = await RawConnection.open(address);
      connections.push(connection);
      await setUp(connection, first + i);
    });
    await Promise.all(batch);
  }
  return connections;
}

async function heartbeatOnce(connection: RawConnection, index: number): Promise<void> {
  const data = { clientID: `idle-${index}`, producerDataSet: [], consumerDataSet: [] };
  const response = await connection.request({ code: REQUEST_CODE.HEART_BEAT, body: Buffer.from(JSON.stringify(data)) });
  assert.equal(response.code, RESPONSE_CODE.SUCCESS, response.remark);
}

/** Stops reading, then asks for a full pull of every data queue: 32 MiB it will never read. */
async function pullAndStopReading(connection: RawConnection): Promise<void> {
  connection.stopReading();
  for (let queueId = 0; queueId < DATA_QUEUES; queueId++) {
    connection.send({
      code: REQUEST_CODE.PULL_MESSAGE,
      extFields: {
        consumerGroup: 'load-slow-group',
        topic: DATA_TOPIC,
        queueId: String(queueId),
        queueOffset: '0',
        maxMsgNums: '1024',
        // No suspend flag: answered at once, from the data already there.
        sysFlag: '0',
      },
    });
  }
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const mib = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;
const ms = (value: number): string => `${value.toFixed(1)} ms`;

async function fillDataTopic(fixture: MessagingFixture): Promise<void> {
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'load-data-producer' });
  await producer.start();
  try {
    const body = Buffer.alloc(DATA_BODY_BYTES, 0x61);
    const batchCount = 64;
    for (let sent = 0; sent < DATA_MESSAGES; sent += batchCount)
      await producer.sendBatch(
        DATA_TOPIC,
        Array.from({ length: batchCount }, () => ({ body })),
      );
  } finally {
    await producer.shutdown();
  }
}

type Probe = () => Promise<Record<string, number>>;

/** What the load phase saw: broker runtime info at its steps, and how long they took. */
interface LoadFigures {
  readonly idleOpenMs: number;
  readonly withIdle: Record<string, number>;
  readonly during: Record<string, number>;
  readonly waveMs: readonly number[];
}

/** Opens the idle connections, then the waves of slow consumers, each closed for stalling. */
async function applyLoad(address: string, probe: Probe, connections: RawConnection[]): Promise<LoadFigures> {
  const startedAt = performance.now();
  connections.push(...(await openConnections(address, SCALE.idleConnections, heartbeatOnce)));
  const idleOpenMs = performance.now() - startedAt;
  const withIdle = await probe();
  // One wave after another, each closed before the next: memory that piled up would show.
  const waveMs: number[] = [];
  let during = withIdle;
  for (let wave = 1; wave <= SCALE.slowWaves; wave++) {
    const waveStartedAt = performance.now();
    connections.push(...(await openConnections(address, SCALE.slowConsumers, pullAndStopReading)));
    during = await pollUntil(`slow consumers of wave ${wave} closed for stalling`, PHASE_WAIT_MS, async () => {
      const info = await probe();
      return info.connectionsClosedStalled! >= wave * SCALE.slowConsumers ? info : undefined;
    });
    waveMs.push(performance.now() - waveStartedAt);
  }
  return { idleOpenMs, withIdle, during, waveMs };
}

function printFigures(
  figures: LoadFigures,
  rss: { baseline: Record<string, number>; peakBytes: number; after: Record<string, number> },
  sendMs: Record<Phase, number[]>,
): void {
  const { idleOpenMs, withIdle, during, waveMs } = figures;
  const load = sendMs.load;
  console.log(
    [
      `  [load] ${SCALE.idleConnections} idle connections open in ${ms(idleOpenMs)}; ` +
        `${SCALE.slowWaves} wave(s) of ${SCALE.slowConsumers} slow consumers, each all closed for stalling ` +
        `within ${waveMs.map(ms).join(', ')} (broker counters: ${during.connectionsClosedStalled} stalled, ` +
        `${during.connectionsRejected} rejected)`,
      `  [load] broker RSS: baseline ${mib(rss.baseline.processRssBytes!)}, with idle connections ` +
        `${mib(withIdle.processRssBytes!)}, peak ${mib(rss.peakBytes)} ` +
        `(+${mib(rss.peakBytes - rss.baseline.processRssBytes!)}, bound +${mib(RSS_GROWTH_BYTES_MAX)}), ` +
        `after ${mib(rss.after.processRssBytes!)}; heap used baseline ${mib(rss.baseline.processHeapUsedBytes!)}, ` +
        `after ${mib(rss.after.processHeapUsedBytes!)}`,
      `  [load] steady producer send latency under load (${load.length} sends): ` +
        `p50 ${ms(percentile(load, 50))}, p99 ${ms(percentile(load, 99))}, max ${ms(Math.max(...load))} ` +
        `(bound p99 ${STEADY_SEND_P99_MS_MAX} ms); baseline p99 ${ms(percentile(sendMs.baseline, 99))}, ` +
        `after p99 ${ms(percentile(sendMs.after, 99))}`,
    ].join('\n'),
  );
}

test(`broker load: ${SCALE.idleConnections} connections and ${SCALE.slowWaves} x ${SCALE.slowConsumers} consumers that stop reading keep broker RSS within +${RSS_GROWTH_BYTES_MAX / MIB} MiB and a steady producer's p99 under ${STEADY_SEND_P99_MS_MAX} ms`, async () => {
  const fixture = await startMessaging('load', {
    topics: { [DATA_TOPIC]: DATA_QUEUES, [STEADY_TOPIC]: 4 },
    connectionLimits: { writeStallTimeoutMs: WRITE_STALL_TIMEOUT_MS },
  });
  const probeClient = new RemotingClient();
  const probe: Probe = () => brokerRuntimeInfo(probeClient, fixture.broker.address);
  const connections: RawConnection[] = [];
  let steady: SteadyTraffic | undefined;
  try {
    await fillDataTopic(fixture);
    steady = await startSteadyTraffic(fixture);
    const traffic = steady;
    await waitFor('100 steady sends', PHASE_WAIT_MS, () => traffic.sendMs.baseline.length >= 100);
    const baseline = await probe();
    const sampler = sampleRss(probe);
    traffic.phase = 'load';
    const figures = await applyLoad(fixture.broker.address, probe, connections);
    await sampler.stop();
    traffic.phase = 'after';
    for (const connection of connections) connection.destroy();
    const after = await pollUntil('the load connections gone', PHASE_WAIT_MS, async () => {
      const info = await probe();
      return info.connectionsOpen! < 10 ? info : undefined;
    });
    await waitFor('20 steady sends after the load', PHASE_WAIT_MS, () => traffic.sendMs.after.length >= 20);
    await traffic.stop();
    steady = undefined;
    await waitFor('every steady message received', PHASE_WAIT_MS, () =>
      [...traffic.sent].every((body) => traffic.received.has(body)),
    );
    const peakBytes = Math.max(sampler.peakBytes(), figures.during.processRssBytes!);
    printFigures(figures, { baseline, peakBytes, after }, traffic.sendMs);
    const growth = peakBytes - baseline.processRssBytes!;
    const p99 = percentile(traffic.sendMs.load, 99);
    assert.equal(figures.during.connectionsRejected, 0);
    assert.ok(growth < RSS_GROWTH_BYTES_MAX, `broker RSS grew ${mib(growth)}`);
    assert.ok(p99 < STEADY_SEND_P99_MS_MAX, `p99 ${ms(p99)}`);
  } finally {
    for (const connection of connections) connection.destroy();
    await steady?.stop().catch(() => undefined);
    probeClient.close();
    await fixture.close();
  }
});

test.run();
