// The deterministic message stream of the store crash tests. Message i of a stream is fixed
// by the stream's seed alone, so the child appends it and the parent regenerates it to check
// what survived a crash byte for byte; no body ever crosses the pipe. Every message carries
// its index in the `idx` property, so a message found anywhere can be matched to the stream.
import type { MessageInput } from '../../../storage/index.js';
import { seededRandom, type SeededRandom } from '../../support/seeded-random.js';

export const STREAM_TOPICS = ['crash-orders', 'crash-audit', 'crash-events'] as const;
export const STREAM_QUEUE_COUNT = 4;
export const STREAM_INDEX_PROPERTY = 'idx';
/** Bodies are slices of one random pool: cheap to regenerate, still unique in practice. */
const POOL_BYTES = 64 * 1024;
const BODY_BYTES_MAX = 4 * 1024;
/** No stream is this long; regenerating past it means the store claims messages never sent. */
const STREAM_LENGTH_MAX = 2_000_000;

export interface StreamMessage {
  readonly index: number;
  readonly topic: string;
  readonly queueId: number;
  readonly body: Buffer;
  readonly tags: string | undefined;
  readonly keys: readonly string[];
  readonly flag: number;
  /** Position in its queue, as the store assigns it when the stream is appended in order. */
  readonly queueOffset: number;
}

export function queueName(topic: string, queueId: number): string {
  return `${topic}/${queueId}`;
}

export function streamQueues(): { topic: string; queueId: number }[] {
  return STREAM_TOPICS.flatMap((topic) =>
    Array.from({ length: STREAM_QUEUE_COUNT }, (_, queueId) => ({ topic, queueId })),
  );
}

export class MessageStream {
  private readonly random: SeededRandom;
  private readonly pool: Buffer;
  private readonly messages: StreamMessage[] = [];
  private readonly byQueue = new Map<string, number[]>();

  constructor(readonly seed: number) {
    this.random = seededRandom('message stream, derived from the round seed', seed);
    this.pool = this.random.bytes(POOL_BYTES + BODY_BYTES_MAX);
  }

  get generated(): number {
    return this.messages.length;
  }

  /** Message `index` of the stream. */
  get(index: number): StreamMessage {
    if (!Number.isSafeInteger(index) || index < 0 || index >= STREAM_LENGTH_MAX) {
      throw new RangeError(`stream index ${index} out of range`);
    }
    while (this.messages.length <= index) this.generate();
    return this.messages[index]!;
  }

  /** Stream index of the message at `queueOffset` of a queue, or undefined past the cap. */
  indexAt(topic: string, queueId: number, queueOffset: number): number | undefined {
    const key = queueName(topic, queueId);
    while ((this.byQueue.get(key)?.length ?? 0) <= queueOffset) {
      if (this.messages.length >= STREAM_LENGTH_MAX) return undefined;
      this.generate();
    }
    return this.byQueue.get(key)![queueOffset];
  }

  input(message: StreamMessage): MessageInput {
    return {
      topic: message.topic,
      queueId: message.queueId,
      body: message.body,
      tags: message.tags,
      keys: message.keys.length === 0 ? undefined : [...message.keys],
      flag: message.flag,
      properties: { [STREAM_INDEX_PROPERTY]: String(message.index) },
    };
  }

  private generate(): void {
    const r = this.random;
    const index = this.messages.length;
    const topic = r.pick(STREAM_TOPICS);
    const queueId = r.int(STREAM_QUEUE_COUNT);
    const sizeClass = r.next();
    const size =
      sizeClass < 0.2 ? r.between(0, 64) : sizeClass < 0.8 ? r.between(65, 1024) : r.between(1025, BODY_BYTES_MAX);
    const start = r.int(POOL_BYTES);
    const keyed = r.next();
    const keys = keyed < 0.6 ? [] : keyed < 0.9 ? [`k${index}`] : [`k${index}`, `k${index}x`];
    const tags = r.next() < 0.5 ? r.pick(['paid', 'refunded', 'shipped']) : undefined;
    const flag = r.int(0x7fffffff);
    const key = queueName(topic, queueId);
    let list = this.byQueue.get(key);
    if (list === undefined) this.byQueue.set(key, (list = []));
    this.messages.push({
      index,
      topic,
      queueId,
      body: this.pool.subarray(start, start + size),
      tags,
      keys,
      flag,
      queueOffset: list.length,
    });
    list.push(index);
  }
}
