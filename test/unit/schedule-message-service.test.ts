// The schedule service on a real store with an injected clock: delay levels and deliverAt are
// delivered when due and in due order, progress survives a restart, and a batch interrupted
// between its copies and its done command (a staged crash: copies appended, then the process
// "dies") is settled at the next start without storing any copy twice or losing one.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'uvu';

import { MessageWriter } from '../../broker/delivery/message-writer.js';
import { PullRequestHoldService } from '../../broker/delivery/pull-request-hold-service.js';
import { ScheduleMessageService, type ScheduleWriter } from '../../broker/delivery/schedule-message-service.js';
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import { MessageStore, type AppendResult, type MessageInput } from '../../storage/index.js';
import { TEST_STORE_OPTIONS } from '../support/broker-processes.js';
import { seededRandom } from '../support/seeded-random.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const LEVELS_MS = [1000, 2000, 5000];
const TOPIC = 'orders';
const START_MS = 1_700_000_000_000;

/** A writer that, once `stallAfter` is set, appends that many more copies and then none, and never resolves. */
class StagedWriter implements ScheduleWriter {
  stallAfter: number | undefined;
  constructor(private readonly inner: MessageWriter) {}
  get timerDeliveredThroughMs(): number {
    return this.inner.timerDeliveredThroughMs;
  }
  set timerDeliveredThroughMs(value: number) {
    this.inner.timerDeliveredThroughMs = value;
  }
  get onTimerHeld(): ((dueMs: number) => void) | undefined {
    return this.inner.onTimerHeld;
  }
  set onTimerHeld(listener: ((dueMs: number) => void) | undefined) {
    this.inner.onTimerHeld = listener;
  }
  put(message: MessageInput): Promise<AppendResult> {
    if (this.stallAfter === undefined) return this.inner.put(message);
    if (this.stallAfter > 0) {
      this.stallAfter--;
      void this.inner.put(message);
    }
    return new Promise(() => undefined);
  }
}

interface Broker {
  readonly store: MessageStore;
  readonly writer: MessageWriter;
  readonly staged: StagedWriter;
  readonly service: ScheduleMessageService;
}

async function openBroker(directory: string, clock: { ms: number }): Promise<Broker> {
  const now = (): number => clock.ms;
  const store = await MessageStore.open(path.join(directory, 'store'), { ...TEST_STORE_OPTIONS, clock: now });
  const writer = new MessageWriter(store, new PullRequestHoldService(), LEVELS_MS, now);
  const staged = new StagedWriter(writer);
  const onError = (error: unknown, context: string): void => assert.fail(`${context}: ${String(error)}`);
  const service = new ScheduleMessageService(store, staged, directory, LEVELS_MS, onError, now);
  return { store, writer, staged, service };
}

/** Bodies of the messages delivered to TOPIC queue 0, in queue order. */
function delivered(store: MessageStore): string[] {
  const bodies: string[] = [];
  for (let offset = 0; ;) {
    const result = store.read(TOPIC, 0, offset, 256);
    if (result.status !== 'found') return bodies;
    for (const message of result.messages) bodies.push(message.body.toString());
    offset = result.nextQueueOffset;
  }
}

function delayed(body: string, level: number): MessageInput {
  return { topic: TOPIC, queueId: 0, body: Buffer.from(body), properties: { [PROPERTY.delayLevel]: String(level) } };
}

function timed(body: string, dueMs: number): MessageInput {
  return {
    topic: TOPIC,
    queueId: 0,
    body: Buffer.from(body),
    properties: { [PROPERTY.timerDeliverMs]: String(dueMs) },
  };
}

test('schedule: levels and deliverAt arrive when due, never before, in due order; progress survives a restart', async () => {
  const random = seededRandom('schedule-due-order');
  const directory = temporaryDirectory('schedule-due');
  const clock = { ms: START_MS };
  let broker = await openBroker(directory.path, clock);
  const due = new Map<string, number>();
  try {
    for (let i = 0; i < 300; i++) {
      clock.ms += random.int(20);
      if (random.next() < 0.5) {
        const level = 1 + random.int(LEVELS_MS.length);
        due.set(`l${level}-${i}`, clock.ms + LEVELS_MS[level - 1]!);
        await broker.writer.put(delayed(`l${level}-${i}`, level));
      } else {
        const dueMs = clock.ms + 1 + random.int(8000);
        due.set(`t-${i}`, dueMs);
        await broker.writer.put(timed(`t-${i}`, dueMs));
      }
    }
    const end = clock.ms + 9000;
    for (let step = 0; clock.ms < end; step++) {
      clock.ms += 1 + random.int(300);
      await broker.service.tick();
      const got = delivered(broker.store);
      const expected = [...due].filter(([, dueMs]) => dueMs <= clock.ms).map(([body]) => body);
      assert.deepEqual([...got].sort(), expected.sort(), `at +${clock.ms - START_MS} ms`);
      if (step % 7 === 3) {
        await broker.service.stop();
        await broker.store.close();
        broker = await openBroker(directory.path, clock);
      }
    }
    const got = delivered(broker.store);
    assert.equal(got.length, due.size);
    const lane = (body: string): string => body.split('-')[0]!;
    for (const name of new Set(got.map(lane))) {
      const dues = got.filter((body) => lane(body) === name).map((body) => due.get(body)!);
      assert.deepEqual(
        dues,
        [...dues].sort((a, b) => a - b),
        `lane ${name} delivered in due order`,
      );
    }
  } finally {
    await broker.service.stop();
    await broker.store.close();
    directory.remove();
  }
});

/** 100 messages of which the first CRASH_BATCH are due at +2 s and the rest a second later. */
async function sendCrashWorkload(
  broker: Broker,
  clock: { ms: number },
  lane: 'level' | 'deliverAt',
): Promise<string[]> {
  const sent: string[] = [];
  for (let i = 0; i < 100; i++) {
    const body = `m-${String(i).padStart(3, '0')}`;
    sent.push(body);
    if (i === CRASH_BATCH) clock.ms += 1000;
    await broker.writer.put(lane === 'level' ? delayed(body, 2) : timed(body, clock.ms + 2000 + i));
  }
  clock.ms = START_MS + 2000 + CRASH_BATCH;
  return sent;
}

/** The first pass delivers one batch of this many. */
const CRASH_BATCH = 40;

for (const lane of ['level', 'deliverAt'] as const) {
  for (const appended of [0, 5, CRASH_BATCH]) {
    test(`schedule: a ${lane} batch interrupted after ${appended} of its ${CRASH_BATCH} copies is settled at restart, exactly once`, async () => {
      const directory = temporaryDirectory('schedule-crash');
      const clock = { ms: START_MS };
      let broker = await openBroker(directory.path, clock);
      let stalled = false;
      try {
        const sent = await sendCrashWorkload(broker, clock, lane);
        broker.staged.stallAfter = appended;
        stalled = true;
        void broker.service.tick();
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(delivered(broker.store), sent.slice(0, appended), 'copies appended before the crash');
        await broker.store.close();
        broker = await openBroker(directory.path, clock);
        stalled = false;
        await broker.service.tick();
        assert.deepEqual(delivered(broker.store), sent.slice(0, CRASH_BATCH), 'the due batch once, in order');
        clock.ms += 60_000;
        await broker.service.tick();
        assert.deepEqual(delivered(broker.store), sent, 'every message once, in due order');
      } finally {
        if (!stalled) await broker.service.stop();
        await broker.store.close();
        directory.remove();
      }
    });
  }
}

test.run();
