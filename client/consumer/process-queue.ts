// The messages of one queue a consumer holds: pulled and not yet processed. Their smallest
// offset is what may be committed: everything before it is done. The pull loop stops
// fetching while the queue holds more than its prefetch limits. Handlers running on the queue's
// messages are counted, so a release can wait for exactly those (not for prefetched messages
// nobody will start). In orderly mode the queue also carries its broker lock's client-side
// expiry: nothing of it is consumed once that has passed.
import assert from 'node:assert/strict';

import type { ReceivedMessage } from '../../protocol/message-decoder.js';
import type { MessageQueue } from '../topic-route.js';

/** What the queue needs of a held record: a message, or one that did not decode. */
export interface HeldRecord {
  readonly queueOffset: number;
  readonly body: Buffer;
}

/** Processed messages are dropped from the front of the arrays once this many sit there. */
const PROCESSED_COMPACT_AT = 1024;

export class ProcessQueue {
  /**
   * Held messages in pull order from `head` on, with their offsets alongside; a processed one
   * leaves a hole (undefined) until the head moves past it. Arrays instead of a Map: a message
   * costs two pushes and, processed in order, an O(1) removal (found at the head; otherwise by
   * binary search while offsets ascend, as pulls deliver them).
   */
  private entries: (HeldRecord | undefined)[] = [];
  private offsets: number[] = [];
  private head = 0;
  /** Every added offset was above the one before, so `offsets` is sorted. */
  private ascending = true;
  private heldCount = 0;
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
    return this.heldCount;
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
    if (this.runningCount === 0 && this.stillWaiters.length > 0) {
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

  add(messages: readonly HeldRecord[]): void {
    const { entries, offsets } = this;
    let last = offsets.length > 0 ? offsets[offsets.length - 1]! : -1;
    let bytes = 0;
    for (const message of messages) {
      const offset = message.queueOffset;
      if (offset <= last) this.ascending = false;
      last = offset;
      entries.push(message);
      offsets.push(offset);
      bytes += message.body.length;
    }
    this.heldCount += messages.length;
    this.heldBytes += bytes;
  }

  /** Marks a message processed; returns the offset now safe to commit. */
  remove(message: HeldRecord): number {
    const index = this.indexOf(message.queueOffset);
    if (index >= 0) {
      this.heldCount--;
      this.heldBytes -= this.entries[index]!.body.length;
      this.entries[index] = undefined;
      if (index === this.head) this.advanceHead();
    }
    this.wake();
    return this.committableOffset();
  }

  /** The smallest offset still held, or the next offset to pull when nothing is held. */
  committableOffset(): number {
    return this.head < this.offsets.length ? this.offsets[this.head]! : this.nextPullOffset;
  }

  /** Index of the held (not yet processed) message at `offset`, or -1. */
  private indexOf(offset: number): number {
    const { entries, offsets } = this;
    if (this.offsets[this.head] === offset && entries[this.head] !== undefined) return this.head;
    if (!this.ascending) {
      for (let i = this.head; i < offsets.length; i++) if (offsets[i] === offset && entries[i] !== undefined) return i;
      return -1;
    }
    let low = this.head;
    let high = offsets.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const at = offsets[middle]!;
      if (at === offset) return entries[middle] === undefined ? -1 : middle;
      if (at < offset) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  /** Moves the head past processed messages, and drops them from the arrays now and then. */
  private advanceHead(): void {
    const { entries } = this;
    while (this.head < entries.length && entries[this.head] === undefined) this.head++;
    if (this.head === entries.length) {
      this.entries = [];
      this.offsets = [];
      this.head = 0;
      this.ascending = true;
    } else if (this.head >= PROCESSED_COMPACT_AT && this.head * 2 > entries.length) {
      entries.splice(0, this.head);
      this.offsets.splice(0, this.head);
      this.head = 0;
    }
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
    if (this.roomWaiters.length === 0) return;
    const room = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of room) resolve();
  }
}
