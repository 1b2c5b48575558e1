// How full the file system holding the store is. Sampled on a timer (a statfs per second costs
// nothing) rather than per append; appends only read the last verdict. Refusing appends at the
// full ratio keeps headroom for the writes that must not fail: queue files, index files,
// checkpoints, and the segment a roll needs, so the store never meets ENOSPC mid-record.
import { StoreError } from './store-error.js';
import type { StorageFileSystem } from './storage-file-system.js';

export class DiskUsageMonitor {
  private ratio = 0;

  constructor(
    private readonly fileSystem: StorageFileSystem,
    private readonly directory: string,
    private readonly fullRatio: number,
  ) {}

  /** The used fraction as last sampled. */
  get usedRatio(): number {
    return this.ratio;
  }

  get full(): boolean {
    return this.ratio >= this.fullRatio;
  }

  /** Samples usage now; returns the used fraction. */
  sample(): number {
    let usage: { usedBytes: number; availableBytes: number };
    try {
      usage = this.fileSystem.usage(this.directory);
    } catch (error) {
      throw StoreError.fromSystemError(error, `measuring the disk holding ${this.directory}`);
    }
    // As df's Use%: blocks reserved for root count as neither used nor available.
    const usable = usage.usedBytes + usage.availableBytes;
    this.ratio = usable > 0 ? usage.usedBytes / usable : 1;
    return this.ratio;
  }

  /** Throws DISK_FULL when the last sample was at or above the full ratio. */
  assertRoom(): void {
    if (!this.full) return;
    const percent = (value: number): string => `${(value * 100).toFixed(1)}%`;
    const limit = percent(this.fullRatio);
    throw new StoreError(
      'DISK_FULL',
      `${this.directory} is on a file system ${percent(this.ratio)} full (limit ${limit})`,
    );
  }
}
