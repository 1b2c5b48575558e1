// Topics and their consume queues. Topic names are validated once and cached with what the
// hot path needs: the name's bytes for the record and the index hash seed for "topic#key".
import path from 'node:path';

import { ConsumeQueue } from './consume-queue.js';
import { javaStringHash } from '../protocol/java-string-hash.js';
import { QueueCatalog } from './queue-catalog.js';
import { QUEUE_COUNT_MAX } from './storage-constants.js';
import { isValidTopic } from '../protocol/name-rules.js';
import type { StorageFileSystem } from './storage-file-system.js';
import { StoreError } from './store-error.js';

const INDEX_KEY_SEPARATOR = '#';

export interface TopicEntry {
  readonly name: string;
  readonly bytes: Buffer;
  /** Java hash of "topic#", continued over a key to give the hash of "topic#key". */
  readonly indexHashSeed: number;
  readonly queues: (ConsumeQueue | undefined)[];
  /** Java hash of "topic#" + the store's id prefix, so hashing a generated id takes 12 characters. */
  generatedIdSeed?: number;
}

export { isValidTopic };

export class TopicRegistry {
  private readonly topics = new Map<string, TopicEntry>();
  readonly root: string;
  private readonly catalog: QueueCatalog;

  constructor(
    private readonly fileSystem: StorageFileSystem,
    directory: string,
    private readonly entriesPerFile: number,
  ) {
    this.root = path.join(directory, 'consumequeue');
    fileSystem.makeDirectory(this.root);
    this.catalog = new QueueCatalog(fileSystem, directory);
  }

  /** The entry for a topic about to be written; throws INVALID_TOPIC for a bad name. */
  topic(name: string): TopicEntry {
    const found = this.topics.get(name);
    if (found !== undefined) return found;
    if (!isValidTopic(name)) {
      throw new StoreError('INVALID_TOPIC', `'${String(name).slice(0, 200)}'`);
    }
    const entry: TopicEntry = {
      name,
      bytes: Buffer.from(name, 'latin1'),
      indexHashSeed: javaStringHash(name + INDEX_KEY_SEPARATOR),
      queues: [],
    };
    this.topics.set(name, entry);
    return entry;
  }

  /** The entry of a topic that has been written or recovered; reads never create entries. */
  existing(name: string): TopicEntry | undefined {
    return this.topics.get(name);
  }

  /** The queue if it exists; reads never create queues. */
  find(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.topics.get(topic)?.queues[queueId];
  }

  /** The queue for a write, created (and recorded in the catalog) on first use. */
  queueForWrite(entry: TopicEntry, queueId: number): ConsumeQueue {
    const existing = entry.queues[queueId];
    if (existing !== undefined) return existing;
    const queue = new ConsumeQueue(this.fileSystem, this.root, entry.name, queueId, this.entriesPerFile);
    entry.queues[queueId] = queue;
    this.catalog.add({ topic: entry.name, queueId });
    return queue;
  }

  /**
   * Every queue known from the catalog or found on disk, attached but not yet recovered.
   * `missing` lists the catalog queues whose directory is gone.
   */
  discover(): { queues: ConsumeQueue[]; missing: ConsumeQueue[] } {
    const queues: ConsumeQueue[] = [];
    const missing: ConsumeQueue[] = [];
    const attach = (topic: string, queueId: number, onDisk: boolean): void => {
      if (!isValidTopic(topic) || !Number.isInteger(queueId) || queueId < 0 || queueId >= QUEUE_COUNT_MAX) return;
      const entry = this.topic(topic);
      if (entry.queues[queueId] !== undefined) return;
      const queue = new ConsumeQueue(this.fileSystem, this.root, topic, queueId, this.entriesPerFile);
      entry.queues[queueId] = queue;
      queues.push(queue);
      if (!onDisk) missing.push(queue);
    };
    for (const topic of this.fileSystem.list(this.root)) {
      const topicDirectory = path.join(this.root, topic);
      if (!this.fileSystem.isDirectory(topicDirectory)) continue;
      for (const queueName of this.fileSystem.list(topicDirectory)) {
        if (/^\d+$/.test(queueName)) attach(topic, Number(queueName), true);
      }
    }
    const recorded = new Set(queues.map((queue) => `${queue.topic} ${queue.queueId}`));
    for (const { topic, queueId } of this.catalog.entries) {
      if (!recorded.has(`${topic} ${queueId}`)) attach(topic, queueId, false);
    }
    const catalogued = new Set(this.catalog.entries.map((e) => `${e.topic} ${e.queueId}`));
    for (const queue of queues) {
      if (!catalogued.has(`${queue.topic} ${queue.queueId}`)) {
        this.catalog.add({ topic: queue.topic, queueId: queue.queueId });
      }
    }
    return { queues, missing };
  }

  /** Replaces a queue by an empty one, deleting its files (before a rebuild). */
  resetQueue(queue: ConsumeQueue): ConsumeQueue {
    queue.files.removeAll();
    const fresh = new ConsumeQueue(this.fileSystem, this.root, queue.topic, queue.queueId, this.entriesPerFile);
    fresh.files.load();
    this.topic(queue.topic).queues[queue.queueId] = fresh;
    return fresh;
  }

  /**
   * Deletes a topic's consume queues: their files go once no reader holds them, the directory
   * goes, and a catalog tombstone keeps recovery from rebuilding them. False if none existed.
   */
  removeTopic(name: string): boolean {
    const entry = this.topics.get(name);
    const directory = path.join(this.root, name);
    if (entry === undefined && !this.fileSystem.exists(directory)) return false;
    for (const queue of entry?.queues ?? []) queue?.files.removeAll();
    this.topics.delete(name);
    this.fileSystem.remove(directory);
    this.catalog.removeTopic(name);
    return true;
  }

  *allQueues(): IterableIterator<ConsumeQueue> {
    for (const entry of this.topics.values()) {
      for (const queue of entry.queues) if (queue !== undefined) yield queue;
    }
  }

  /** Makes queue creations durable (called before each checkpoint). */
  syncCatalog(): Promise<void> {
    return this.catalog.sync();
  }

  async close(): Promise<void> {
    await Promise.all([...this.allQueues()].map((queue) => queue.close()));
    this.catalog.close();
  }
}
