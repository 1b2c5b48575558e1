// e2e bodies carry their send time on the sender's clock (performance.now(), a float64 in the
// first BENCH_E2E_STAMP_BYTES), so a consumer in the same process times send() call to delivery
// on one clock. A record's BORNTIMESTAMP is no use here: its millisecond resolution cannot tell
// 0.3 ms from 0.9 ms.
import { performance } from 'node:perf_hooks';

/** A copy of `template` (at least BENCH_E2E_STAMP_BYTES long) stamped with `now`. */
export function stampedBody(template: Buffer, now: number = performance.now()): Buffer {
  const body = Buffer.allocUnsafe(template.length);
  template.copy(body);
  body.writeDoubleLE(now, 0);
  return body;
}

/** The send time a stamped body carries. */
export function stampOf(body: Buffer): number {
  return body.readDoubleLE(0);
}
