// Checks the checksums of records being read, in batches: one native call verifies every
// record of a read (per segment) instead of one call per record.
import { nativeBinding } from './native-binding.js';
import { RECORD_CHECKSUM_FROM, RECORD_LAYOUT } from './message-record.js';
import { StoreError } from './store-error.js';

const RANGES_PER_CALL = 256;
const FIELDS_PER_RANGE = 3;

export class ChecksumVerifier {
  private readonly ranges = new Uint32Array(RANGES_PER_CALL * FIELDS_PER_RANGE);
  private readonly offsets: number[] = [];
  private count = 0;
  private target: Buffer | undefined;

  /** Notes the record of `size` bytes at `position` of `segment` (commit log offset `offset`). */
  add(segment: Buffer, position: number, size: number, offset: number): void {
    if ((segment !== this.target && this.count > 0) || this.count === RANGES_PER_CALL) this.verify();
    this.target = segment;
    const at = this.count * FIELDS_PER_RANGE;
    this.ranges[at] = position + RECORD_CHECKSUM_FROM;
    this.ranges[at + 1] = size - RECORD_CHECKSUM_FROM;
    this.ranges[at + 2] = position + RECORD_LAYOUT.checksum;
    this.offsets[this.count] = offset;
    this.count++;
  }

  /** Forgets ranges noted by a read that failed before verifying them. */
  reset(): void {
    this.count = 0;
    this.target = undefined;
  }

  /** Throws CORRUPT_STORE naming the first record whose stored checksum is wrong. */
  verify(): void {
    if (this.count === 0 || this.target === undefined) return;
    const bad = nativeBinding.crc32cVerifyRanges(this.target, this.ranges, this.count);
    const offset = this.offsets[bad];
    this.count = 0;
    if (bad >= 0) {
      throw new StoreError('CORRUPT_STORE', `checksum mismatch in the record at commit log offset ${offset}`);
    }
  }
}
