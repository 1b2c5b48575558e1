// Bookkeeping for store integration tests: what a test appended (the input and the
// AppendResult) and checks that what the store returns matches it field by field, by queue
// offset (read in pages), by commit log offset (readAt) and by key or msgId (queryByKey).
import assert from 'node:assert/strict';

import type { AppendResult, MessageInput, MessageStore, StoredMessage } from '../../storage/index.js';
import type { SeededRandom } from './seeded-random.js';

export interface AppendedMessage {
  readonly input: MessageInput;
  readonly result: AppendResult;
}

/** Appends `inputs` as one appendBatch and returns them paired with their results. */
export async function appendAll(store: MessageStore, inputs: readonly MessageInput[]): Promise<AppendedMessage[]> {
  const results = await store.appendBatch(inputs);
  assert.equal(results.length, inputs.length);
  return inputs.map((input, i) => ({ input, result: results[i]! }));
}

/** Appends one message with append(). */
export async function appendOne(store: MessageStore, input: MessageInput): Promise<AppendedMessage> {
  return { input, result: await store.append(input) };
}

/** The keys a stored message reports for `input.keys` (KEYS is space-separated). */
export function expectedKeys(input: MessageInput): string[] {
  const joined = typeof input.keys === 'string' ? input.keys : (input.keys ?? []).join(' ');
  return joined === '' ? [] : joined.split(' ');
}

/**
 * The decoded properties of the stored record: user properties, TAGS and KEYS. The store adds
 * no id of its own; a message's msgId is its offset id unless it carries a UNIQ_KEY.
 */
export function expectedProperties(message: AppendedMessage): Record<string, string> {
  const properties: Record<string, string> = { ...message.input.properties };
  if (message.input.tags !== undefined) properties.TAGS = message.input.tags;
  const keys = expectedKeys(message.input);
  if (keys.length > 0) properties.KEYS = keys.join(' ');
  return properties;
}

/** Fails unless `actual` is the stored form of `expected`, byte for byte. */
export function assertSameMessage(actual: StoredMessage | undefined, expected: AppendedMessage, context: string): void {
  const { input, result } = expected;
  const where = `${context}: ${input.topic}/${input.queueId}@${result.queueOffset} (log ${result.commitLogOffset})`;
  assert.ok(actual !== undefined, `${where}: missing`);
  assert.equal(actual.commitLogOffset, result.commitLogOffset, `${where}: commitLogOffset`);
  assert.equal(actual.queueOffset, result.queueOffset, `${where}: queueOffset`);
  assert.equal(actual.topic, input.topic, `${where}: topic`);
  assert.equal(actual.queueId, input.queueId, `${where}: queueId`);
  assert.ok(
    actual.body.equals(input.body),
    `${where}: body differs (${actual.body.length} vs ${input.body.length} bytes)`,
  );
  assert.equal(actual.msgId, result.msgId, `${where}: msgId`);
  assert.equal(actual.storeTimestamp, result.storeTimestamp, `${where}: storeTimestamp`);
  assert.equal(actual.flag, input.flag ?? 0, `${where}: flag`);
  assert.equal(actual.tags, input.tags, `${where}: tags`);
  assert.deepEqual(actual.keys, expectedKeys(input), `${where}: keys`);
  assert.deepEqual({ ...actual.properties }, expectedProperties(expected), `${where}: properties`);
}

/** Groups messages by "topic/queueId", each group in queue order. */
export function byQueue(messages: readonly AppendedMessage[]): Map<string, AppendedMessage[]> {
  const queues = new Map<string, AppendedMessage[]>();
  for (const message of messages) {
    const name = `${message.input.topic}/${message.input.queueId}`;
    let queue = queues.get(name);
    if (queue === undefined) queues.set(name, (queue = []));
    queue.push(message);
  }
  for (const queue of queues.values()) queue.sort((a, b) => a.result.queueOffset - b.result.queueOffset);
  return queues;
}

/**
 * Checks one queue holds exactly `messages` (the queue's whole history in queue order, offsets
 * 0..n-1) of which those below `logMin` were deleted: min/max offsets, reads below min, pages
 * of random size from min to max, and the statuses at and past max.
 */
export function assertQueue(
  store: MessageStore,
  messages: readonly AppendedMessage[],
  random: SeededRandom,
  options: { context: string; logMin?: number; pageMax?: number },
): void {
  const first = messages[0]!.input;
  const { topic, queueId } = first;
  const where = `${options.context}: ${topic}/${queueId}`;
  messages.forEach((message, i) =>
    assert.equal(message.result.queueOffset, i, `${where}: appended offsets gap at ${i}`),
  );
  const logMin = options.logMin ?? 0;
  const firstKept = messages.findIndex((message) => message.result.commitLogOffset >= logMin);
  const min = firstKept < 0 ? messages.length : firstKept;
  const max = messages.length;
  assert.equal(store.minQueueOffset(topic, queueId), min, `${where}: minQueueOffset`);
  assert.equal(store.maxQueueOffset(topic, queueId), max, `${where}: maxQueueOffset`);
  if (min > 0) {
    const below = store.read(topic, queueId, random.int(min), 1);
    assert.equal(below.status, 'offset_too_small', `${where}: read below min`);
    assert.equal(below.nextQueueOffset, min, `${where}: next offset after a read below min`);
    assert.equal(below.messages.length, 0);
  }
  let offset = min;
  while (offset < max) {
    const page = random.between(1, options.pageMax ?? 64);
    const read = store.read(topic, queueId, offset, page);
    assert.equal(read.status, 'found', `${where}: read at ${offset}`);
    assert.equal(read.minQueueOffset, min, `${where}: read.minQueueOffset`);
    assert.equal(read.maxQueueOffset, max, `${where}: read.maxQueueOffset`);
    assert.equal(read.messages.length, Math.min(page, max - offset), `${where}: page size at ${offset}`);
    read.messages.forEach((message, i) => assertSameMessage(message, messages[offset + i]!, `${where} page`));
    assert.equal(read.nextQueueOffset, offset + read.messages.length, `${where}: nextQueueOffset`);
    offset = read.nextQueueOffset;
  }
  const atEnd = store.read(topic, queueId, max, 1);
  assert.equal(atEnd.status, 'no_new_message', `${where}: read at max`);
  assert.equal(atEnd.nextQueueOffset, max);
  const past = store.read(topic, queueId, max + 1 + random.int(5), 1);
  assert.equal(past.status, 'offset_overflow', `${where}: read past max`);
  assert.equal(past.nextQueueOffset, max);
}

/** Checks every message by commit log offset; those below `logMin` must be gone. */
export function assertReadAt(
  store: MessageStore,
  messages: readonly AppendedMessage[],
  context: string,
  logMin = 0,
): void {
  for (const message of messages) {
    const stored = store.readAt(message.result.commitLogOffset);
    if (message.result.commitLogOffset < logMin)
      assert.equal(stored, undefined, `${context}: deleted record still read`);
    else assertSameMessage(stored, message, `${context} readAt`);
  }
}

/** Checks queryByKey finds `message` by its msgId, as the only result. */
export function assertFoundById(store: MessageStore, message: AppendedMessage, context: string): void {
  const found = store.queryByKey(message.input.topic, message.result.msgId, 4);
  assert.equal(found.length, 1, `${context}: queryByKey(msgId ${message.result.msgId}) found ${found.length}`);
  assertSameMessage(found[0], message, `${context} by msgId`);
}

/**
 * Checks queryByKey(topic, key) returns exactly `holders` (all messages of the topic carrying
 * `key`), oldest first.
 */
export function assertFoundByKey(
  store: MessageStore,
  topic: string,
  key: string,
  holders: readonly AppendedMessage[],
  context: string,
): void {
  const found = store.queryByKey(topic, key, holders.length + 8);
  const where = `${context}: queryByKey(${topic}, ${key})`;
  assert.deepEqual(
    found.map((message) => message.commitLogOffset),
    holders.map((message) => message.result.commitLogOffset).sort((a, b) => a - b),
    where,
  );
  const byOffset = new Map(holders.map((message) => [message.result.commitLogOffset, message]));
  for (const message of found) assertSameMessage(message, byOffset.get(message.commitLogOffset)!, where);
}

/** "topic key" -> the messages of that topic carrying that key. */
export function keyHolders(messages: readonly AppendedMessage[]): Map<string, AppendedMessage[]> {
  const holders = new Map<string, AppendedMessage[]>();
  for (const message of messages) {
    for (const key of new Set(expectedKeys(message.input))) {
      const name = `${message.input.topic} ${key}`;
      let list = holders.get(name);
      if (list === undefined) holders.set(name, (list = []));
      list.push(message);
    }
  }
  return holders;
}
