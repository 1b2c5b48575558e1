// The message stream every engine in a comparison receives: the same bodies in the same order.
// Bodies come from a seeded xorshift generator, so runs and engines see identical bytes without
// the cost of crypto on the hot path.
import type { MessageInput } from '../../storage/index.js';

export const BENCH_TOPIC = 'BenchTopic';

/** `count` deterministic pseudo-random bodies of `bytes` bytes each. */
export function makeBodies(bytes: number, count: number, seed = 0x9e3779b9): Buffer[] {
  let state = seed >>> 0 || 1;
  const bodies: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const body = Buffer.allocUnsafe(bytes);
    for (let j = 0; j < bytes; j++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      body[j] = state & 0xff;
    }
    bodies.push(body);
  }
  return bodies;
}

/**
 * A ring of pre-built batches over a pool of bodies: batch k holds bodies
 * [k*batchSize, (k+1)*batchSize) of the pool (wrapping), queue ids round-robin over `queues`.
 */
export class MessageStream {
  readonly bodies: Buffer[];
  private readonly messageBatches: MessageInput[][];
  private readonly bodyBatches: Buffer[][];
  private readonly flat: MessageInput[];
  private cursor = 0;

  constructor(
    readonly bodyBytes: number,
    readonly batchSize: number,
    readonly queues = 8,
    ringBatches = 64,
  ) {
    const poolSize = Math.max(batchSize * Math.min(ringBatches, 16), 256);
    // 16 KiB bodies: keep the pool small (it is the same bytes either way).
    this.bodies = makeBodies(bodyBytes, bodyBytes >= 4096 ? Math.min(poolSize, 64) : poolSize);
    this.messageBatches = [];
    this.bodyBatches = [];
    let n = 0;
    for (let b = 0; b < ringBatches; b++) {
      const messages: MessageInput[] = [];
      const bodies: Buffer[] = [];
      for (let i = 0; i < batchSize; i++, n++) {
        const body = this.bodies[n % this.bodies.length]!;
        bodies.push(body);
        messages.push({ topic: BENCH_TOPIC, queueId: n % queues, body });
      }
      this.messageBatches.push(messages);
      this.bodyBatches.push(bodies);
    }
    this.flat = this.messageBatches.flat();
  }

  /** The next batch as store messages. */
  nextMessages(): MessageInput[] {
    const batch = this.messageBatches[this.cursor]!;
    this.cursor = (this.cursor + 1) % this.messageBatches.length;
    return batch;
  }

  /** The next batch as bare bodies (peers without topics or queues). */
  nextBodies(): Buffer[] {
    const batch = this.bodyBatches[this.cursor]!;
    this.cursor = (this.cursor + 1) % this.bodyBatches.length;
    return batch;
  }

  /** The n-th message of the ring (pre-built, like the batches). */
  message(n: number): MessageInput {
    return this.flat[n % this.flat.length]!;
  }
}
