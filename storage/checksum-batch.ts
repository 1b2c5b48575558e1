// Checksums of freshly written records, computed in batches. A native call costs far more
// than checksumming a small record, so appends only note (start, length, target) here and one
// crc32cRanges call seals the lot: at the end of a batch append, at the end of the tick for
// single appends, and before anything reads, flushes or leaves the current segment.
import { nativeBinding } from './native-binding.js';
import { RECORD_CHECKSUM_FROM, RECORD_LAYOUT } from './message-record.js';

const RANGES_PER_CALL = 4096;
const FIELDS_PER_RANGE = 3;

export class ChecksumBatch {
  private readonly ranges = new Uint32Array(RANGES_PER_CALL * FIELDS_PER_RANGE);
  private count = 0;
  private target: Buffer | undefined;

  get pending(): number {
    return this.count;
  }

  /** Notes a record of `size` bytes at `position` of segment buffer `segment`. */
  add(segment: Buffer, position: number, size: number): void {
    if (segment !== this.target) {
      this.seal();
      this.target = segment;
    } else if (this.count === RANGES_PER_CALL) {
      this.seal();
    }
    const at = this.count * FIELDS_PER_RANGE;
    this.ranges[at] = position + RECORD_CHECKSUM_FROM;
    this.ranges[at + 1] = size - RECORD_CHECKSUM_FROM;
    this.ranges[at + 2] = position + RECORD_LAYOUT.checksum;
    this.count++;
  }

  /** Computes and stores every pending checksum. */
  seal(): void {
    if (this.count === 0 || this.target === undefined) return;
    nativeBinding.crc32cRanges(this.target, this.ranges, this.count);
    this.count = 0;
  }
}
