// One seeded schedule of the storage simulation: a MessageStore on a SimulatedFileSystem takes a
// random mix of single appends, batches, flushes, retention passes, clean restarts and power
// cuts, with faults (failed syncs and writes, full disk, torn and lost pages, flipped bits)
// drawn from the same seed. After every reopen it checks what the store promises:
//
//   - every acknowledged message that was durable (sync flush, or acked before a flush or close
//     that succeeded) is present, byte for byte, at its offsets;
//   - nothing is ever returned that was not appended exactly so (checksums, queue positions);
//   - the log is an unbroken prefix: no acknowledged message below the recovered end is missing;
//   - consume queues, the index and the log agree both ways.
//
// Bit flips damage durable bytes, so schedules with them only check that nothing corrupt is
// returned and that every failure is a typed StoreError.
import assert from 'node:assert/strict';

import { SimulatedFileSystem, type SimulatedFaults } from '../../storage/simulated-file-system.js';
import {
  MessageStore,
  StoreError,
  type AppendResult,
  type MessageInput,
  type MessageStoreOptions,
  type StoredMessage,
} from '../../storage/index.js';
import { assertSameMessage, type AppendedMessage } from '../support/appended-messages.js';
import { seededRandom, type SeededRandom } from '../support/seeded-random.js';

const DIRECTORY = '/simulated/store';
const SEGMENT_BYTES = 64 * 1024;
const TOPICS = ['sim-orders', 'sim-audit'] as const;
const QUEUES_PER_TOPIC = 3;
const ID_PROPERTY = 'sim';
const BODY_BYTES_MAX = 6000;
const BIG_BODY_BYTES_MAX = 40_000;
const HOUR_MS = 3_600_000;
/** Background timers never fire in a schedule: every flush and checkpoint is a chosen step. */
const TIMER_MS = 10 * HOUR_MS;
/** A store that will not open after this many tries with faults on gets them turned off. */
const OPEN_TRIES_WITH_FAULTS = 3;
/** SIM_TRACE=1 with SEED=<n> narrates a schedule step by step. */
const TRACE = process.env.SIM_TRACE === '1';
/** An append still unsettled this long after a crash is hung: a bug, not a slow machine. */
const SETTLE_DEADLINE_MS = 10_000;

export interface ScheduleSummary {
  readonly seed: number;
  readonly steps: number;
  readonly crashes: number;
  readonly restarts: number;
  readonly appended: number;
  readonly acknowledged: number;
  /** Durable messages checked after reopens, summed over reopens. */
  readonly checked: number;
  readonly typedFailures: number;
  readonly bitFlips: boolean;
}

interface Tracked extends AppendedMessage {
  durable: boolean;
}

export class SimulatedStoreRun {
  private readonly random: SeededRandom;
  private fileSystem: SimulatedFileSystem;
  private store: MessageStore | undefined;
  private readonly options: MessageStoreOptions;
  private readonly faults: SimulatedFaults;
  private now = 1_700_000_000_000;
  private nextId = 0;
  private readonly inputs = new Map<number, MessageInput>();
  /** Messages the store holds as far as the test knows, by id. */
  private present = new Map<number, Tracked>();
  private pending = new Set<Promise<void>>();
  private needsRestart = false;
  private readonly counts = { steps: 0, crashes: 0, restarts: 0, acknowledged: 0, checked: 0, typedFailures: 0 };

  constructor(readonly seed: number) {
    this.random = seededRandom('store simulation schedule', seed, false);
    this.faults = drawFaults(this.random);
    this.fileSystem = new SimulatedFileSystem(() => this.random.next(), this.faults);
    this.options = {
      segmentBytes: SEGMENT_BYTES,
      flush: this.random.next() < 0.5 ? 'sync' : 'async',
      preheat: this.random.next() < 0.5,
      consumeQueueEntriesPerFile: this.random.pick([16, 64, 300]),
      indexSlotCount: this.random.pick([4, 64]),
      indexEntryCount: this.random.pick([32, 200]),
      recoveryVerifySegments: this.random.between(1, 3),
      retentionHours: 1,
      flushIntervalMs: TIMER_MS,
      checkpointIntervalMs: TIMER_MS,
      retentionCheckIntervalMs: TIMER_MS,
      syncFlushTimeoutMs: TIMER_MS,
      segmentReleaseTimeoutMs: 0,
      clock: () => this.now,
    };
  }

  private trace(text: string): void {
    if (TRACE) console.log(`    [sim ${this.seed}] ${text}`);
  }

  private get bitFlips(): boolean {
    return (this.faults.bitFlips ?? 0) > 0;
  }

  async run(stepCount: number): Promise<ScheduleSummary> {
    this.trace(`options ${JSON.stringify(this.options)} faults ${JSON.stringify(this.faults)}`);
    await this.reopen();
    for (let step = 0; step < stepCount && this.store !== undefined; step++) {
      this.counts.steps++;
      this.now += this.random.between(0, 50);
      await this.step();
    }
    if (this.store !== undefined) await this.crashAndRecover();
    await this.store?.close().catch(() => undefined);
    return {
      seed: this.seed,
      ...this.counts,
      appended: this.nextId,
      bitFlips: this.bitFlips,
    };
  }

  private async step(): Promise<void> {
    if (this.needsRestart) {
      await (this.random.next() < 0.5 ? this.crashAndRecover() : this.restart());
      return;
    }
    const roll = this.random.next();
    if (roll < 0.35) this.appendSingles(this.random.between(1, 8));
    else if (roll < 0.55) this.appendBatch(this.random.between(1, 16));
    else if (roll < 0.65) await this.settle();
    else if (roll < 0.75) await this.flush();
    else if (roll < 0.85) await this.crashAndRecover();
    else if (roll < 0.9) await this.restart();
    else if (roll < 0.93) this.runRetention();
    else this.spotCheck();
  }

  private newMessage(): MessageInput {
    const id = this.nextId++;
    const big = this.random.next() < 0.05;
    const input: MessageInput = {
      topic: this.random.pick(TOPICS),
      queueId: this.random.int(QUEUES_PER_TOPIC),
      body: this.random.bytes(this.random.int(big ? BIG_BODY_BYTES_MAX : BODY_BYTES_MAX)),
      keys: `k${id}`,
      tags: this.random.next() < 0.5 ? `t${this.random.int(4)}` : undefined,
      properties: { [ID_PROPERTY]: String(id) },
    };
    this.inputs.set(id, input);
    return input;
  }

  private track(work: Promise<void>): void {
    const settled = work.finally(() => this.pending.delete(settled));
    this.pending.add(settled);
  }

  private acknowledged(input: MessageInput, result: AppendResult): void {
    this.counts.acknowledged++;
    this.trace(`ack ${idOf(input)} at ${result.commitLogOffset} ${input.topic}/${input.queueId}@${result.queueOffset}`);
    // Retention may have deleted the segment before the acknowledgement arrived.
    if (result.commitLogOffset < (this.store?.stats().minOffset ?? 0)) return;
    this.present.set(idOf(input), { input, result, durable: this.options.flush === 'sync' });
  }

  /** An expected failure: typed, and the store is restarted before it is used again. */
  private failed(error: unknown, what: string): void {
    if (!(error instanceof StoreError)) throw new Error(`${what} failed with an untyped error`, { cause: error });
    this.counts.typedFailures++;
    this.trace(`${what} failed: ${error.code} ${error.message}`);
    this.needsRestart = true;
  }

  private appendSingles(count: number): void {
    const store = this.store!;
    for (let i = 0; i < count; i++) {
      const input = this.newMessage();
      this.track(
        store.append(input).then(
          (result) => this.acknowledged(input, result),
          (error: unknown) => this.failed(error, 'append'),
        ),
      );
    }
  }

  private appendBatch(count: number): void {
    const inputs = Array.from({ length: count }, () => this.newMessage());
    this.track(
      this.store!.appendBatch(inputs).then(
        (results) => results.forEach((result, i) => this.acknowledged(inputs[i]!, result)),
        (error: unknown) => this.failed(error, 'appendBatch'),
      ),
    );
  }

  private async settle(): Promise<void> {
    const deadline = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), SETTLE_DEADLINE_MS).unref());
    const outcome = await Promise.race([Promise.all([...this.pending]).then(() => 'settled' as const), deadline]);
    assert.equal(outcome, 'settled', `appends still unsettled after ${SETTLE_DEADLINE_MS} ms`);
  }

  /** What was acknowledged before a flush starts is durable once it resolves. */
  private async flush(): Promise<void> {
    const covered = [...this.present.values()];
    try {
      await this.store!.flush();
      this.trace(`flushed ${covered.length} acknowledged`);
      for (const message of covered) message.durable = true;
    } catch (error) {
      this.failed(error, 'flush');
    }
  }

  private runRetention(): void {
    this.now += 2 * HOUR_MS;
    try {
      this.trace(`retention removed ${this.store!.runRetention()}`);
    } catch (error) {
      this.failed(error, 'runRetention');
      return;
    }
    const minOffset = this.store!.stats().minOffset;
    for (const [id, message] of this.present) if (message.result.commitLogOffset < minOffset) this.present.delete(id);
  }

  /** Reads a few known messages back while the store runs. */
  private spotCheck(): void {
    const known = [...this.present.values()];
    for (let i = 0; i < Math.min(4, known.length); i++) {
      const message = this.random.pick(known);
      try {
        const stored = this.store!.readAt(message.result.commitLogOffset);
        if (!this.bitFlips) assertSameMessage(stored, message, `seed ${this.seed} spot check`);
      } catch (error) {
        this.failed(error, 'readAt');
      }
    }
  }

  /** A clean close and reopen: everything acknowledged before it is durable if close succeeds. */
  private async restart(): Promise<void> {
    this.counts.restarts++;
    await this.settle();
    try {
      await this.store!.close();
      this.trace('closed cleanly');
      for (const message of this.present.values()) message.durable = true;
    } catch (error) {
      this.failed(error, 'close');
    }
    this.store = undefined;
    await this.reopen();
  }

  /** Power cut: the old store dies with its machine; a new one recovers from what survived. */
  private async crashAndRecover(): Promise<void> {
    this.counts.crashes++;
    const old = this.store!;
    this.trace(
      `crash with ${this.pending.size} appends pending; durable files ${TRACE ? this.fileSystem.durableNames().join(' ') : ''}`,
    );
    this.fileSystem = this.fileSystem.crash();
    await this.settle();
    await old
      .close()
      .catch((error: unknown) =>
        assert.ok(error instanceof StoreError, `close after a crash: ${String((error as Error).stack)}`),
      );
    this.store = undefined;
    await this.reopen(true);
  }

  /**
   * Opens the store again and checks it. After a crash everything found is on disk; after a
   * restart without one the page cache may still hold what a failed close never made durable.
   */
  private async reopen(afterCrash = false): Promise<void> {
    this.needsRestart = false;
    for (let attempt = 1; this.store === undefined; attempt++) {
      if (attempt > OPEN_TRIES_WITH_FAULTS) this.fileSystem.faults = { bitFlips: this.faults.bitFlips };
      try {
        this.store = await MessageStore.open(DIRECTORY, { ...this.options, fileSystem: this.fileSystem });
      } catch (error) {
        assert.ok(error instanceof StoreError, `open failed with an untyped error: ${String((error as Error).stack)}`);
        this.counts.typedFailures++;
        if (this.bitFlips && error.code === 'CORRUPT_STORE') return;
        assert.ok(attempt <= OPEN_TRIES_WITH_FAULTS + 1, `open keeps failing: ${error.message} ${causeOf(error)}`);
      }
    }
    this.fileSystem.faults = this.faults;
    this.trace(`reopened: ${JSON.stringify(this.store.recovery)} ${JSON.stringify(this.store.stats())}`);
    this.checkRecovered(this.store, afterCrash);
  }

  /** The checks after every reopen; afterwards the test's view is exactly what survived. */
  private checkRecovered(store: MessageStore, afterCrash: boolean): void {
    const context = `seed ${this.seed} after ${this.counts.crashes} crashes, ${this.counts.restarts} restarts`;
    const found = this.scanQueues(store, context);
    const { minOffset, maxOffset } = store.stats();
    if (!this.bitFlips) {
      for (const [id, message] of this.present) {
        // The recovered end is a record boundary: a record starting below it lies wholly below.
        const offset = message.result.commitLogOffset;
        const mustSurvive = message.durable || (offset >= minOffset && offset < maxOffset);
        if (!mustSurvive) continue;
        const survivor = found.get(id);
        if (survivor === undefined) {
          const { topic, queueId } = message.input;
          const inLog = store.readAt(offset) === undefined ? 'not in the log' : 'in the log';
          const queue = `${topic}/${queueId} holds [${store.minQueueOffset(topic, queueId)}, ${store.maxQueueOffset(topic, queueId)})`;
          const kind = message.durable ? 'durable' : 'below the end';
          assert.fail(`${context}: message ${id} (${kind}, ${inLog} at ${offset}, ${queue}) lost`);
        }
        assertSameMessage(survivor.stored, message, `${context} message ${id}`);
        this.counts.checked++;
      }
      this.checkLogAgainstQueues(store, found, context);
    }
    this.checkIndex(store, found, context);
    this.present = new Map(
      [...found].map(([id, { stored }]) => {
        const durable = afterCrash || this.present.get(id)?.durable === true;
        return [id, { input: this.inputs.get(id)!, result: resultOf(stored), durable }];
      }),
    );
  }

  /** Every message in every queue, checked against what was appended; by id. */
  private scanQueues(store: MessageStore, context: string): Map<number, { stored: StoredMessage }> {
    const found = new Map<number, { stored: StoredMessage }>();
    for (const topic of TOPICS) {
      for (let queueId = 0; queueId < QUEUES_PER_TOPIC; queueId++) {
        let offset = store.minQueueOffset(topic, queueId);
        const max = store.maxQueueOffset(topic, queueId);
        while (offset < max) {
          let page: StoredMessage[];
          try {
            page = store.read(topic, queueId, offset, this.random.between(1, 40)).messages;
          } catch (error) {
            assert.ok(this.bitFlips && error instanceof StoreError, `${context}: read failed: ${String(error)}`);
            break;
          }
          assert.ok(page.length > 0, `${context}: ${topic}/${queueId} has no message at ${offset} below ${max}`);
          for (const stored of page) {
            const where = `${context}: ${topic}/${queueId}@${offset}`;
            assert.equal(stored.queueOffset, offset++, `${where}: queue offset`);
            const id = Number(stored.properties[ID_PROPERTY]);
            const input = this.inputs.get(id);
            assert.ok(input !== undefined, `${where}: a message that was never appended`);
            assertSameMessage(stored, { input, result: resultOf(stored) }, where);
            assert.ok(!found.has(id), `${where}: message ${id} stored twice`);
            found.set(id, { stored });
          }
        }
      }
    }
    return found;
  }

  /** Walks the log record by record: each record is in its queue, each queued one in the log. */
  private checkLogAgainstQueues(
    store: MessageStore,
    found: Map<number, { stored: StoredMessage }>,
    context: string,
  ): void {
    const { minOffset, maxOffset } = store.stats();
    let offset = minOffset;
    let records = 0;
    while (offset < maxOffset) {
      const stored = store.readAt(offset);
      if (stored === undefined) {
        offset += SEGMENT_BYTES - (offset % SEGMENT_BYTES);
        continue;
      }
      const id = Number(stored.properties[ID_PROPERTY]);
      assert.equal(found.get(id)?.stored.commitLogOffset, offset, `${context}: log record ${id} at ${offset} unqueued`);
      records++;
      offset += stored.totalSize;
    }
    assert.equal(records, found.size, `${context}: queues hold messages the log walk did not find`);
  }

  /** Each message is found by its key and by its msgId, and only it. */
  private checkIndex(store: MessageStore, found: Map<number, { stored: StoredMessage }>, context: string): void {
    for (const [id, { stored }] of found) {
      for (const key of [`k${id}`, stored.msgId]) {
        let hits: StoredMessage[];
        try {
          hits = store.queryByKey(stored.topic, key, 4);
        } catch (error) {
          assert.ok(this.bitFlips && error instanceof StoreError, `${context}: queryByKey failed: ${String(error)}`);
          continue;
        }
        for (const hit of hits) assert.equal(Number(hit.properties[ID_PROPERTY]), id, `${context}: ${key} hit`);
        if (!this.bitFlips) assert.equal(hits.length, 1, `${context}: queryByKey(${key}) of message ${id}`);
      }
    }
  }
}

/** The stack of what a typed error wraps (an untyped failure inside open is a defect to find). */
function causeOf(error: Error): string {
  return error.cause instanceof Error ? `caused by ${String(error.cause.stack)}` : '';
}

function idOf(input: MessageInput): number {
  return Number(input.properties![ID_PROPERTY]);
}

function resultOf(stored: StoredMessage): AppendResult {
  const { commitLogOffset, queueOffset, msgId, storeTimestamp } = stored;
  return { commitLogOffset, queueOffset, msgId, storeTimestamp };
}

/** A fault profile: most schedules are harsh in one or two ways, some are clean. */
function drawFaults(random: SeededRandom): SimulatedFaults {
  const sometimes = (chance: number, value: number): number => (random.next() < chance ? value : 0);
  return {
    writeback: random.next(),
    tear: random.next() < 0.5 ? 0.5 : 0,
    syncFailure: sometimes(0.2, 0.04),
    writeFailure: sometimes(0.15, 0.04),
    allocateFailure: sometimes(0.15, 0.08),
    bitFlips: sometimes(0.08, random.between(1, 3)),
    // Drawn last, so the draws above (and the schedules of older seeds' faults) stay the same.
    adviseFailure: sometimes(0.2, 0.5),
  };
}
