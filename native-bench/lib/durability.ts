// The durability mode printed beside every figure. A number without its durability mode means
// nothing: an append that returns once bytes are in the page cache and one that returns after
// fsync differ by orders of magnitude.
export const DURABILITY = {
  tributaryAsync:
    "ASYNC_FLUSH: Tributary flush:'async'; append resolves once the record is in the shared mapping " +
    '(survives a process crash); a flusher msyncs every 500 ms when >= 4 pages are dirty and all every 10 s ' +
    '(power loss can lose the last ~0.5 s)',
  tributarySync:
    "SYNC_FLUSH: Tributary flush:'sync'; group commit, each append resolves only after an msync covering it",
  lmdbNoSync:
    'lmdb noSync:true (MDB_NOSYNC: commits never fsync; the OS writes back; survives a process crash, ' +
    'not power loss), compression:false, encoding:binary, keyEncoding:uint32, other flags default',
  lmdbSync:
    'lmdb default sync commits with overlappingSync:false (each put promise resolves after the commit that ' +
    'includes it is fsynced); compression:false, encoding:binary, keyEncoding:uint32',
  sqliteWalNormal:
    'better-sqlite3 journal_mode=WAL, synchronous=NORMAL (commit appends to the WAL without fsync; ' +
    'fsync only at WAL checkpoints; survives a process crash, not power loss), wal_autocheckpoint default (1000 pages)',
  plainAsync:
    'plain fs: one writev() per batch of length-prefixed records, fdatasync every 500 ms ' +
    '(same window as ASYNC_FLUSH; survives a process crash)',
  plainSync:
    'plain fs group commit: pending records written with one write(), then fdatasync; each append resolves after it',
  ddFdatasync: "dd if=/dev/zero bs=1M conv=fdatasync: timed until the data is on the disk (the disk's own write rate)",
  read: 'read path (no durability involved; data fully in the page cache)',
} as const;
