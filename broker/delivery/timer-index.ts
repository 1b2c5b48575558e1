// The in-memory index of deliverAt messages still held: a binary min-heap of (due time, queue
// offset in TRIBUTARY_TIMER), so the next message due is always at the top. It holds two
// numbers per message and no message data (about 40 bytes each with array overhead: 100,000
// pending messages take ~4 MB). It is derived: the service rebuilds it at startup by reading
// the timer queue from its scan floor, skipping what its cursor says was delivered.

export interface TimerEntry {
  readonly dueMs: number;
  readonly offset: number;
}

export class TimerIndex {
  private readonly dues: number[] = [];
  private readonly offsets: number[] = [];

  get size(): number {
    return this.dues.length;
  }

  push(dueMs: number, offset: number): void {
    this.dues.push(dueMs);
    this.offsets.push(offset);
    this.siftUp(this.dues.length - 1);
  }

  /** The earliest due time held, undefined when empty. */
  peekDueMs(): number | undefined {
    return this.dues[0];
  }

  pop(): TimerEntry | undefined {
    const count = this.dues.length;
    if (count === 0) return undefined;
    const top = { dueMs: this.dues[0]!, offset: this.offsets[0]! };
    const lastDue = this.dues.pop()!;
    const lastOffset = this.offsets.pop()!;
    if (count > 1) {
      this.dues[0] = lastDue;
      this.offsets[0] = lastOffset;
      this.siftDown(0);
    }
    return top;
  }

  /** The lowest queue offset held (a linear scan: call it rarely). */
  minOffset(): number | undefined {
    let min: number | undefined;
    for (const offset of this.offsets) if (min === undefined || offset < min) min = offset;
    return min;
  }

  private before(a: number, b: number): boolean {
    const dueA = this.dues[a]!;
    const dueB = this.dues[b]!;
    return dueA < dueB || (dueA === dueB && this.offsets[a]! < this.offsets[b]!);
  }

  private swap(a: number, b: number): void {
    const due = this.dues[a]!;
    this.dues[a] = this.dues[b]!;
    this.dues[b] = due;
    const offset = this.offsets[a]!;
    this.offsets[a] = this.offsets[b]!;
    this.offsets[b] = offset;
  }

  private siftUp(at: number): void {
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.before(at, parent)) return;
      this.swap(at, parent);
      at = parent;
    }
  }

  private siftDown(at: number): void {
    const count = this.dues.length;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let smallest = at;
      if (left < count && this.before(left, smallest)) smallest = left;
      if (right < count && this.before(right, smallest)) smallest = right;
      if (smallest === at) return;
      this.swap(at, smallest);
      at = smallest;
    }
  }
}

/** (due, offset) order: true when `a` comes strictly after `b`. */
export function timerEntryAfter(a: TimerEntry, b: TimerEntry): boolean {
  return a.dueMs > b.dueMs || (a.dueMs === b.dueMs && a.offset > b.offset);
}
