// Crash safety of the MessageStore across real process death. A child process
// (children/store-appender.ts) appends a seeded message stream with many appends in flight
// and reports each acknowledged append; the parent SIGKILLs it at a seeded moment (after N
// acknowledgements, on a segment roll, right after startup, or while it is still opening and
// recovering), possibly several times on the same directory, then reopens the store and
// checks: every acknowledged message is there, byte for byte, by queue offset, by commit log
// offset and by key; the log is an exact prefix of the stream (nothing partial, no garbage);
// queues and index match the log; and the recovered store takes more appends and reopens.
//
// A process kill loses no page cache, so every acknowledged append must survive it in both
// flush modes. Replay one round with SEED=<the round's seed> (only that round then runs).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import { MessageStore, type FlushMode, type StoredMessage } from '../../storage/index.js';
import { seededRandom, type SeededRandom } from '../support/seeded-random.js';
import { soakScale } from '../support/soak-scale.js';
import { temporaryDirectory } from '../support/temporary-directory.js';
import {
  MessageStream,
  STREAM_INDEX_PROPERTY,
  queueName,
  streamQueues,
  type StreamMessage,
} from './children/crash-message-stream.js';
import type { ChildConfig } from './children/store-appender.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./children/store-appender.js', import.meta.url));
const SEGMENT_BYTES = 256 * 1024;
/** Small queue and index files, so they roll during a round too. */
const STORE_OPTIONS = {
  segmentBytes: SEGMENT_BYTES,
  consumeQueueEntriesPerFile: 512,
  indexSlotCount: 1024,
  indexEntryCount: 1024,
} as const;
/** A child that has not reached its kill point by then is stuck; the round fails. */
const CHILD_DEADLINE_MS = 30_000;
const ACKS_MAX = 4000;
/** As in storage/storage-constants.ts. */
const PAGE_BYTES = 4096;
const CONSUME_QUEUE_ENTRY_BYTES = 20;
const CRASH_MODE_COUNT = 1_000_000;

/** Children not yet reaped; runChild waits for its child, so this is only a safety net. */
const liveChildren = new Set<ChildProcess>();
function killLiveChildren(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
}
process.on('exit', killLiveChildren);

interface Ack {
  readonly index: number;
  readonly queueOffset: number;
  readonly commitLogOffset: number;
  readonly msgId: string;
  readonly generation: number;
}

type KillPlan =
  | { readonly kind: 'opening'; readonly delayMs: number }
  | { readonly kind: 'ready' }
  | { readonly kind: 'roll'; readonly rolls: number }
  | { readonly kind: 'acks'; readonly acks: number }
  | { readonly kind: 'closed' }
  | { readonly kind: 'exit' };

function describePlan(plan: KillPlan): string {
  switch (plan.kind) {
    case 'opening':
      return `kill ${plan.delayMs} ms into opening`;
    case 'ready':
      return 'kill once open';
    case 'roll':
      return `kill at segment roll #${plan.rolls}`;
    case 'acks':
      return `kill after ${plan.acks} acks`;
    case 'closed':
      return 'kill after close';
    case 'exit':
      return 'exit after close';
  }
}

interface ChildOutcome {
  ready: { first: number; clean: boolean } | undefined;
  acks: Ack[];
  rolls: number;
  done: boolean;
  closed: boolean;
  killedAt: string | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs one child until its plan's moment, SIGKILLs it then, and collects what it reported. */
function runChild(config: ChildConfig, plan: KillPlan, generation: number, label: string): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD_SCRIPT, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    liveChildren.add(child);
    const outcome: ChildOutcome = {
      ready: undefined,
      acks: [],
      rolls: 0,
      done: false,
      closed: false,
      killedAt: undefined,
      exitCode: null,
      signal: null,
      stderr: '',
    };
    let timedOut = false;
    let openingTimer: NodeJS.Timeout | undefined;
    let protocolError: string | undefined;
    const kill = (why: string): void => {
      if (outcome.killedAt !== undefined) return;
      outcome.killedAt = why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill('deadline');
    }, CHILD_DEADLINE_MS);
    const watch: ChildWatch = {
      outcome,
      plan,
      mode: config.mode,
      generation,
      kill,
      killAfter: (why, delayMs) => (openingTimer = setTimeout(() => kill(why), delayMs)),
    };
    const handle = (line: string): void => {
      protocolError ??= handleReport(line, watch);
    };
    const handleLastLine = readChildOutput(child, outcome, handle);
    const reap = (): void => {
      clearTimeout(timer);
      clearTimeout(openingTimer);
      liveChildren.delete(child);
    };
    child.on('error', (error) => {
      reap();
      reject(error);
    });
    child.on('close', (code, signal) => {
      reap();
      handleLastLine();
      outcome.exitCode = code;
      outcome.signal = signal;
      const failure = childFailure(outcome, plan, `${label} generation ${generation}`, { timedOut, protocolError });
      if (failure === undefined) resolve(outcome);
      else reject(failure);
    });
  });
}

/**
 * Feeds the child's stdout to `handle` line by line and collects its stderr; returns what hands
 * over a last line the child did not end (once it has exited).
 */
function readChildOutput(child: ChildProcess, outcome: ChildOutcome, handle: (line: string) => void): () => void {
  let carry = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    carry += chunk;
    const lines = carry.split('\n');
    carry = lines.pop()!;
    for (const line of lines) handle(line);
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    outcome.stderr += chunk;
  });
  return () => {
    if (carry !== '') handle(carry);
  };
}

/** One running child as its report lines see it: what it reported so far, and how to kill it. */
interface ChildWatch {
  readonly outcome: ChildOutcome;
  readonly plan: KillPlan;
  readonly mode: ChildConfig['mode'];
  readonly generation: number;
  kill(why: string): void;
  killAfter(why: string, delayMs: number): void;
}

/**
 * Records one line of the child's report (children/store-appender.ts), killing the child when
 * it reaches its plan's moment; returns what is wrong with a line that is not in the protocol.
 */
function handleReport(
  line: string,
  { outcome, plan, mode, generation, kill, killAfter }: ChildWatch,
): string | undefined {
  const [word, ...fields] = line.split(' ');
  switch (word) {
    case 'OPENING':
      // The seeded delay spreads these kills over opening and recovery.
      if (plan.kind === 'opening') killAfter(`${plan.delayMs} ms into opening`, plan.delayMs);
      break;
    case 'READY':
      outcome.ready = { first: Number(fields[0]), clean: fields[1] === '1' };
      if (plan.kind === 'ready') kill('ready');
      break;
    case 'A': {
      const [index, queueOffset, commitLogOffset, msgId] = fields;
      outcome.acks.push({
        index: Number(index),
        queueOffset: Number(queueOffset),
        commitLogOffset: Number(commitLogOffset),
        msgId: msgId ?? '',
        generation,
      });
      if (plan.kind === 'acks' && outcome.acks.length >= plan.acks) kill(`${outcome.acks.length} acks`);
      break;
    }
    case 'ROLL':
      outcome.rolls++;
      if (plan.kind === 'roll' && outcome.rolls >= plan.rolls) kill(`roll into segment ${fields[0]}`);
      break;
    case 'DONE':
      outcome.done = true;
      if (mode === 'crash') kill('stream done');
      break;
    case 'CLOSED':
      outcome.closed = true;
      if (plan.kind === 'closed') kill('closed');
      break;
    default:
      if (!line.startsWith('  [seed]') && line !== '') return `unexpected child output: ${line.slice(0, 200)}`;
  }
  return undefined;
}

/** Why a child that ended fails its round: stuck, off protocol, or ended before its kill; undefined if none. */
function childFailure(
  outcome: ChildOutcome,
  plan: KillPlan,
  round: string,
  { timedOut, protocolError }: { timedOut: boolean; protocolError: string | undefined },
): Error | undefined {
  const context = `${round} (${describePlan(plan)}; acks ${outcome.acks.length}, rolls ${outcome.rolls})`;
  const stderr = outcome.stderr.trim() === '' ? '' : `\nchild stderr:\n${outcome.stderr}`;
  if (timedOut)
    return new Error(`${context}: the child did not reach its kill point within ${CHILD_DEADLINE_MS} ms${stderr}`);
  if (protocolError !== undefined) return new Error(`${context}: ${protocolError}${stderr}`);
  if (outcome.killedAt === undefined && !(plan.kind === 'exit' && outcome.exitCode === 0))
    return new Error(
      `${context}: the child ended by itself (code ${outcome.exitCode}, signal ${outcome.signal})${stderr}`,
    );
  return undefined;
}

function pickCrashPlan(random: SeededRandom): KillPlan {
  const roll = random.next();
  if (roll < 0.1) return { kind: 'opening', delayMs: random.int(25) };
  if (roll < 0.2) return { kind: 'ready' };
  if (roll < 0.4) return { kind: 'roll', rolls: random.between(1, 5) };
  return { kind: 'acks', acks: random.next() < 0.5 ? random.between(1, 200) : random.between(200, ACKS_MAX) };
}

/** Checks a stored message against the stream message it must be. */
function checkMessage(message: StoredMessage, expected: StreamMessage, where: string): void {
  const index = message.properties[STREAM_INDEX_PROPERTY];
  assert.equal(index, String(expected.index), `${where}: found stream message ${index}, expected ${expected.index}`);
  const what = `${where} (stream message ${expected.index})`;
  assert.equal(message.topic, expected.topic, `${what}: topic`);
  assert.equal(message.queueId, expected.queueId, `${what}: queue id`);
  assert.equal(message.queueOffset, expected.queueOffset, `${what}: queue offset`);
  assert.equal(message.flag, expected.flag, `${what}: flag`);
  assert.equal(message.tags, expected.tags, `${what}: tags`);
  assert.deepEqual(message.keys, [...expected.keys], `${what}: keys`);
  assert.ok(
    message.body.equals(expected.body),
    `${what}: body differs (${message.body.length} bytes, expected ${expected.body.length})`,
  );
}

function assertFound(store: MessageStore, topic: string, key: string, commitLogOffset: number, where: string): void {
  const found = store.queryByKey(topic, key, 32).map((message) => message.commitLogOffset);
  assert.ok(
    found.includes(commitLogOffset),
    `${where}: queryByKey(${topic}, ${key}) gave [${found.join(', ')}], not ${commitLogOffset}`,
  );
}

/**
 * Checks the whole store against the stream and returns how many stream messages it holds.
 * Queues must hold 0..max-1 of their stream messages, the log exactly the stream's first N
 * messages, the index every one of them, and every acknowledged message must be among them.
 */
function verifyStore(
  store: MessageStore,
  stream: MessageStream,
  acked: ReadonlyMap<number, Ack>,
  label: string,
): number {
  let total = 0;
  for (const { topic, queueId } of streamQueues()) {
    const queue = queueName(topic, queueId);
    assert.equal(store.minQueueOffset(topic, queueId), 0, `${label}: ${queue} min offset`);
    const max = store.maxQueueOffset(topic, queueId);
    let offset = 0;
    while (offset < max) {
      const result = store.read(topic, queueId, offset, 32);
      assert.equal(result.status, 'found', `${label}: ${queue} read at ${offset} of ${max}`);
      assert.equal(
        result.messages.length,
        Math.min(32, max - offset),
        `${label}: ${queue} read at ${offset} of ${max}`,
      );
      for (const message of result.messages) {
        const index = stream.indexAt(topic, queueId, offset);
        assert.ok(index !== undefined, `${label}: ${queue} holds ${max} entries, more than any stream`);
        checkMessage(message, stream.get(index), `${label}: ${queue} offset ${offset}`);
        offset++;
      }
    }
    total += max;
  }

  const { minOffset, maxOffset } = store.stats();
  assert.equal(minOffset, 0, `${label}: commit log min offset`);
  let records = 0;
  let offset = 0;
  while (offset < maxOffset) {
    const message = store.readAt(offset);
    if (message === undefined) {
      offset = (Math.floor(offset / SEGMENT_BYTES) + 1) * SEGMENT_BYTES; // a blank ends the segment
      continue;
    }
    const expected = stream.get(records);
    checkMessage(message, expected, `${label}: commit log offset ${offset}`);
    assertFound(store, expected.topic, message.msgId, offset, `${label}: stream message ${records}`);
    for (const key of expected.keys)
      assertFound(store, expected.topic, key, offset, `${label}: stream message ${records}`);
    records++;
    offset += message.totalSize;
  }
  assert.equal(records, total, `${label}: the commit log holds ${records} records but the queues index ${total}`);

  for (const ack of [...acked.values()].sort((a, b) => a.index - b.index)) {
    const expected = stream.get(ack.index);
    const where = `${label}: acknowledged message ${ack.index} (${queueName(expected.topic, expected.queueId)} offset ${ack.queueOffset}, commit log offset ${ack.commitLogOffset}, generation ${ack.generation})`;
    assert.ok(ack.index < total, `${where} is lost: the store holds only the first ${total} messages`);
    const message = store.readAt(ack.commitLogOffset);
    assert.ok(message !== undefined, `${where}: nothing at its commit log offset`);
    checkMessage(message, expected, where);
    assert.equal(message.msgId, ack.msgId, `${where}: msgId`);
    const [byQueue] = store.read(expected.topic, expected.queueId, ack.queueOffset, 1).messages;
    assert.equal(byQueue?.commitLogOffset, ack.commitLogOffset, `${where}: read by queue offset`);
  }
  return total;
}

/** Merges a child's acknowledgements, checking they agree with the stream and each other. */
function mergeAcks(acked: Map<number, Ack>, acks: readonly Ack[], stream: MessageStream, label: string): void {
  for (const ack of acks) {
    const expected = stream.get(ack.index);
    const previous = acked.get(ack.index);
    assert.ok(
      previous === undefined,
      `${label}: message ${ack.index} acknowledged at ${previous?.commitLogOffset} in generation ${previous?.generation} was appended again at ${ack.commitLogOffset}: the reopened store had lost it`,
    );
    assert.equal(ack.queueOffset, expected.queueOffset, `${label}: acknowledged queue offset of message ${ack.index}`);
    assert.ok(ack.msgId !== '', `${label}: message ${ack.index} acknowledged without msgId`);
    acked.set(ack.index, ack);
  }
}

/** Appends `count` more stream messages from `first` in this process (singles and a batch). */
async function appendMore(
  store: MessageStore,
  stream: MessageStream,
  first: number,
  count: number,
  acked: Map<number, Ack>,
  label: string,
): Promise<void> {
  const split = first + Math.floor(count / 2);
  const singles = [];
  for (let index = first; index < split; index++) singles.push(store.append(stream.input(stream.get(index))));
  const batch = [];
  for (let index = split; index < first + count; index++) batch.push(stream.input(stream.get(index)));
  const results = [...(await Promise.all(singles)), ...(await store.appendBatch(batch))];
  const acks = results.map((result, i) => ({
    index: first + i,
    queueOffset: result.queueOffset,
    commitLogOffset: result.commitLogOffset,
    msgId: result.msgId,
    generation: 0,
  }));
  mergeAcks(acked, acks, stream, `${label} (appended after recovery)`);
}

function describeAcks(acks: readonly Ack[]): string {
  if (acks.length === 0) return 'no acks';
  return `${acks.length} acks up to message ${Math.max(...acks.map((a) => a.index))}`;
}

/** One crash round: 1..3 child generations killed on the same directory, then the checks. */
async function crashRound(flush: FlushMode, round: number, roundSeed: number): Promise<string> {
  const label = `${flush} crash round ${round}`;
  const random = seededRandom(label, roundSeed);
  const directory = temporaryDirectory(`crash-${flush}`);
  const stream = new MessageStream(random.int(2 ** 32));
  const acked = new Map<number, Ack>();
  const generations = random.between(1, 3);
  const story: string[] = [];
  let everOpened = false;
  try {
    for (let generation = 1; generation <= generations; generation++) {
      const plan = pickCrashPlan(random);
      const config: ChildConfig = {
        directory: directory.path,
        store: { ...STORE_OPTIONS, flush },
        streamSeed: stream.seed,
        scheduleSeed: random.int(2 ** 32),
        mode: 'crash',
        count: CRASH_MODE_COUNT,
        afterClose: 'wait',
      };
      const outcome = await runChild(config, plan, generation, `${label} (SEED=${roundSeed})`);
      const where = `${label} (SEED=${roundSeed}) generation ${generation}`;
      if (outcome.ready !== undefined) {
        everOpened = true;
        const highest = Math.max(-1, ...acked.keys());
        assert.ok(
          outcome.ready.first > highest,
          `${where}: the child reopened the store at ${outcome.ready.first} messages, but message ${highest} had been acknowledged`,
        );
      }
      mergeAcks(acked, outcome.acks, stream, where);
      const opened = outcome.ready === undefined ? 'not open' : `opened at ${outcome.ready.first}`;
      story.push(`${describePlan(plan)}: ${opened}, killed (${outcome.killedAt}) with ${describeAcks(outcome.acks)}`);
    }

    const where = `${label} (SEED=${roundSeed}) after the crash`;
    const options = { ...STORE_OPTIONS, flush };
    let recovered: number;
    const store = await MessageStore.open(directory.path, options);
    try {
      if (everOpened) assert.equal(store.recovery.clean, false, `${where}: recovery.clean`);
      assert.equal(store.recovery.damagedDurableData, false, `${where}: recovery.damagedDurableData`);
      recovered = verifyStore(store, stream, acked, where);
      await appendMore(store, stream, recovered, random.between(20, 200), acked, where);
    } finally {
      await store.close();
    }
    const total = Math.max(...acked.keys()) + 1;
    const reopened = await MessageStore.open(directory.path, options);
    try {
      const again = `${label} (SEED=${roundSeed}) reopened after more appends`;
      assert.equal(reopened.recovery.clean, true, `${again}: recovery.clean`);
      assert.equal(verifyStore(reopened, stream, acked, again), total, `${again}: message count`);
    } finally {
      await reopened.close();
    }
    return `${story.join('; ')}; recovered ${recovered}, ${total} after appending more`;
  } catch (error) {
    // Failures thrown by the store itself carry no round; say which, and what happened.
    if (error instanceof Error) error.message = `${label} SEED=${roundSeed} [${story.join('; ')}]: ${error.message}`;
    throw error;
  } finally {
    killLiveChildren();
    directory.remove();
  }
}

/** Round seeds: the first is the master seed (SEED= replays it alone), then drawn from it. */
function roundSeeds(label: string, rounds: number): number[] {
  const master = seededRandom(label);
  const count = process.env.SEED === undefined ? rounds : 1;
  return Array.from({ length: count }, (_, round) => (round === 0 ? master.seed : master.int(2 ** 32)));
}

async function runCrashRounds(flush: FlushMode, rounds: number): Promise<void> {
  const seeds = roundSeeds(`message-store crash: ${flush} rounds`, rounds);
  for (const [round, seed] of seeds.entries()) {
    const started = Date.now();
    const summary = await crashRound(flush, round, seed);
    console.log(`    ${flush} round ${round} SEED=${seed}: ${summary} (${Date.now() - started} ms)`);
  }
}

test(`message-store crash: every acknowledged append survives SIGKILL with sync flush (${soakScale(20, 200)} rounds, 256 KiB segments)`, async () => {
  await runCrashRounds('sync', soakScale(20, 200));
});

test(`message-store crash: every acknowledged append survives SIGKILL with async flush, without close (${soakScale(8, 80)} rounds)`, async () => {
  await runCrashRounds('async', soakScale(8, 80));
});

test(`message-store crash: an orderly close with async flush keeps every message (${soakScale(4, 40)} rounds, killed or exiting after close)`, async () => {
  const seeds = roundSeeds('message-store crash: async close rounds', soakScale(4, 40));
  for (const [round, roundSeed] of seeds.entries()) {
    const started = Date.now();
    const label = `async close round ${round} (SEED=${roundSeed})`;
    const random = seededRandom(`async close round ${round}`, roundSeed);
    const directory = temporaryDirectory('crash-close');
    try {
      const stream = new MessageStream(random.int(2 ** 32));
      const count = random.between(1, 3000);
      const plan: KillPlan = random.next() < 0.5 ? { kind: 'closed' } : { kind: 'exit' };
      const config: ChildConfig = {
        directory: directory.path,
        store: { ...STORE_OPTIONS, flush: 'async' },
        streamSeed: stream.seed,
        scheduleSeed: random.int(2 ** 32),
        mode: 'close',
        count,
        afterClose: plan.kind === 'exit' ? 'exit' : 'wait',
      };
      const outcome = await runChild(config, plan, 1, label);
      assert.ok(outcome.closed, `${label}: the child never reported CLOSED`);
      assert.equal(outcome.acks.length, count, `${label}: acknowledged appends`);
      const acked = new Map<number, Ack>();
      mergeAcks(acked, outcome.acks, stream, label);
      const store = await MessageStore.open(directory.path, { ...STORE_OPTIONS, flush: 'async' });
      try {
        assert.equal(store.recovery.clean, true, `${label}: recovery.clean`);
        assert.equal(verifyStore(store, stream, acked, label), count, `${label}: message count`);
      } finally {
        await store.close();
      }
      console.log(
        `    async close round ${round} SEED=${roundSeed}: ${count} messages, ${describePlan(plan)} (${Date.now() - started} ms)`,
      );
    } finally {
      killLiveChildren();
      directory.remove();
    }
  }
});

/** Zeroes `file` from `keep` to the next page boundary and cuts it there, as the shrink step of
 * MappedFile.truncateFrom leaves it when a kill comes before the re-extension. */
function cutAtPage(file: string, keep: number): void {
  const pageEnd = Math.ceil(keep / PAGE_BYTES) * PAGE_BYTES;
  const fd = fs.openSync(file, 'r+');
  try {
    if (pageEnd > keep) fs.writeSync(fd, Buffer.alloc(pageEnd - keep), 0, pageEnd - keep, keep);
    fs.ftruncateSync(fd, pageEnd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Segment-named files of a directory with their start offsets, oldest first. */
function segmentFiles(directory: string): { path: string; from: number }[] {
  return fs
    .readdirSync(directory)
    .filter((name) => /^\d{20}$/.test(name))
    .sort()
    .map((name) => ({ path: path.join(directory, name), from: Number(name) }));
}

/**
 * Cuts a log at `offset` as MappedFileQueue.truncateFrom does (later files deleted, the first
 * kept), with the file holding `offset` left by a kill between shrinking and re-extending it.
 */
function cutLog(directory: string, fileBytes: number, offset: number): void {
  const files = segmentFiles(directory);
  while (files.length > 1 && files.at(-1)!.from >= offset) fs.rmSync(files.pop()!.path);
  const last = files.at(-1)!;
  if (offset < last.from + fileBytes) cutAtPage(last.path, Math.max(0, offset - last.from));
}

/** What recovery makes of the crashed store, untouched: its messages, and where its log and queues end. */
interface RecoveredShape {
  readonly recovered: number;
  readonly logEnd: number;
  readonly queueEnds: readonly { topic: string; queueId: number; end: number }[];
}

async function recoverReference(
  directory: string,
  options: ChildConfig['store'],
  stream: MessageStream,
  acked: ReadonlyMap<number, Ack>,
  label: string,
): Promise<RecoveredShape> {
  const reference = await MessageStore.open(directory, options);
  const recovered = verifyStore(reference, stream, acked, `${label} reference`);
  const logEnd = reference.stats().maxOffset;
  const queueEnds = streamQueues().map(({ topic, queueId }) => ({
    topic,
    queueId,
    end: reference.maxQueueOffset(topic, queueId),
  }));
  await reference.close();
  return { recovered, logEnd, queueEnds };
}

/** The empty or short files a kill can leave, each as the damage it does to a copy of the store. */
function partialFileCases(crashed: string, { logEnd, queueEnds }: RecoveredShape): [string, (d: string) => void][] {
  const indexBytes = fs.statSync(segmentFiles(path.join(crashed, 'index'))[0]!.path).size;
  const queueBytes = STORE_OPTIONS.consumeQueueEntriesPerFile * CONSUME_QUEUE_ENTRY_BYTES;
  const fullest = queueEnds.reduce((a, b) => (b.end > a.end ? b : a));
  const fullestDirectory = (directory: string): string =>
    path.join(directory, 'consumequeue', fullest.topic, String(fullest.queueId));
  const afterLast = (directory: string, fileBytes: number): string => {
    const last = segmentFiles(directory).at(-1)!;
    return path.join(directory, String(last.from + fileBytes).padStart(20, '0'));
  };
  return [
    [
      'next commit log segment created empty',
      (d) => fs.writeFileSync(afterLast(path.join(d, 'commitlog'), SEGMENT_BYTES), ''),
    ],
    ['last commit log segment cut short by recovery', (d) => cutLog(path.join(d, 'commitlog'), SEGMENT_BYTES, logEnd)],
    ['next consume queue file created empty', (d) => fs.writeFileSync(afterLast(fullestDirectory(d), queueBytes), '')],
    [
      'last consume queue files cut short by recovery',
      (d) => {
        for (const { topic, queueId, end } of queueEnds) {
          cutLog(path.join(d, 'consumequeue', topic, String(queueId)), queueBytes, end * CONSUME_QUEUE_ENTRY_BYTES);
        }
      },
    ],
    [
      'newest index file created empty',
      (d) => fs.writeFileSync(path.join(d, 'index', String(logEnd).padStart(20, '0')), ''),
    ],
    [
      'newest index file created without its header',
      (d) => fs.writeFileSync(path.join(d, 'index', String(logEnd).padStart(20, '0')), Buffer.alloc(indexBytes)),
    ],
  ];
}

/** A damaged copy reopens unclean with every recovered message, takes 50 more, and reopens with them. */
async function expectReopens(
  directory: string,
  options: ChildConfig['store'],
  stream: MessageStream,
  acked: ReadonlyMap<number, Ack>,
  recovered: number,
  where: string,
): Promise<void> {
  const store = await MessageStore.open(directory, options);
  const caseAcked = new Map(acked);
  try {
    assert.equal(store.recovery.clean, false, `${where}: recovery.clean`);
    assert.equal(verifyStore(store, stream, caseAcked, where), recovered, `${where}: recovered messages`);
    await appendMore(store, stream, recovered, 50, caseAcked, where);
  } finally {
    await store.close();
  }
  const reopened = await MessageStore.open(directory, options);
  try {
    const again = `${where}, reopened`;
    assert.equal(verifyStore(reopened, stream, caseAcked, again), recovered + 50, `${again}: message count`);
  } finally {
    await reopened.close();
  }
}

test('message-store crash: a file a kill leaves empty or short (mid-create, mid-truncate) does not block reopening (6 cases)', async () => {
  const random = seededRandom('message-store crash: partial files');
  const label = `partial files (SEED=${random.seed})`;
  const crashed = temporaryDirectory('crash-partial');
  const copies: { remove(): void }[] = [];
  try {
    const stream = new MessageStream(random.int(2 ** 32));
    const options = { ...STORE_OPTIONS, flush: 'sync' as const };
    const config: ChildConfig = {
      directory: crashed.path,
      store: options,
      streamSeed: stream.seed,
      scheduleSeed: random.int(2 ** 32),
      mode: 'crash',
      count: CRASH_MODE_COUNT,
      afterClose: 'wait',
    };
    const outcome = await runChild(config, { kind: 'acks', acks: random.between(1500, 2500) }, 1, label);
    const acked = new Map<number, Ack>();
    mergeAcks(acked, outcome.acks, stream, label);

    const copy = (name: string): string => {
      const directory = temporaryDirectory(`crash-partial-${name}`);
      copies.push(directory);
      fs.cpSync(crashed.path, directory.path, { recursive: true });
      return directory.path;
    };
    const shape = await recoverReference(copy('reference'), options, stream, acked, label);
    const cases = partialFileCases(crashed.path, shape);
    const failures: string[] = [];
    for (const [name, damage] of cases) {
      const directory = copy(name.replaceAll(' ', '-'));
      damage(directory);
      try {
        await expectReopens(directory, options, stream, acked, shape.recovered, `${label}: ${name}`);
      } catch (error) {
        failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    assert.deepEqual(
      failures,
      [],
      `${label}: ${failures.length} of ${cases.length} cases failed:\n${failures.join('\n')}`,
    );
  } finally {
    killLiveChildren();
    for (const directory of copies) directory.remove();
    crashed.remove();
  }
});

test.run();
