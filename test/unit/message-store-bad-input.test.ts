// Bad input to the store: each is refused with a StoreError of its stable code, and the store
// stays fully usable with nothing stored lost. Good messages are appended before and after each
// bad one, and all of them must read back. Also: a closed store, a locked directory (held by
// another process, or opened twice here) and invalid options. Every test runs on the real disk
// and on the simulated file system, except the one that needs a second process holding a real
// flock: that one is disk only.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'uvu';

import {
  MessageStore,
  StoreError,
  type MessageInput,
  type MessageStoreOptions,
  type StoreErrorCode,
} from '../../storage/index.js';
import { seededRandom, type SeededRandom } from '../support/seeded-random.js';
import { testVolume, VOLUME_KINDS, type TestVolume, type VolumeKind } from '../support/test-volume.js';

const OPTIONS: MessageStoreOptions = {
  segmentBytes: 64 * 1024,
  maxMessageBytes: 1024 * 1024,
  indexSlotCount: 64,
  indexEntryCount: 1024,
  consumeQueueEntriesPerFile: 1024,
};
const TOPIC = 'good';
const BODY_BYTES_MAX = OPTIONS.maxMessageBytes!;

/** OPTIONS on `volume`'s file system. */
function optionsFor(volume: TestVolume): MessageStoreOptions {
  return { ...OPTIONS, ...volume.storeOptions };
}

function isStoreError(error: unknown, code: StoreErrorCode): boolean {
  assert.ok(error instanceof StoreError, `expected a StoreError ${code}, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  assert.equal(error.name, 'StoreError');
  return true;
}

/** A store with a record of the good messages appended to it. */
class Harness {
  private readonly bodies: Buffer[] = [];

  private constructor(
    readonly volume: TestVolume,
    public store: MessageStore,
    private readonly random: SeededRandom,
  ) {}

  static async open(kind: VolumeKind, label: string): Promise<Harness> {
    const volume = testVolume(kind, `bad-input-${label}`);
    const store = await MessageStore.open(volume.path, optionsFor(volume));
    return new Harness(volume, store, seededRandom(`[${kind}] bad input ${label}`));
  }

  async appendGood(): Promise<void> {
    const body = this.random.bytes(this.random.between(0, 300));
    const result = await this.store.append({ topic: TOPIC, queueId: 1, body, tags: 'ok', keys: ['k'] });
    assert.equal(result.queueOffset, this.bodies.length);
    this.bodies.push(body);
  }

  /** Good message, `bad` refused with `code` without writing a byte, good message. */
  async refuses(bad: unknown, code: StoreErrorCode, label: string): Promise<void> {
    await this.appendGood();
    const offsetBefore = this.store.stats().maxOffset;
    await assert.rejects(this.store.append(bad as MessageInput), (error) => isStoreError(error, code), label);
    await assert.rejects(
      this.store.appendBatch([{ topic: TOPIC, queueId: 1, body: Buffer.from('x') }, bad as MessageInput]),
      (error) => isStoreError(error, code),
      `${label} (in a batch)`,
    );
    assert.equal(this.store.stats().maxOffset, offsetBefore, `${label} wrote to the commit log`);
    assert.equal(this.store.maxQueueOffset(TOPIC, 1), this.bodies.length, `${label} reached the queue`);
    await this.appendGood();
    this.checkAll();
  }

  /** Every good message reads back byte-identical, in order. */
  checkAll(): void {
    const read = this.store.read(TOPIC, 1, 0, this.bodies.length + 1);
    assert.equal(read.maxQueueOffset, this.bodies.length);
    assert.equal(read.messages.length, this.bodies.length);
    read.messages.forEach((message, i) => {
      assert.ok(message.body.equals(this.bodies[i]!), `good message ${i} changed`);
      assert.equal(message.tags, 'ok');
    });
  }

  async reopen(): Promise<void> {
    await this.store.close();
    this.store = await MessageStore.open(this.volume.path, optionsFor(this.volume));
    this.checkAll();
  }

  async close(): Promise<void> {
    await this.store.close();
    this.volume.remove();
  }
}

const message = (fields: Record<string, unknown>): unknown => ({
  topic: TOPIC,
  queueId: 1,
  body: Buffer.from('b'),
  ...fields,
});

for (const kind of VOLUME_KINDS) {
  test(`[${kind}] message-store: bad topics are INVALID_TOPIC and change nothing (empty, 128 bytes, space, /, non-ASCII)`, async () => {
    const harness = await Harness.open(kind, 'topic');
    try {
      for (const topic of ['', 'a'.repeat(128), 'has space', 'a/b', '../escape', 'café', 'tab\t', 'emoji😀', 'a.b']) {
        await harness.refuses(message({ topic }), 'INVALID_TOPIC', `topic '${topic}'`);
      }
      for (const topic of [undefined, null, 42, ['good'], { toString: () => 'good' }]) {
        await harness.refuses(message({ topic }), 'INVALID_TOPIC', `topic ${String(topic)}`);
      }
      // The limits themselves are fine: 127 bytes and every allowed character.
      for (const topic of ['a'.repeat(127), 'AZaz09_%|-']) {
        await harness.store.append({ topic, queueId: 0, body: Buffer.from('edge') });
        assert.equal(harness.store.read(topic, 0, 0, 1).messages[0]?.topic, topic);
      }
      await harness.reopen();
    } finally {
      await harness.close();
    }
  });

  test(`[${kind}] message-store: bad bodies are BODY_TOO_LARGE or INVALID_BODY and change nothing (max=1MiB)`, async () => {
    const harness = await Harness.open(kind, 'body');
    try {
      await harness.refuses(message({ body: Buffer.alloc(BODY_BYTES_MAX + 1) }), 'BODY_TOO_LARGE', 'body max + 1');
      for (const body of ['text', undefined, null, [1, 2, 3], { length: 3 }, new Uint16Array(2), new ArrayBuffer(4)]) {
        await harness.refuses(message({ body }), 'INVALID_BODY', `body ${Object.prototype.toString.call(body)}`);
      }
      // A plain Uint8Array is a valid body.
      await harness.store.append({ topic: 'raw', queueId: 0, body: new Uint8Array([1, 2, 3]) });
      assert.deepEqual([...harness.store.read('raw', 0, 0, 1).messages[0]!.body], [1, 2, 3]);
      await harness.reopen();
    } finally {
      await harness.close();
    }
  });

  test(`[${kind}] message-store: properties over 32,767 encoded bytes are PROPERTIES_TOO_LARGE (ASCII and 2-byte UTF-8)`, async () => {
    const harness = await Harness.open(kind, 'properties-size');
    try {
      // Encoded: "big" 0x01 value 0x02 (5 + value bytes); the store adds no property of its own.
      const fits = 32_767 - 5;
      await harness.store.append({
        topic: 'props',
        queueId: 0,
        body: Buffer.from('p'),
        properties: { big: 'x'.repeat(fits) },
      });
      assert.equal(harness.store.read('props', 0, 0, 1).messages[0]?.properties.big?.length, fits);
      const over = message({ properties: { big: 'x'.repeat(fits + 1) } });
      await harness.refuses(over, 'PROPERTIES_TOO_LARGE', 'one byte over');
      const wide = message({ properties: { big: 'é'.repeat(Math.ceil((fits + 1) / 2)) } });
      await harness.refuses(wide, 'PROPERTIES_TOO_LARGE', 'bytes, not characters');
      await harness.refuses(message({ keys: 'k'.repeat(40_000) }), 'PROPERTIES_TOO_LARGE', 'keys count too');
      await harness.reopen();
    } finally {
      await harness.close();
    }
  });

  test(`[${kind}] message-store: separators in property text, tags or keys are INVALID_PROPERTY (\\u0001, \\u0002)`, async () => {
    const harness = await Harness.open(kind, 'property-text');
    try {
      for (const separator of ['\u0001', '\u0002']) {
        const shown = JSON.stringify(separator);
        await harness.refuses(
          message({ properties: { [`na${separator}me`]: 'v' } }),
          'INVALID_PROPERTY',
          `name ${shown}`,
        );
        await harness.refuses(
          message({ properties: { name: `va${separator}lue` } }),
          'INVALID_PROPERTY',
          `value ${shown}`,
        );
        await harness.refuses(message({ tags: `ta${separator}g` }), 'INVALID_PROPERTY', `tags ${shown}`);
        await harness.refuses(message({ keys: [`k${separator}`] }), 'INVALID_PROPERTY', `keys ${shown}`);
      }
      await harness.refuses(message({ properties: { '': 'v' } }), 'INVALID_PROPERTY', 'empty name');
      await harness.refuses(message({ properties: { name: 42 } }), 'INVALID_PROPERTY', 'number value');
      await harness.refuses(message({ tags: 7 }), 'INVALID_PROPERTY', 'tags not a string');
      for (const keys of [42, ['a', 7], [null], { 0: 'a' }, true]) {
        await harness.refuses(message({ keys }), 'INVALID_PROPERTY', `keys ${JSON.stringify(keys)}`);
      }
      await harness.reopen();
    } finally {
      await harness.close();
    }
  });

  test(`[${kind}] message-store: an empty '' -> '' property pair (ali-ons adds one to every decoded message) is dropped, not refused`, async () => {
    const harness = await Harness.open(kind, 'empty-pair');
    try {
      const decodedByAliOns = { TAGS: 'TagA', KEYS: 'k-1', UNIQ_KEY: 'u-1', '': '' };
      const appended = await harness.store.append({
        topic: 'forwarded',
        queueId: 0,
        body: Buffer.from('sent on'),
        properties: decodedByAliOns,
      });
      const [stored] = harness.store.read('forwarded', 0, appended.queueOffset, 1).messages;
      assert.ok(stored !== undefined, 'the message is stored');
      assert.equal(stored.tags, 'TagA');
      assert.deepEqual(stored.keys, ['k-1']);
      assert.deepEqual(
        Object.keys(stored.properties).sort(),
        ['KEYS', 'TAGS', 'UNIQ_KEY'],
        'the empty pair is not stored',
      );
      await harness.refuses(message({ properties: { '': 'v' } }), 'INVALID_PROPERTY', 'empty name, a value');
      await harness.reopen();
    } finally {
      await harness.close();
    }
  });

  test(`[${kind}] message-store: queue ids outside [0, 1024) are INVALID_QUEUE_ID (-1, 1.5, 1024, NaN, huge)`, async () => {
    const harness = await Harness.open(kind, 'queue-id');
    try {
      for (const queueId of [
        -1,
        1.5,
        1024,
        Number.NaN,
        2 ** 53,
        Number.POSITIVE_INFINITY,
        -0.5,
        '1',
        undefined,
        null,
      ]) {
        await harness.refuses(message({ queueId }), 'INVALID_QUEUE_ID', `queueId ${String(queueId)}`);
      }
      await harness.store.append({ topic: TOPIC, queueId: 1023, body: Buffer.from('last queue') });
      assert.equal(harness.store.maxQueueOffset(TOPIC, 1023), 1);
      await harness.reopen();
      assert.equal(harness.store.read(TOPIC, 1023, 0, 1).messages[0]?.body.toString(), 'last queue');
    } finally {
      await harness.close();
    }
  });

  test(`[${kind}] message-store: a batch with one bad message writes nothing (bad first, middle, last; kinds=5)`, async () => {
    const harness = await Harness.open(kind, 'batch');
    try {
      const good = (queueId: number): MessageInput => ({ topic: 'fresh', queueId, body: Buffer.from('never') });
      const bads: [unknown, StoreErrorCode][] = [
        [message({ topic: 'no way' }), 'INVALID_TOPIC'],
        [message({ queueId: -1 }), 'INVALID_QUEUE_ID'],
        [message({ body: 'text' }), 'INVALID_BODY'],
        [message({ tags: '\u0002' }), 'INVALID_PROPERTY'],
        // Passes maxMessageBytes but can never fit a 64 KiB segment.
        [message({ body: Buffer.alloc(64 * 1024) }), 'BODY_TOO_LARGE'],
      ];
      for (const [bad, code] of bads) {
        for (const at of [0, 1, 3]) {
          await harness.appendGood();
          const offsetBefore = harness.store.stats().maxOffset;
          const batch: unknown[] = [good(0), good(1), good(0)];
          batch.splice(at, 0, bad);
          await assert.rejects(harness.store.appendBatch(batch as MessageInput[]), (error) =>
            isStoreError(error, code),
          );
          assert.equal(harness.store.stats().maxOffset, offsetBefore, `${code} at ${at}: commit log unchanged`);
          assert.equal(harness.store.maxQueueOffset('fresh', 0), 0, `${code} at ${at}: queue unchanged`);
          assert.equal(harness.store.read('fresh', 1, 0, 1).status, 'no_queue', `${code} at ${at}: no queue created`);
          await harness.appendGood();
          harness.checkAll();
        }
      }
      await assert.rejects(harness.store.appendBatch('not an array' as never), (error) =>
        isStoreError(error, 'INVALID_MESSAGE'),
      );
      for (const notAMessage of [null, 'text', 42]) {
        await harness.refuses(notAMessage, 'INVALID_MESSAGE', `message ${String(notAMessage)}`);
      }
      await harness.reopen();
      assert.equal(harness.store.read('fresh', 0, 0, 1).status, 'no_queue');
    } finally {
      await harness.close();
    }
  });

  test(`[${kind}] message-store: appending after close is STORE_CLOSED for append and appendBatch`, async () => {
    const harness = await Harness.open(kind, 'closed');
    try {
      await harness.appendGood();
      const closed = harness.store;
      await closed.close();
      await assert.rejects(closed.append(message({}) as MessageInput), (error) => isStoreError(error, 'STORE_CLOSED'));
      await assert.rejects(closed.appendBatch([message({}) as MessageInput]), (error) =>
        isStoreError(error, 'STORE_CLOSED'),
      );
      await assert.rejects(closed.appendBatch([]), (error) => isStoreError(error, 'STORE_CLOSED'));
      await assert.rejects(closed.flush(), (error) => isStoreError(error, 'STORE_CLOSED'));
      await closed.close(); // A second close is a no-op.
      harness.store = await MessageStore.open(harness.volume.path, optionsFor(harness.volume));
      harness.checkAll();
      await harness.appendGood();
      harness.checkAll();
    } finally {
      await harness.close();
    }
  });

  test(`[${kind}] message-store: opening the same directory twice in one process is STORE_LOCKED`, async () => {
    const volume = testVolume(kind, 'bad-input-locked-twice');
    const options = optionsFor(volume);
    try {
      const first = await MessageStore.open(volume.path, options);
      await first.append({ topic: TOPIC, queueId: 0, body: Buffer.from('first') });
      await assert.rejects(MessageStore.open(volume.path, options), (error) => isStoreError(error, 'STORE_LOCKED'));
      // The refused open did not disturb the holder.
      await first.append({ topic: TOPIC, queueId: 0, body: Buffer.from('second') });
      assert.equal(first.read(TOPIC, 0, 0, 2).messages.length, 2);
      await first.close();
      const second = await MessageStore.open(volume.path, options);
      assert.equal(second.recovery.clean, true);
      assert.deepEqual(
        second.read(TOPIC, 0, 0, 2).messages.map((m) => m.body.toString()),
        ['first', 'second'],
      );
      await second.close();
    } finally {
      volume.remove();
    }
  });

  test(`[${kind}] message-store: invalid options are INVALID_OPTION and create nothing (options=28)`, async () => {
    const volume = testVolume(kind, 'bad-input-options');
    const directory = path.join(volume.path, 'store');
    const invalid: Record<string, unknown>[] = [
      { segmentBytes: 1000 },
      { segmentBytes: 64 * 1024 + 1 },
      { segmentBytes: 32 * 1024 },
      { segmentBytes: 2 ** 31 + 4096 },
      { segmentBytes: Number.NaN },
      { segmentBytes: '65536' },
      { flush: 'sometimes' },
      { preheat: 'yes' },
      { lockSegments: 1 },
      { retentionHours: 0 },
      { retentionHours: Number.NaN },
      { maxMessageBytes: 0 },
      { maxMessageBytes: 1.5 },
      { consumeQueueEntriesPerFile: 0 },
      { indexSlotCount: 0 },
      { indexSlotCount: 2 ** 28 },
      { indexEntryCount: 2 ** 28 },
      { syncFlushTimeoutMs: 0 },
      { flushIntervalMs: -1 },
      { checkpointIntervalMs: 1.5 },
      { segmentReleaseTimeoutMs: -1 },
      { recoveryVerifySegments: 0 },
      { clock: 'now' },
      { retentionFloor: 5 },
      { storeHost: 'not a host' },
      { storeHost: '[::1]:10911' },
      { storeHost: '10.0.0.1:70000' },
      { storeHost: 10911 },
    ];
    try {
      for (const options of invalid) {
        await assert.rejects(
          MessageStore.open(directory, { ...optionsFor(volume), ...options } as MessageStoreOptions),
          (error) => isStoreError(error, 'INVALID_OPTION'),
          JSON.stringify(options),
        );
        assert.equal(volume.exists('store'), false, `${JSON.stringify(options)} created the directory`);
      }
      const store = await MessageStore.open(directory, { ...optionsFor(volume), storeHost: '10.0.0.1:10911' });
      const stored = await store.append({ topic: TOPIC, queueId: 0, body: Buffer.from('ok') });
      assert.equal(store.readAt(stored.commitLogOffset)?.storeHost, '10.0.0.1:10911');
      await store.close();
    } finally {
      volume.remove();
    }
  });
}

/** Starts a node process that opens the store in `directory`, appends one message, prints "ready". */
async function startHolder(directory: string): Promise<ChildProcess> {
  const storeUrl = new URL('../../storage/index.js', import.meta.url).href;
  const script = [
    `import { MessageStore } from ${JSON.stringify(storeUrl)};`,
    `const store = await MessageStore.open(${JSON.stringify(directory)}, ${JSON.stringify(OPTIONS)});`,
    "await store.append({ topic: 'held', queueId: 0, body: Buffer.from('from the holder') });",
    "process.stdout.write('ready\\n');",
    'setInterval(() => undefined, 1 << 30);',
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('ready\n')) resolve();
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`holder exited (${code ?? signal}) before ready: ${stderr}`)),
    );
  });
  return child;
}

// Disk only: the simulated file system lives in this process, and the point is a real flock
// held by another process and dropped by the kernel when that process dies.
test('[disk] message-store: a directory another process holds is STORE_LOCKED until it dies, even by SIGKILL', async () => {
  const volume = testVolume('disk', 'bad-input-locked-process');
  let holder: ChildProcess | undefined;
  try {
    holder = await startHolder(volume.path);
    await assert.rejects(MessageStore.open(volume.path, OPTIONS), (error) => {
      isStoreError(error, 'STORE_LOCKED');
      assert.match((error as Error).message, new RegExp(`pid ${holder!.pid}\\b`), 'names the holder');
      return true;
    });
    const exited = once(holder, 'exit');
    holder.kill('SIGKILL');
    const [, signal] = (await exited) as [number | null, string | null];
    assert.equal(signal, 'SIGKILL');
    holder = undefined;
    const store = await MessageStore.open(volume.path, OPTIONS);
    try {
      assert.equal(store.recovery.clean, false, 'the holder never closed the store');
      assert.equal(store.read('held', 0, 0, 1).messages[0]?.body.toString(), 'from the holder');
      await store.append({ topic: 'held', queueId: 0, body: Buffer.from('after') });
      assert.equal(store.maxQueueOffset('held', 0), 2);
    } finally {
      await store.close();
    }
  } finally {
    if (holder !== undefined && holder.exitCode === null && holder.signalCode === null) {
      const exited = once(holder, 'exit');
      holder.kill('SIGKILL');
      await exited;
    }
    volume.remove();
  }
});

test.run();
