import { DEDUPLICATION_WINDOW_MS_DEFAULT } from '../client-constants.js';
import { DEDUPLICATION_ENTRIES_MAX_DEFAULT } from '../client-constants.js';
// The ids of messages processed recently, for consumers that skip redeliveries (the
// `deduplicate` option). In memory, bounded twice: an id is forgotten `windowMs` after it was
// processed, and beyond `maxEntries` ids the oldest go first. Ids sit in a Map in the order they
// were processed, so both bounds evict from the front: O(1) per id.
//
// Memory: an entry is a 32-character id plus a number in a Map, roughly 100-150 bytes, so the
// default 100,000 entries cost about 10-15 MB at most.
//
// A window only knows what this consumer instance processed. Redeliveries that cross instances
// (the queue moved to another member, or this process restarted) need a shared or durable
// store: pass one that implements DeduplicationStore.

/** Where processed message ids are remembered; may be asynchronous (a database, Redis). */
export interface DeduplicationStore {
  /** True when `msgId` was processed successfully within the store's window. */
  seen(msgId: string): boolean | Promise<boolean>;
  /** Records that `msgId` was processed successfully. */
  remember(msgId: string): void | Promise<void>;
}

/**
 * The default DeduplicationStore: ids processed within `windowMs` (default 10 min), at most
 * `maxEntries` (default 100,000), in memory, oldest evicted first.
 * @throws RangeError for a non-positive window or entry count.
 */
export class DeduplicationWindow implements DeduplicationStore {
  /** msgId -> when it was processed, oldest first. */
  private readonly processedAtMs = new Map<string, number>();

  constructor(
    private readonly windowMs = DEDUPLICATION_WINDOW_MS_DEFAULT,
    private readonly maxEntries = DEDUPLICATION_ENTRIES_MAX_DEFAULT,
    private readonly now: () => number = Date.now,
  ) {
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${windowMs}`);
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  get size(): number {
    return this.processedAtMs.size;
  }

  seen(msgId: string): boolean {
    const now = this.now();
    this.evict(now);
    const at = this.processedAtMs.get(msgId);
    return at !== undefined && now - at < this.windowMs;
  }

  remember(msgId: string): void {
    const now = this.now();
    // Re-inserting moves the id to the back, keeping the Map in processing order.
    this.processedAtMs.delete(msgId);
    this.processedAtMs.set(msgId, now);
    this.evict(now);
  }

  private evict(now: number): void {
    for (const [msgId, at] of this.processedAtMs) {
      if (this.processedAtMs.size <= this.maxEntries && now - at < this.windowMs) return;
      this.processedAtMs.delete(msgId);
    }
  }
}
