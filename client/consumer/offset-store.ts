// Where a consumer keeps how far it got in each queue. Clustering consumers commit to the
// broker (the group shares the offsets), every 5 s and at shutdown; broadcasting consumers
// keep them in memory (every member consumes everything).
import type { ClientInstance } from '../client-instance.js';
import { ClientError } from '../client-error.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { queueKey, type MessageQueue } from '../topic-route.js';

export interface OffsetStore {
  /** The committed offset, or undefined when the group has none for the queue. */
  fetch(queue: MessageQueue): Promise<number | undefined>;
  /** Records progress locally; persisted by persist(). */
  update(queue: MessageQueue, offset: number): void;
  /** The locally known offset (undefined if none). */
  local(queue: MessageQueue): number | undefined;
  /** Sends changed offsets of `queues` (all when absent) to where they are kept. */
  persist(queues?: readonly MessageQueue[]): Promise<void>;
  forget(queue: MessageQueue): void;
}

interface Entry {
  readonly queue: MessageQueue;
  offset: number;
  dirty: boolean;
}

export class RemoteOffsetStore implements OffsetStore {
  private readonly entries = new Map<string, Entry>();
  /**
   * The entry update() last touched: a consumer marks messages processed one at a time, mostly
   * on one queue in a row, so a repeated update finds its entry without a key and a map lookup.
   */
  private lastEntry: Entry | undefined;

  constructor(
    private readonly client: ClientInstance,
    private readonly group: string,
  ) {}

  async fetch(queue: MessageQueue): Promise<number | undefined> {
    // A replica answers with the offsets replicated from its master while the master is gone.
    const address = this.client.brokerReadAddress(queue.brokerName);
    if (address === undefined) throw new ClientError('BROKER_UNAVAILABLE', queue.brokerName);
    const response = await this.client.invoke(address, {
      code: REQUEST_CODE.QUERY_CONSUMER_OFFSET,
      extFields: { consumerGroup: this.group, topic: queue.topic, queueId: queue.queueId },
    });
    if (response.code === RESPONSE_CODE.QUERY_NOT_FOUND) return undefined;
    if (response.code !== RESPONSE_CODE.SUCCESS)
      throw ClientError.fromResponse(response.code, response.remark, 'query offset');
    return Number(response.extFields?.offset);
  }

  update(queue: MessageQueue, offset: number): void {
    let entry = this.lastEntry;
    if (entry?.queue !== queue) {
      const key = queueKey(queue);
      entry = this.entries.get(key);
      if (entry === undefined) this.entries.set(key, (entry = { queue, offset, dirty: true }));
      this.lastEntry = entry;
    }
    if (entry.offset !== offset) {
      entry.offset = offset;
      entry.dirty = true;
    }
  }

  local(queue: MessageQueue): number | undefined {
    return this.entries.get(queueKey(queue))?.offset;
  }

  async persist(queues?: readonly MessageQueue[]): Promise<void> {
    const wanted = queues === undefined ? undefined : new Set(queues.map(queueKey));
    const sends: Promise<void>[] = [];
    for (const [key, entry] of this.entries) {
      if (!entry.dirty || (wanted !== undefined && !wanted.has(key))) continue;
      const address = this.client.brokerAddress(entry.queue.brokerName);
      if (address === undefined) continue;
      entry.dirty = false;
      const offset = entry.offset;
      sends.push(
        this.client
          .invoke(address, {
            code: REQUEST_CODE.UPDATE_CONSUMER_OFFSET,
            extFields: {
              consumerGroup: this.group,
              topic: entry.queue.topic,
              queueId: entry.queue.queueId,
              commitOffset: offset,
            },
          })
          .then(
            (response) => {
              if (response.code !== RESPONSE_CODE.SUCCESS && entry.offset === offset) entry.dirty = true;
            },
            () => {
              if (entry.offset === offset) entry.dirty = true;
            },
          ),
      );
    }
    await Promise.all(sends);
  }

  forget(queue: MessageQueue): void {
    this.entries.delete(queueKey(queue));
    this.lastEntry = undefined; // (it may be the deleted entry, under another object of the queue)
  }
}

export class LocalOffsetStore implements OffsetStore {
  private readonly offsets = new Map<string, number>();

  async fetch(queue: MessageQueue): Promise<number | undefined> {
    return this.offsets.get(queueKey(queue));
  }

  update(queue: MessageQueue, offset: number): void {
    this.offsets.set(queueKey(queue), offset);
  }

  local(queue: MessageQueue): number | undefined {
    return this.offsets.get(queueKey(queue));
  }

  async persist(): Promise<void> {}

  forget(): void {}
}
