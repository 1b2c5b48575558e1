// The messages of one queue a consumer holds: pulled and not yet processed. Their smallest
// offset is what may be committed: everything before it is done. The pull loop stops
// fetching while the queue holds more than its prefetch limits.
import type { ReceivedMessage } from './remoting/message-decoder.js';
import type { MessageQueue } from './topic-route.js';

export class ProcessQueue {
  /** In offset order: messages are added in pull order and Map keeps insertion order. */
  private readonly held = new Map<number, ReceivedMessage>();
  private heldBytes = 0;
  private roomWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  /** Set when rebalance gives the queue away: nothing more is pulled or committed for it. */
  dropped = false;

  constructor(
    readonly queue: MessageQueue,
    /** Next offset to pull. */
    public nextPullOffset: number,
  ) {}

  get count(): number {
    return this.held.size;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  add(messages: readonly ReceivedMessage[]): void {
    for (const message of messages) {
      this.held.set(message.queueOffset, message);
      this.heldBytes += message.body.length;
    }
  }

  /** Marks a message processed; returns the offset now safe to commit. */
  remove(message: ReceivedMessage): number {
    if (this.held.delete(message.queueOffset)) this.heldBytes -= message.body.length;
    this.wake();
    return this.committableOffset();
  }

  /** The smallest offset still held, or the next offset to pull when nothing is held. */
  committableOffset(): number {
    for (const offset of this.held.keys()) return offset;
    return this.nextPullOffset;
  }

  /** Resolves when count and bytes are below the limits (or the queue is dropped). */
  waitForRoom(countLimit: number, bytesLimit: number): Promise<void> {
    if (this.dropped || (this.count < countLimit && this.bytes < bytesLimit)) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Resolves when no message is held any more. */
  waitUntilIdle(): Promise<void> {
    if (this.held.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  drop(): void {
    this.dropped = true;
    this.wake();
  }

  private wake(): void {
    const room = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of room) resolve();
    if (this.held.size === 0) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of idle) resolve();
    }
  }
}
