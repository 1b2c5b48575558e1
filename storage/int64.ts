// Big-endian 64-bit integers through a DataView, as two 32-bit halves. Offsets, timestamps and
// counters in Tributary's files stay below 2^53, so a JS number holds them exactly and no
// BigInt (about 20x slower to write) is needed on the hot path.
import assert from 'node:assert/strict';

const TWO_POW_32 = 4294967296;

export const Int64 = {
  write(view: DataView, at: number, value: number): void {
    const high = Math.floor(value / TWO_POW_32);
    view.setInt32(at, high);
    view.setUint32(at + 4, value - high * TWO_POW_32);
  },

  read(view: DataView, at: number): number {
    const value = view.getInt32(at) * TWO_POW_32 + view.getUint32(at + 4);
    return value;
  },

  /** Asserting variant for values that must be exact non-negative integers. */
  writeChecked(view: DataView, at: number, value: number): void {
    assert.ok(Number.isSafeInteger(value), 'int64 value must be a safe integer');
    Int64.write(view, at, value);
  },
};
