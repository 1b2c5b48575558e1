// The messages of one queue a consumer holds: pulled and not yet processed. Their smallest
// offset is what may be committed: everything before it is done. The pull loop stops
// fetching while the queue holds more than its prefetch limits. Handlers running on the queue's
// messages are counted, so a release can wait for exactly those (not for prefetched messages
// nobody will start). In orderly mode the queue also carries its broker lock's client-side
// expiry: nothing of it is consumed once that has passed.
import assert from 'node:assert/strict';

import type { ReceivedMessage } from './remoting/message-decoder.js';
import type { MessageQueue } from './topic-route.js';

export class ProcessQueue {
  /** In offset order: messages are added in pull order and Map keeps insertion order. */
  private readonly held = new Map<number, ReceivedMessage>();
  private heldBytes = 0;
  private roomWaiters: (() => void)[] = [];
  private runningCount = 0;
  private stillWaiters: (() => void)[] = [];
  /** Set when rebalance gives the queue away: nothing more is pulled or committed for it. */
  dropped = false;
  /**
   * Orderly mode: until when (Date.now() ms) the broker lock counts as held here: the last
   * successful lock request's send time plus the client-side expiry. Infinity when not locking.
   */
  lockedUntilMs = Number.POSITIVE_INFINITY;
  /** Orderly mode: the lock was refused or expired; another client may hold the queue now. */
  lockLost = false;

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

  /** Handlers running on this queue's messages. */
  get running(): number {
    return this.runningCount;
  }

  /** Orderly mode: the lock is held and has not expired client-side. */
  isLocked(now = Date.now()): boolean {
    return !this.lockLost && now < this.lockedUntilMs;
  }

  /** A handler starts on one of the queue's messages. */
  beginRun(): void {
    this.runningCount++;
  }

  /** A handler finished; call after the message was removed if it succeeded. */
  endRun(): void {
    assert(this.runningCount > 0, 'endRun without beginRun');
    this.runningCount--;
    if (this.runningCount === 0) {
      const still = this.stillWaiters;
      this.stillWaiters = [];
      for (const resolve of still) resolve();
    }
  }

  /** Resolves when no handler runs on the queue's messages. */
  waitUntilNoneRunning(): Promise<void> {
    if (this.runningCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.stillWaiters.push(resolve));
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
  async waitForRoom(countLimit: number, bytesLimit: number): Promise<void> {
    // Every removal wakes the waiters, room or not: check again after each.
    while (!this.dropped && (this.count >= countLimit || this.bytes >= bytesLimit))
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  drop(): void {
    this.dropped = true;
    this.wake();
  }

  private wake(): void {
    const room = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of room) resolve();
  }
}
