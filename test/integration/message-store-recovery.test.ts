// Recovery from damaged files. Each test fills a store with a few hundred messages over
// several 64 KiB segments, closes it, damages the files directly (zeroed tail, flipped bits,
// garbage, deleted consume queues or index, bogus consume queue entries), and reopens it in
// one of three modes:
//   clean  the close was clean: no abort marker, checkpoint written at close;
//   abort  the abort marker is left behind, so the run counts as a crash;
//   stale  abort marker and the checkpoint rolled back to a flush half way through the fill,
//          so consume queues and index are truncated to it and re-dispatched from the log;
//   lost   abort marker and no checkpoint file: the whole log is scanned and re-dispatched.
// After each: the store holds exactly the valid prefix of the log (every message before the
// damage reads back byte-identical by queue offset, commit log offset, msgId and key; nothing
// at or after it is returned), store.recovery says where the log ended and why, and new
// appends get the next queue offsets and read back, also after another close and reopen.
// Every scenario runs on the real disk and on the simulated file system, damaging the files
// through the test volume.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'uvu';

import { MessageStore, type MessageInput, type MessageStoreOptions } from '../../storage/index.js';
import { decodeCheckpoint } from '../../storage/checkpoint.js';
import { writeConsumeQueueEntry } from '../../storage/consume-queue.js';
import { RECORD_LAYOUT } from '../../storage/message-record.js';
import { SegmentFileName } from '../../storage/segment-file-name.js';
import { CONSUME_QUEUE_ENTRY_BYTES } from '../../storage/storage-constants.js';
import {
  appendAll,
  appendOne,
  assertFoundById,
  assertFoundByKey,
  assertQueue,
  assertReadAt,
  byQueue,
  expectedKeys,
  keyHolders,
  type AppendedMessage,
} from '../support/appended-messages.js';
import { seededRandom, type SeededRandom } from '../support/seeded-random.js';
import { testVolume, VOLUME_KINDS, type TestVolume, type VolumeKind } from '../support/test-volume.js';

const SEGMENT_BYTES = 64 * 1024;
const CONSUME_QUEUE_ENTRIES_PER_FILE = 8;
const CONSUME_QUEUE_FILE_BYTES = CONSUME_QUEUE_ENTRIES_PER_FILE * CONSUME_QUEUE_ENTRY_BYTES;
const MESSAGE_COUNT = 600;
const BODY_BYTES_MAX = 1024;
const TOPICS = ['recovery-a', 'recovery-b'];
const QUEUES_PER_TOPIC = 3;
const NEW_TOPIC = 'recovery-new';
/** "A random record among the last ones" means among this many. */
const LAST_RECORDS = 10;
const START_MS = Date.UTC(2024, 6, 1, 12);

type Mode = 'clean' | 'abort' | 'stale' | 'lost';
const MODES: readonly Mode[] = ['clean', 'abort', 'stale', 'lost'];
const MODE_NAMES: Record<Mode, string> = {
  clean: 'clean close',
  abort: 'abort marker left',
  stale: 'abort marker + checkpoint from half way',
  lost: 'abort marker + checkpoint deleted',
};

interface Fixture {
  readonly volume: TestVolume;
  readonly options: MessageStoreOptions;
  readonly clock: { now: number };
  /** Every appended message, in commit log order. */
  readonly appended: AppendedMessage[];
  /** End of the log at close. */
  readonly logEnd: number;
  /** The checkpoint file after a flush half way through the fill. */
  readonly halfwayCheckpoint: Buffer;
}

/** What a damage leaves: where the valid log ends and what recovery should report. */
interface Expectation {
  /** First commit log offset that must not survive (the log end at close if none is lost). */
  readonly cut: number;
  /** 'absent', 'present' (any reason), or the exact reason. */
  readonly invalidTail: 'absent' | 'present' | string;
  readonly rebuiltQueues?: number;
}

interface Scenario {
  readonly id: string;
  /** What the test proves, for its name. */
  readonly proves: string;
  readonly damage: (fixture: Fixture, random: SeededRandom) => Expectation;
  /** Options that differ from the defaults for this scenario. */
  readonly options?: MessageStoreOptions;
}

// ---- file layout helpers -------------------------------------------------------------------

function segmentOf(offset: number): number {
  return offset - (offset % SEGMENT_BYTES);
}

function segmentName(offset: number): string {
  return SegmentFileName.format(segmentOf(offset));
}

/** The segment file holding `offset`, relative to the store directory. */
function segmentPath(offset: number): string {
  return path.join('commitlog', segmentName(offset));
}

function readLog(volume: TestVolume, offset: number, length: number): Buffer {
  const bytes = volume.readFile(segmentPath(offset));
  const position = offset % SEGMENT_BYTES;
  return Buffer.from(bytes.subarray(position, position + length));
}

/** Overwrites log bytes in place: segment files keep their size. */
function writeLog(volume: TestVolume, offset: number, bytes: Buffer): void {
  assert.ok((offset % SEGMENT_BYTES) + bytes.length <= SEGMENT_BYTES, 'a patch stays inside its segment');
  volume.writeFileAt(segmentPath(offset), offset % SEGMENT_BYTES, bytes);
}

function segmentStarts(volume: TestVolume): number[] {
  return volume
    .list('commitlog')
    .map((name) => SegmentFileName.parse(name))
    .filter((start) => start !== undefined)
    .sort((a, b) => a - b);
}

/** Zeroes the log from `offset` on: the rest of its segment and every later segment. */
function zeroLogFrom(volume: TestVolume, offset: number): void {
  writeLog(volume, offset, Buffer.alloc(SEGMENT_BYTES - (offset % SEGMENT_BYTES)));
  for (const start of segmentStarts(volume)) {
    if (start > offset) volume.writeFileAt(segmentPath(start), 0, Buffer.alloc(SEGMENT_BYTES));
  }
}

function recordSize(volume: TestVolume, offset: number): number {
  return readLog(volume, offset, 4).readInt32BE(0);
}

function flipBit(volume: TestVolume, offset: number, random: SeededRandom): void {
  const byte = readLog(volume, offset, 1);
  byte[0]! ^= 1 << random.int(8);
  writeLog(volume, offset, byte);
}

function isAllZero(bytes: Buffer): boolean {
  return bytes.every((byte) => byte === 0);
}

/** One of the last LAST_RECORDS records, optionally only among those matching `accept`. */
function oneOfTheLast(fixture: Fixture, random: SeededRandom, accept = (_: AppendedMessage) => true): AppendedMessage {
  const candidates = fixture.appended.slice(-LAST_RECORDS).filter(accept);
  assert.ok(candidates.length > 0, 'a record to damage');
  return random.pick(candidates);
}

/** A consume queue's directory, relative to the store directory. */
function queueDirectory(topic: string, queueId: number): string {
  return path.join('consumequeue', topic, String(queueId));
}

// ---- the damages ---------------------------------------------------------------------------

const SCENARIOS: readonly Scenario[] = [
  {
    id: 'torn',
    proves: 'a last record torn mid-way (zeroed from a random byte inside it) is cut off',
    damage: (fixture, random) => {
      const last = fixture.appended.at(-1)!.result.commitLogOffset;
      const tornAt = last + random.int(recordSize(fixture.volume, last));
      zeroLogFrom(fixture.volume, tornAt);
      const zeros = isAllZero(readLog(fixture.volume, last, 8));
      return { cut: last, invalidTail: zeros ? 'absent' : 'present' };
    },
  },
  {
    id: 'body-bit',
    proves: 'a flipped bit in the body of one of the last records ends the log there',
    damage: (fixture, random) => {
      const victim = oneOfTheLast(fixture, random, (m) => m.input.body.length > 0);
      const at = victim.result.commitLogOffset + RECORD_LAYOUT.body + random.int(victim.input.body.length);
      flipBit(fixture.volume, at, random);
      return { cut: victim.result.commitLogOffset, invalidTail: 'checksum mismatch' };
    },
  },
  {
    id: 'header-bit',
    proves: 'a flipped bit in a header field of one of the last records ends the log there',
    damage: (fixture, random) => {
      const victim = oneOfTheLast(fixture, random);
      // Any fixed field after TOTALSIZE: MAGICCODE .. BODYLENGTH.
      const field = random.between(RECORD_LAYOUT.magic, RECORD_LAYOUT.body - 1);
      flipBit(fixture.volume, victim.result.commitLogOffset + field, random);
      return { cut: victim.result.commitLogOffset, invalidTail: 'present' };
    },
  },
  {
    id: 'length-bit',
    proves: 'a flipped bit in the TOTALSIZE of one of the last records ends the log there',
    damage: (fixture, random) => {
      const victim = oneOfTheLast(fixture, random);
      flipBit(fixture.volume, victim.result.commitLogOffset + RECORD_LAYOUT.totalSize + random.int(4), random);
      return { cut: victim.result.commitLogOffset, invalidTail: 'present' };
    },
  },
  {
    id: 'garbage',
    proves: 'random garbage after the last record is cut off and zeroed, every record kept',
    damage: (fixture, random) => {
      const room = SEGMENT_BYTES - (fixture.logEnd % SEGMENT_BYTES);
      const garbage = random.bytes(random.between(1, Math.min(room, 4096)));
      garbage[0] = random.between(1, 255);
      writeLog(fixture.volume, fixture.logEnd, garbage);
      return { cut: fixture.logEnd, invalidTail: 'present' };
    },
  },
  {
    id: 'stale-record',
    proves: 'a stale copy of an earlier record after the last one is cut off (its physical offset is wrong)',
    damage: (fixture, random) => {
      const room = SEGMENT_BYTES - (fixture.logEnd % SEGMENT_BYTES);
      const fitting = fixture.appended.filter((m) => recordSize(fixture.volume, m.result.commitLogOffset) <= room);
      assert.ok(fitting.length > 0, 'an earlier record that fits after the last');
      const copied = random.pick(fitting).result.commitLogOffset;
      writeLog(fixture.volume, fixture.logEnd, readLog(fixture.volume, copied, recordSize(fixture.volume, copied)));
      return { cut: fixture.logEnd, invalidTail: 'physical offset does not match position' };
    },
  },
  {
    id: 'queues-deleted',
    proves: 'consume queues rebuilt from the log after the whole consumequeue directory is deleted',
    damage: (fixture) => {
      fixture.volume.delete('consumequeue');
      return { cut: fixture.logEnd, invalidTail: 'absent', rebuiltQueues: TOPICS.length * QUEUES_PER_TOPIC };
    },
  },
  {
    id: 'queue-deleted',
    proves: 'one consume queue rebuilt from the log after its directory is deleted',
    damage: (fixture, random) => {
      fixture.volume.delete(queueDirectory(random.pick(TOPICS), random.int(QUEUES_PER_TOPIC)));
      return { cut: fixture.logEnd, invalidTail: 'absent', rebuiltQueues: 1 };
    },
  },
  {
    id: 'log-tail-zeroed',
    proves: 'consume queues pointing past a log whose last records were zeroed are truncated',
    damage: (fixture, random) => {
      const cut = oneOfTheLast(fixture, random).result.commitLogOffset;
      zeroLogFrom(fixture.volume, cut);
      return { cut, invalidTail: 'absent' };
    },
  },
  {
    id: 'log-segments-zeroed',
    // Consume queue files hold 8 entries, so each queue loses entries over several files.
    proves: 'consume queues ahead of the log by several files (last 1-2 segments zeroed) are truncated',
    damage: (fixture, random) => {
      const starts = segmentStarts(fixture.volume);
      const from = starts.at(-2)!;
      const inSegment = fixture.appended.filter((m) => segmentOf(m.result.commitLogOffset) === from);
      const cut = random.pick(inSegment.slice(0, Math.max(1, inSegment.length >> 2))).result.commitLogOffset;
      zeroLogFrom(fixture.volume, cut);
      return { cut, invalidTail: 'absent' };
    },
  },
  {
    id: 'bogus-queue-entries',
    proves: 'bogus consume queue entries past the last valid one (beyond the log end or out of order) are truncated',
    damage: (fixture, random) => {
      const topic = random.pick(TOPICS);
      const queueId = random.int(QUEUES_PER_TOPIC);
      const queue = fixture.appended.filter((m) => m.input.topic === topic && m.input.queueId === queueId);
      const count = queue.length;
      // Out of order: starts before the queue's last record ends. (An in-order entry inside
      // the log would pass: recovery does not check that an entry's record is of its queue.)
      const lastRecord = queue.at(-1)!.result.commitLogOffset;
      const directory = queueDirectory(topic, queueId);
      const bogus = random.between(1, 3 * CONSUME_QUEUE_ENTRIES_PER_FILE);
      for (let i = 0; i < bogus; i++) {
        const at = (count + i) * CONSUME_QUEUE_ENTRY_BYTES;
        const file = path.join(directory, SegmentFileName.format(at - (at % CONSUME_QUEUE_FILE_BYTES)));
        if (!fixture.volume.exists(file)) fixture.volume.writeFile(file, Buffer.alloc(CONSUME_QUEUE_FILE_BYTES));
        const entry = Buffer.alloc(CONSUME_QUEUE_ENTRY_BYTES);
        const pastEnd = i > 0 || random.next() < 0.5;
        writeConsumeQueueEntry(
          new DataView(entry.buffer, entry.byteOffset, entry.length),
          0,
          pastEnd ? fixture.logEnd + random.int(10_000) : random.int(lastRecord + 1),
          random.between(91, 2000),
          random.int(2 ** 31),
        );
        fixture.volume.writeFileAt(file, at % CONSUME_QUEUE_FILE_BYTES, entry);
      }
      return { cut: fixture.logEnd, invalidTail: 'absent' };
    },
  },
  {
    id: 'index-deleted',
    proves: 'the index is rebuilt from the log after the index directory is deleted (queryByKey works again)',
    damage: (fixture) => {
      fixture.volume.delete('index');
      return { cut: fixture.logEnd, invalidTail: 'absent' };
    },
  },
];

// ---- building and checking stores ---------------------------------------------------------

function storeOptions(clock: { now: number }, extra?: MessageStoreOptions): MessageStoreOptions {
  return {
    segmentBytes: SEGMENT_BYTES,
    consumeQueueEntriesPerFile: CONSUME_QUEUE_ENTRIES_PER_FILE,
    indexSlotCount: 64,
    indexEntryCount: 256,
    retentionCheckIntervalMs: 3_600_000,
    // Checkpoints only from flush() and close(), so the half-way one is the same on a replay.
    checkpointIntervalMs: 3_600_000,
    clock: () => clock.now,
    ...extra,
  };
}

function randomMessage(random: SeededRandom, topics: readonly string[], keyPool: readonly string[]): MessageInput {
  const message: MessageInput = {
    topic: random.pick(topics),
    queueId: random.int(QUEUES_PER_TOPIC),
    body: random.bytes(random.int(BODY_BYTES_MAX + 1)),
  };
  if (random.next() < 0.5) message.tags = `tag-${random.int(5)}`;
  if (random.next() < 0.4) message.keys = [random.pick(keyPool), `k-${random.int(1e9)}`];
  if (random.next() < 0.2) message.properties = { origin: `o-${random.int(100)}` };
  return message;
}

/** Appends MESSAGE_COUNT messages in a mix of append and appendBatch; flushes half way. */
async function build(volume: TestVolume, random: SeededRandom, extra?: MessageStoreOptions): Promise<Fixture> {
  const clock = { now: START_MS };
  const options = { ...storeOptions(clock, extra), ...volume.storeOptions };
  const store = await MessageStore.open(volume.path, options);
  const appended: AppendedMessage[] = [];
  const keyPool = Array.from({ length: 20 }, (_, i) => `shared-${i}`);
  let halfwayCheckpoint: Buffer | undefined;
  try {
    while (appended.length < MESSAGE_COUNT || store.stats().maxOffset % SEGMENT_BYTES === 0) {
      clock.now += random.int(5);
      if (random.next() < 0.5) {
        appended.push(await appendOne(store, randomMessage(random, TOPICS, keyPool)));
      } else {
        const batch = Array.from({ length: random.between(1, 16) }, () => randomMessage(random, TOPICS, keyPool));
        appended.push(...(await appendAll(store, batch)));
      }
      if (halfwayCheckpoint === undefined && appended.length >= MESSAGE_COUNT / 2) {
        await store.flush();
        halfwayCheckpoint = volume.readFile('checkpoint');
      }
    }
    assert.ok(store.stats().segments >= 4, `only ${store.stats().segments} segments`);
    const logEnd = store.stats().maxOffset;
    await store.close();
    return { volume, options, clock, appended, logEnd, halfwayCheckpoint: halfwayCheckpoint! };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Turns the clean close into the recovery mode under test. */
function applyMode(fixture: Fixture, mode: Mode): void {
  if (mode === 'clean') return;
  fixture.volume.writeFile('abort', Buffer.alloc(0));
  if (mode === 'stale') fixture.volume.writeFile('checkpoint', fixture.halfwayCheckpoint);
  if (mode === 'lost') fixture.volume.delete('checkpoint');
}

function checkpointFlushed(fixture: Fixture, mode: Mode): number {
  if (mode === 'lost') return 0;
  const bytes = mode === 'stale' ? fixture.halfwayCheckpoint : fixture.volume.readFile('checkpoint');
  const copies = [decodeCheckpoint(bytes), decodeCheckpoint(bytes.subarray(512))].filter((c) => c !== undefined);
  copies.sort((a, b) => b.sequence - a.sequence);
  return copies[0]!.state.commitLogFlushed;
}

/**
 * The store holds exactly `present` (whole queue histories, in log order) and none of `gone`:
 * by queue offset, by commit log offset (unless `gone` offsets were reused), by msgId and key.
 */
function assertHolds(
  store: MessageStore,
  present: readonly AppendedMessage[],
  gone: readonly AppendedMessage[],
  random: SeededRandom,
  context: string,
): void {
  const queues = byQueue(present);
  for (const queue of queues.values()) assertQueue(store, queue, random, { context, pageMax: 16 });
  for (const name of byQueue(gone).keys()) {
    if (queues.has(name)) continue;
    const [topic, queueId] = name.split('/') as [string, string];
    assert.equal(store.maxQueueOffset(topic, Number(queueId)), 0, `${context}: ${name} lost all its messages`);
    assert.equal(store.read(topic, Number(queueId), 0, 1).messages.length, 0);
  }
  assertReadAt(store, present, context);
  for (const message of present) assertFoundById(store, message, context);
  // A lost message's id is its offset id, which names whatever is stored at that offset now:
  // possibly a message appended after recovery, never the lost one.
  const presentOffsets = new Set(present.map((message) => message.result.commitLogOffset));
  for (const message of gone) {
    for (const found of store.queryByKey(message.input.topic, message.result.msgId)) {
      assert.ok(presentOffsets.has(found.commitLogOffset), `${context}: lost msgId ${message.result.msgId} found`);
    }
  }
  const holders = keyHolders(present);
  for (const [name, messages] of holders) {
    const [topic, key] = name.split(' ') as [string, string];
    assertFoundByKey(store, topic, key, messages, context);
  }
  for (const name of keyHolders(gone).keys()) {
    const [topic, key] = name.split(' ') as [string, string];
    if (!holders.has(name)) assertFoundByKey(store, topic, key, [], `${context} (lost key)`);
  }
}

/** Bytes past the log end must read as zeros (segment files keep their size). */
function assertZeroedFrom(volume: TestVolume, cut: number): void {
  for (const start of segmentStarts(volume)) {
    const bytes = volume.readFile(segmentPath(start));
    assert.equal(bytes.length, SEGMENT_BYTES, `segment ${start} keeps its size`);
    const from = Math.max(0, cut - start);
    if (from < SEGMENT_BYTES) assert.ok(isAllZero(bytes.subarray(from)), `segment ${start} is zero from ${from}`);
  }
}

/**
 * New messages after recovery, some to a new queue and some reusing keys of lost messages
 * (their records reuse the lost records' offsets, which the stale index entries point at).
 */
function moreMessages(random: SeededRandom, gone: readonly AppendedMessage[]): MessageInput[] {
  const lostKeys = gone.flatMap((message) => expectedKeys(message.input));
  return Array.from({ length: 40 }, () => {
    const message = randomMessage(random, [...TOPICS, NEW_TOPIC], ['late-shared']);
    if (lostKeys.length > 0 && random.next() < 0.3) message.keys = random.pick(lostKeys);
    return message;
  });
}

async function appendMore(
  store: MessageStore,
  inputs: readonly MessageInput[],
  random: SeededRandom,
): Promise<AppendedMessage[]> {
  const appended: AppendedMessage[] = [];
  let i = 0;
  while (i < inputs.length) {
    const count = random.between(1, 8);
    if (count === 1) appended.push(await appendOne(store, inputs[i]!));
    else appended.push(...(await appendAll(store, inputs.slice(i, i + count))));
    i += count;
  }
  return appended;
}

function expectedNextOffsets(present: readonly AppendedMessage[]): Map<string, number> {
  const next = new Map<string, number>();
  for (const [name, queue] of byQueue(present)) next.set(name, queue.length);
  return next;
}

async function runScenario(scenario: Scenario, mode: Mode, kind: VolumeKind): Promise<void> {
  const random = seededRandom(`[${kind}] recovery ${scenario.id} ${mode}`);
  const volume = testVolume(kind, `recovery-${scenario.id}`);
  let store: MessageStore | undefined;
  try {
    const fixture = await build(volume, random, scenario.options);
    const expectation = scenario.damage(fixture, random);
    const flushed = checkpointFlushed(fixture, mode);
    applyMode(fixture, mode);
    const present = fixture.appended.filter((m) => m.result.commitLogOffset < expectation.cut);
    const gone = fixture.appended.filter((m) => m.result.commitLogOffset >= expectation.cut);
    const context = `${scenario.id}/${mode} (cut at ${expectation.cut}, ${gone.length} lost)`;

    store = await MessageStore.open(fixture.volume.path, fixture.options);
    const report = store.recovery;
    assert.equal(report.clean, mode === 'clean', `${context}: report.clean`);
    assert.equal(report.logEnd, expectation.cut, `${context}: report.logEnd`);
    const tail = `${context}: invalidTail`;
    if (expectation.invalidTail === 'absent') assert.equal(report.invalidTail, undefined, tail);
    else if (expectation.invalidTail === 'present') assert.equal(typeof report.invalidTail, 'string', tail);
    else assert.equal(report.invalidTail, expectation.invalidTail, tail);
    assert.equal(report.damagedDurableData, expectation.cut < flushed, `${context}: damagedDurableData`);
    assert.equal(report.rebuiltQueues, expectation.rebuiltQueues ?? 0, `${context}: rebuiltQueues`);
    assert.equal(store.stats().maxOffset, expectation.cut, `${context}: log end`);
    assertZeroedFrom(fixture.volume, expectation.cut);
    assertHolds(store, present, gone, random, `${context} after recovery`);
    for (const message of gone) {
      assert.equal(store.readAt(message.result.commitLogOffset), undefined, `${context}: lost record still read`);
    }

    const next = expectedNextOffsets(present);
    const added = await appendMore(store, moreMessages(random, gone), random);
    for (const message of added) {
      const name = `${message.input.topic}/${message.input.queueId}`;
      const expected = next.get(name) ?? 0;
      assert.equal(message.result.queueOffset, expected, `${context}: new append to ${name}`);
      next.set(name, expected + 1);
    }
    const all = [...present, ...added];
    assertHolds(store, all, gone, random, `${context} after new appends`);
    const end = store.stats().maxOffset;
    await store.close();

    store = await MessageStore.open(fixture.volume.path, fixture.options);
    assert.equal(store.recovery.clean, true);
    assert.equal(store.recovery.logEnd, end);
    assert.equal(store.recovery.invalidTail, undefined);
    assertHolds(store, all, gone, random, `${context} after another reopen`);
  } finally {
    await store?.close();
    volume.remove();
  }
}

for (const kind of VOLUME_KINDS) {
  for (const scenario of SCENARIOS) {
    for (const mode of MODES) {
      test(`[${kind}] recovery: ${scenario.proves} (${MODE_NAMES[mode]}, ${MESSAGE_COUNT} messages, 64 KiB segments)`, () =>
        runScenario(scenario, mode, kind));
    }
  }
}

test.run();
