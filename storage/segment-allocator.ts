// Gets the next segment of a log ready ahead of need. Creating and mapping a sparse file is
// cheap enough for the event loop; reserving its blocks and faulting its pages in (seconds for
// 1 GiB on ext4) runs on a pool thread. An append that rolls into the segment only checks,
// without waiting for any callback, that the blocks are reserved; so even an event loop kept
// busy by a tight append loop never stalls on a roll. A crash leaves at most a zero-filled
// segment past the log's end, which recovery deletes.
import path from 'node:path';

import { MappedFile, type PreheatOptions } from './mapped-file.js';
import { SegmentFileName } from './segment-file-name.js';
import type { StorageFileSystem } from './storage-file-system.js';
import { StoreError } from './store-error.js';

export class SegmentAllocator {
  private next: MappedFile | undefined;
  /** A background failure not yet reported; take() throws it so it is never dropped. */
  private failure: unknown;
  /** Times take() had to create a segment itself because none was prepared. */
  stalls = 0;

  constructor(
    private readonly fileSystem: StorageFileSystem,
    private readonly directory: string,
    private readonly segmentBytes: number,
    private readonly preheat: PreheatOptions,
  ) {}

  /** Creates the segment at `fromOffset` now and readies it in the background. */
  prepare(fromOffset: number): void {
    if (this.next?.fromOffset === fromOffset) return;
    this.discard();
    const filePath = path.join(this.directory, SegmentFileName.format(fromOffset));
    const file = MappedFile.createSparse(this.fileSystem, filePath, fromOffset, this.segmentBytes);
    this.next = file;
    file.preheat(this.preheat).catch((error: unknown) => {
      if (file.state !== 'released') this.failure ??= error;
    });
  }

  /** The segment at `fromOffset` with its blocks reserved: the prepared one, or a new one. */
  take(fromOffset: number): MappedFile {
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      this.discard();
      throw failure instanceof StoreError ? failure : StoreError.fromSystemError(failure, 'preheating a segment');
    }
    const file = this.next;
    if (file?.fromOffset !== fromOffset) {
      this.discard();
      this.stalls++;
      const filePath = path.join(this.directory, SegmentFileName.format(fromOffset));
      return MappedFile.createSync(this.fileSystem, filePath, fromOffset, this.segmentBytes);
    }
    this.next = undefined;
    try {
      file.reserve();
    } catch (error) {
      file.markDeleted();
      throw error;
    }
    file.transition('active');
    return file;
  }

  /** Deletes a prepared segment nobody took. */
  discard(): void {
    const file = this.next;
    this.next = undefined;
    file?.markDeleted();
  }

  /** Deletes an unused prepared segment and waits for its background work to end. */
  async close(): Promise<void> {
    const file = this.next;
    this.discard();
    await file?.close();
  }
}
