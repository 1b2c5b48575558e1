// A broker process under fuzzing clients on live sockets (socket-fuzzer.ts: random bytes,
// mutated and hostile requests in all three header encodings, half frames and stalls, huge
// declared lengths, byte-at-a-time frames, readers that never read, connection storms), while
// a well-behaved producer and push consumer keep working beside them. The broker must stay up,
// close every connection that sent a frame it must reject, answer only in valid frames, keep
// the good client's sends fast and lose none of its messages, and keep its RSS bounded.
//
//   npx uvu dist/test '^fuzz/broker-socket\.fuzz\.test\.js$'       (SEED= replays the fuzzers)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { test } from 'uvu';

import { Producer } from '../../client/index.js';
import { FRAME_BYTES_MAX } from '../../protocol/remoting-frame.js';
import { seededRandom } from '../support/seeded-random.js';
import { soakScale } from '../support/soak-scale.js';
import { recordingConsumer, startMessaging, waitFor, type MessagingFixture } from '../support/messaging-fixture.js';
import { SocketFuzzer, emptySocketFuzzStats, type SocketFuzzStats } from './socket-fuzzer.js';

const FUZZ_MS = soakScale(15_000, 300_000);
const FUZZERS = 6;
const GOOD_SENDERS = 2;
/** Each good sender pauses this long between sends: a steady load, not a flood that fills the log. */
const GOOD_SEND_PAUSE_MS = 5;
const WARMUP_MS = 2000;
const SETTLE_MS = 3000;
const RSS_SAMPLE_MS = 250;
const OUTPUT_SAMPLE_MS = 250;
const CONSUME_WAIT_MS = 30_000;
/** The good client's sends, at the 99th percentile, while the broker is being fuzzed. */
const SEND_P99_MS_MAX = 1000;
/** RSS the broker may gain over the fuzzing (heap growth, socket buffers, page cache of the log). */
const RSS_GROWTH_BYTES_MAX = 256 * 1024 * 1024;
const MIB = 1024 * 1024;
const TRICKLE_CONNECTIONS = 4;
const TRICKLE_MS = 10_000;
/** RSS growth allowed for trickled bytes: a base for the heap's own growth, plus this per byte. */
const TRICKLE_GROWTH_BYTES_BASE = 64 * MIB;
const TRICKLE_GROWTH_PER_BYTE_MAX = 16;

let fixture: MessagingFixture;

test.before(async () => {
  fixture = await startMessaging('fuzz-socket', { topics: { steady: 4, 'fuzz-t0': 2 } });
});

test.after(async () => {
  await fixture.close();
});

/** VmRSS of a process, from /proc/<pid>/status. */
function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  assert.ok(match !== null, `no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

/** The good producer: sends numbered messages until stopped, timing each send. */
class SteadySender {
  readonly latenciesMs: number[] = [];
  readonly delivered: string[] = [];
  readonly failures: string[] = [];
  sent = 0;
  private stopped = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly producer: Producer) {}

  start(): void {
    this.loops = Array.from({ length: GOOD_SENDERS }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const body = `s-${this.sent++}`;
      const started = performance.now();
      try {
        await this.producer.send({ topic: 'steady', body });
        this.latenciesMs.push(performance.now() - started);
        this.delivered.push(body);
      } catch (error) {
        this.failures.push(`${body}: ${String(error)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, GOOD_SEND_PAUSE_MS));
    }
  }
}

/** Distinct errors the broker reported on stderr, JSON lines (sampled: the child keeps only a tail). */
function sampleBrokerErrors(tail: string, seen: Map<string, number>): void {
  for (const line of tail.split('\n')) {
    let entry: { msg?: string; err?: { type?: string; message?: string } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // a line cut by the tail, or not a log line
    }
    const context = /^(processing request code -?\d+|closed the connection)/.exec(entry.msg ?? '')?.[1];
    if (context === undefined) continue;
    const detail = (entry.err?.message ?? '').replace(/\d+/g, 'N').slice(0, 100);
    const key = `${context}: ${entry.err?.type ?? 'Error'}: ${detail}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
}

function report(stats: SocketFuzzStats, sender: SteadySender, rss: { start: number; peak: number; end: number }): void {
  const sorted = [...sender.latenciesMs].sort((a, b) => a - b);
  const episodes = Object.entries(stats.episodes)
    .map(([name, times]) => `${name} ${times}`)
    .join(', ');
  console.log(
    `  [fuzz] broker-socket: ${FUZZERS} fuzzers for ${FUZZ_MS / 1000} s: ${stats.connections} connections ` +
      `(failed: ${JSON.stringify(stats.connectFailures)}), ${stats.requestsSent} requests, ${(stats.bytesSent / MIB).toFixed(1)} MiB sent, ` +
      `${stats.responses} responses, ${stats.closedByBroker} connections closed by the broker; valid requests ` +
      `unanswered within 5 s, by code: ${JSON.stringify(stats.unanswered)}\n` +
      `    episodes: ${episodes}\n` +
      `    good client: ${sender.sent} sent, ${sender.failures.length} failed; send latency p50 ` +
      `${percentile(sorted, 0.5).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms, max ` +
      `${(sorted.at(-1) ?? 0).toFixed(1)} ms\n` +
      `    broker RSS: start ${(rss.start / MIB).toFixed(0)} MiB, peak ${(rss.peak / MIB).toFixed(0)} MiB, ` +
      `end ${(rss.end / MIB).toFixed(0)} MiB`,
  );
}

test(`fuzz: the broker survives ${FUZZERS} fuzzing connections for ${FUZZ_MS / 1000} s and keeps serving a producer and a consumer`, async () => {
  const random = seededRandom('fuzz broker socket');
  const { broker } = fixture;
  const pid = broker.pid!;
  const [host, port] = broker.address.split(':') as [string, string];
  const { consumer, received } = await recordingConsumer({
    nameServer: fixture.nameServer,
    group: 'steady-group',
    subscriptions: { steady: '*' },
    consumeFrom: 'first',
  });
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'steady-producer' });
  await producer.start();
  const sender = new SteadySender(producer);
  const errors = new Map<string, number>();
  const stats = emptySocketFuzzStats();
  try {
    sender.start();
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    const rss = { start: rssBytes(pid), peak: 0, end: 0 };
    rss.peak = rss.start;
    const sampler = setInterval(() => (rss.peak = Math.max(rss.peak, rssBytes(pid))), RSS_SAMPLE_MS);
    const tail = setInterval(() => sampleBrokerErrors(broker.outputTail, errors), OUTPUT_SAMPLE_MS);
    const deadline = Date.now() + FUZZ_MS;
    const fuzzers = Array.from(
      { length: FUZZERS },
      (_, i) => new SocketFuzzer(host, Number(port), seededRandom(`socket fuzzer ${i}`, random.seed + i), stats),
    );
    try {
      await Promise.all(fuzzers.map((fuzzer) => fuzzer.run(deadline)));
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    } finally {
      clearInterval(sampler);
      clearInterval(tail);
    }
    rss.end = rssBytes(pid);
    rss.peak = Math.max(rss.peak, rss.end);
    await sender.stop();
    report(stats, sender, rss);
    for (const [error, times] of errors) console.log(`    broker reported (sampled ${times}x): ${error}`);

    assert.ok(broker.running, `the broker died:\n${broker.outputTail}`);
    assert.equal(broker.pid, pid, 'the broker process was replaced');
    assert.equal(stats.badFramesNotClosed, 0, 'connections the broker kept open after a frame it must reject');
    assert.equal(stats.badResponses, 0, 'bytes from the broker that were not a valid frame');
    assert.equal(stats.byteByByteUnanswered, 0, 'requests sent a byte at a time that got no answer');
    assert.equal(stats.validRequestsClosed, 0, 'connections the broker closed on valid requests');
    assert.deepEqual(sender.failures, [], 'the good producer failed to send');
    const sorted = [...sender.latenciesMs].sort((a, b) => a - b);
    assert.ok(percentile(sorted, 0.99) <= SEND_P99_MS_MAX, `send p99 ${percentile(sorted, 0.99)} ms`);
    assert.ok(
      rss.peak - rss.start <= RSS_GROWTH_BYTES_MAX,
      `broker RSS grew ${((rss.peak - rss.start) / MIB).toFixed(0)} MiB`,
    );
    const consumed = new Set<string>();
    let seen = 0;
    await waitFor(`all ${sender.delivered.length} steady messages consumed`, CONSUME_WAIT_MS, () => {
      for (; seen < received.length; seen++) consumed.add(received[seen]!.body.toString());
      return sender.delivered.every((body) => consumed.has(body));
    });
  } finally {
    await sender.stop();
    await producer.shutdown();
    await consumer.shutdown();
  }
});

/**
 * A peer that declares a 16 MiB frame and sends it a byte per write makes the broker hold
 * many tiny socket reads. Without the frame decoder merging them, each costs about 100 bytes
 * (a Buffer per byte: 1.6 GiB for one frame); with it, about the bytes received.
 */
test(`fuzz: peers trickling frames a byte at a time cost the broker memory near the bytes sent (connections=${TRICKLE_CONNECTIONS}, ${TRICKLE_MS / 1000} s)`, async () => {
  const { broker } = fixture;
  const pid = broker.pid!;
  const [host, port] = broker.address.split(':') as [string, string];
  const start = rssBytes(pid);
  let peak = start;
  let sent = 0;
  const deadline = Date.now() + TRICKLE_MS;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), RSS_SAMPLE_MS);
  try {
    await Promise.all(
      Array.from({ length: TRICKLE_CONNECTIONS }, async () => {
        const socket = net.connect({ host, port: Number(port) });
        socket.setNoDelay(true);
        socket.on('error', () => undefined);
        await new Promise((resolve) => socket.once('connect', resolve));
        const prefix = Buffer.alloc(8);
        prefix.writeUInt32BE(FRAME_BYTES_MAX, 0);
        const oneByte = Buffer.from([0x7b]);
        await new Promise((resolve) => socket.write(prefix, resolve));
        while (Date.now() < deadline && !socket.destroyed) {
          await new Promise((resolve) => socket.write(oneByte, resolve));
          sent++;
        }
        peak = Math.max(peak, rssBytes(pid));
        socket.destroy();
      }),
    );
  } finally {
    clearInterval(sampler);
  }
  const growth = peak - start;
  console.log(
    `  [fuzz] trickle: ${sent} bytes sent a byte per write over ${TRICKLE_CONNECTIONS} connections; broker RSS ` +
      `start ${(start / MIB).toFixed(0)} MiB, peak ${(peak / MIB).toFixed(0)} MiB (${(growth / sent).toFixed(1)} bytes per byte sent)`,
  );
  assert.ok(broker.running, `the broker died:\n${broker.outputTail}`);
  assert.ok(
    growth <= TRICKLE_GROWTH_BYTES_BASE + TRICKLE_GROWTH_PER_BYTE_MAX * sent,
    `the broker's RSS grew ${(growth / MIB).toFixed(0)} MiB for ${sent} bytes`,
  );
});

test.run();
