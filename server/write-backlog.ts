// How long the responses waiting in one connection's socket have waited. Node keeps the bytes
// the kernel has not taken yet in the socket (writableLength) and drops them as writes
// complete, in order, but says nothing about when each byte leaves. So the server counts the
// bytes each send leaves pending (writableLength after the send minus before it) and notes
// when: the bytes completed so far are those left pending in all minus writableLength now, and
// the oldest pending byte is the first one past that count. Sends less than `granularityMs`
// apart share one mark with the earlier one's time, so a connection keeps a handful of marks
// whatever it sends, and an age is overstated by at most `granularityMs`, never understated:
//
//   send A leaves 100 bytes pending at t=0     marks [100 @0]
//   send B leaves 50 more at t=5000            marks [100 @0, 150 @5000]
//   writableLength is 80: 70 bytes completed   A's bytes still wait: the oldest waited since 0
//   writableLength is 30: 120 completed        A is done, B's bytes are the oldest: since 5000
import assert from 'node:assert/strict';

interface Mark {
  /** Bytes left pending in all up to and including the sends of this mark. */
  end: number;
  /** When the first of them was sent (ms). */
  readonly sinceMs: number;
}

export class WriteBacklog {
  private pendingTotal = 0;
  private readonly marks: Mark[] = [];

  constructor(private readonly granularityMs: number) {
    assert.ok(granularityMs > 0, 'granularityMs must be positive');
  }

  /** Notes a send that left `addedBytes` more pending in the socket. */
  sent(addedBytes: number, nowMs: number): void {
    if (addedBytes <= 0) return;
    this.pendingTotal += addedBytes;
    const last = this.marks[this.marks.length - 1];
    if (last !== undefined && nowMs - last.sinceMs < this.granularityMs) last.end = this.pendingTotal;
    else this.marks.push({ end: this.pendingTotal, sinceMs: nowMs });
  }

  /** How long the oldest byte still pending has waited (ms); 0 when none is. */
  oldestAgeMs(pendingBytes: number, nowMs: number): number {
    const completed = this.pendingTotal - pendingBytes;
    let done = 0;
    while (done < this.marks.length && this.marks[done]!.end <= completed) done++;
    if (done > 0) this.marks.splice(0, done);
    const oldest = this.marks[0];
    return oldest === undefined ? 0 : nowMs - oldest.sinceMs;
  }
}
