// How many hash slots and entries each new index file gets. Given counts are used as they are
// (one count alone implies the other at INDEX_ENTRIES_PER_SLOT); with neither, the defaults
// (84 MB a file) are halved until a file takes at most 1/INDEX_DISK_SHARE_DIVISOR of the file
// system, so a small disk gets a small index that rolls to new files more often, instead of
// an index file that cannot be created and fails every send with keys. Files are preallocated,
// not sparse: a store through a mapping to a sparse file on a full disk is a SIGBUS, not an
// error. Existing files keep the geometry their header records.
import { indexFileBytes } from './index-file.js';
import {
  INDEX_DISK_SHARE_DIVISOR,
  INDEX_ENTRIES_PER_SLOT,
  INDEX_ENTRY_COUNT_DEFAULT,
  INDEX_ENTRY_COUNT_DISK_MIN,
  INDEX_SLOT_COUNT_DEFAULT,
} from './storage-constants.js';

export interface IndexGeometry {
  readonly slotCount: number;
  readonly entryCount: number;
}

/** The default geometry for a file system of `fileSystemBytes` (used + available). */
export function indexGeometryForDisk(fileSystemBytes: number): IndexGeometry {
  const budget = fileSystemBytes / INDEX_DISK_SHARE_DIVISOR;
  let entryCount = INDEX_ENTRY_COUNT_DEFAULT;
  let slotCount = INDEX_SLOT_COUNT_DEFAULT;
  while (entryCount > INDEX_ENTRY_COUNT_DISK_MIN && indexFileBytes(slotCount, entryCount) > budget) {
    entryCount = Math.max(INDEX_ENTRY_COUNT_DISK_MIN, Math.floor(entryCount / 2));
    slotCount = Math.max(1, Math.floor(entryCount / INDEX_ENTRIES_PER_SLOT));
  }
  return { slotCount, entryCount };
}

/** The geometry for the given counts, sizing for the disk (measured lazily) when neither is. */
export function resolveIndexGeometry(
  counts: { readonly indexSlotCount?: number | undefined; readonly indexEntryCount?: number | undefined },
  fileSystemBytes: () => number | undefined,
): IndexGeometry {
  const { indexSlotCount, indexEntryCount } = counts;
  if (indexSlotCount !== undefined && indexEntryCount !== undefined)
    return { slotCount: indexSlotCount, entryCount: indexEntryCount };
  if (indexEntryCount !== undefined)
    return {
      slotCount: Math.max(1, Math.floor(indexEntryCount / INDEX_ENTRIES_PER_SLOT)),
      entryCount: indexEntryCount,
    };
  if (indexSlotCount !== undefined)
    return { slotCount: indexSlotCount, entryCount: indexSlotCount * INDEX_ENTRIES_PER_SLOT };
  const bytes = fileSystemBytes();
  return bytes === undefined
    ? { slotCount: INDEX_SLOT_COUNT_DEFAULT, entryCount: INDEX_ENTRY_COUNT_DEFAULT }
    : indexGeometryForDisk(bytes);
}
