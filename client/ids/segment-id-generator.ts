// Segment mode ids (Meituan Leaf's double buffer): ids come from ranges the broker hands out
// (TAKE_RANGE is logged before it answers, so no range is ever handed out twice). The generator
// holds the current range and, once PREFETCH_FRACTION of it is used, fetches the next in the
// background, so next() is a local increment that never waits; it can only find both buffers
// empty when ids are taken faster than a range round-trip per (1 - fraction) of a range, and
// then says so (ID_BUFFER_EMPTY) instead of blocking; nextAsync() waits for the range instead.
//
// Ids are numbers (safe integers, < 2^53; the broker refuses a range past that). Ids of one
// range increase; ranges taken later start higher, so one generator's ids increase, and ids of
// several generators of one sequence never repeat but interleave.
import { ClientError } from '../client-error.js';
import type { IdRange, IdService } from './id-service.js';

/** Ids per range unless told: a round trip per 10,000 ids. */
export const SEGMENT_RANGE_SIZE_DEFAULT = 10_000;
/** The next range is fetched once this fraction of the current one is used (Leaf: 10%). */
export const SEGMENT_PREFETCH_FRACTION_DEFAULT = 0.1;

/**
 * Leaf's dynamic step: a range used up sooner than this makes the next request twice as large
 * (up to SEGMENT_RANGE_SIZE_MAX), so a fast caller needs fewer round trips; one lasting ten times
 * longer halves it again (never below the configured rangeSize).
 */
export const SEGMENT_RANGE_LIFETIME_MS_MIN = 1_000;
/** The largest range the dynamic step asks for (the broker allows at most 10,000,000). */
export const SEGMENT_RANGE_SIZE_MAX = 1_000_000;

/** How a segment-mode generator takes ranges; INVALID_ARGUMENT for values out of bounds. */
export interface SegmentOptions {
  /** Ids per range (default 10,000). */
  readonly rangeSize?: number;
  /** Fraction of a range used before the next is fetched, 0..1 (default 0.1). */
  readonly prefetchFraction?: number;
}

/**
 * Segment-mode ids (Leaf's double buffer): next() is a local increment over a range taken from
 * the broker, and the next range is fetched in the background before this one runs out. Ids of
 * one generator increase; several generators of one sequence never repeat but interleave.
 */
export class SegmentIdGenerator {
  private cursor = 0;
  private step = 1;
  private left = 0;
  /** When `left` falls to this, the next range is fetched. */
  private prefetchAt = 0;
  private spare: IdRange | undefined;
  private fetching: Promise<void> | undefined;
  private failure: unknown;
  private readonly rangeSize: number;
  /** The size the next fetch asks for (dynamic step). */
  private askSize: number;
  private rangeStartedMs = 0;
  private readonly prefetchFraction: number;

  constructor(
    private readonly service: IdService,
    readonly sequence: string,
    options: SegmentOptions = {},
  ) {
    this.rangeSize = options.rangeSize ?? SEGMENT_RANGE_SIZE_DEFAULT;
    this.prefetchFraction = options.prefetchFraction ?? SEGMENT_PREFETCH_FRACTION_DEFAULT;
    if (!Number.isSafeInteger(this.rangeSize) || this.rangeSize < 1)
      throw new ClientError('INVALID_ARGUMENT', 'rangeSize must be a positive integer');
    if (!(this.prefetchFraction >= 0 && this.prefetchFraction <= 1))
      throw new ClientError('INVALID_ARGUMENT', 'prefetchFraction must be within 0..1');
    this.askSize = this.rangeSize;
  }

  /** Takes the first range. */
  async start(): Promise<void> {
    this.use(await this.service.takeRange(this.sequence, this.rangeSize));
  }

  /** The next id, at once; ID_BUFFER_EMPTY (or the fetch's own error) when no range is at hand. */
  next(): number {
    if (this.left === 0) this.switchRange();
    const id = this.cursor;
    this.cursor += this.step;
    if (--this.left === this.prefetchAt && this.spare === undefined) this.prefetch();
    return id;
  }

  /** The next id, waiting for a range when both buffers are empty. */
  async nextAsync(): Promise<number> {
    while (this.left === 0 && this.spare === undefined) {
      if (this.fetching === undefined) this.prefetch();
      await this.fetching;
      if (this.failure !== undefined) this.switchRange();
    }
    return this.next();
  }

  private switchRange(): void {
    const spare = this.spare;
    if (spare === undefined) {
      if (this.fetching === undefined && this.failure === undefined) this.prefetch();
      const failure = this.failure;
      this.failure = undefined;
      if (failure !== undefined) throw failure;
      throw new ClientError('ID_BUFFER_EMPTY', this.sequence);
    }
    this.spare = undefined;
    this.use(spare);
  }

  private use(range: IdRange): void {
    const now = Date.now();
    const lived = now - this.rangeStartedMs;
    if (lived < SEGMENT_RANGE_LIFETIME_MS_MIN) this.askSize = Math.min(this.askSize * 2, SEGMENT_RANGE_SIZE_MAX);
    else if (lived > 10 * SEGMENT_RANGE_LIFETIME_MS_MIN)
      this.askSize = Math.max(this.rangeSize, Math.floor(this.askSize / 2));
    this.rangeStartedMs = now;
    this.cursor = range.first;
    this.step = range.step;
    this.left = range.count;
    this.prefetchAt = Math.floor(range.count * (1 - this.prefetchFraction));
    if (this.prefetchAt >= range.count) this.prefetchAt = range.count - 1;
  }

  private prefetch(): void {
    if (this.fetching !== undefined) return;
    this.fetching = this.service
      .takeRange(this.sequence, this.askSize)
      .then(
        (range) => {
          this.spare = range;
        },
        (error: unknown) => {
          this.failure = error;
        },
      )
      .finally(() => {
        this.fetching = undefined;
      });
  }
}
