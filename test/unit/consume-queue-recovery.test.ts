// Consume queue recovery keeps the longest run of valid entries and rescans only the last few
// files. When the first invalid entry opens a file right after a full one, the scan starts
// at that file, so the entry must be judged against the previous file's last entry too: an
// entry pointing back into the log is out of order there as anywhere else. Runs on the real
// disk and on the simulated file system.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { ConsumeQueue } from '../../storage/consume-queue.js';
import { testVolume, VOLUME_KINDS } from '../support/test-volume.js';

const ENTRIES_PER_FILE = 8;
const RECORD_BYTES = 100;
/** Whole files of valid entries, one record after the other from offset 0. */
const VALID_ENTRIES = 2 * ENTRIES_PER_FILE;
/** Bogus entries fill three more files, so the scan starts at the first of them. */
const BOGUS_ENTRIES = 3 * ENTRIES_PER_FILE;
const LOG_END = 1_000_000;

for (const kind of VOLUME_KINDS) {
  test(`[${kind}] consume-queue: an out-of-order entry opening a file after a full one is cut off on recovery, every entry before it kept`, async () => {
    const volume = testVolume(kind, 'consume-queue-recovery');
    let queue = new ConsumeQueue(volume.fileSystem, volume.path, 'topic', 0, ENTRIES_PER_FILE);
    try {
      for (let i = 0; i < VALID_ENTRIES; i++) queue.put(i, i * RECORD_BYTES, RECORD_BYTES, i);
      // Starts inside the previous entry's record, yet ends inside the log.
      const backwards = (VALID_ENTRIES - 1) * RECORD_BYTES + 1;
      queue.put(VALID_ENTRIES, backwards, RECORD_BYTES, 0);
      // The rest lie beyond the log's end.
      for (let i = 1; i < BOGUS_ENTRIES; i++) queue.put(VALID_ENTRIES + i, LOG_END + i * RECORD_BYTES, RECORD_BYTES, 0);
      await queue.close();

      queue = new ConsumeQueue(volume.fileSystem, volume.path, 'topic', 0, ENTRIES_PER_FILE);
      queue.recover(LOG_END);
      assert.equal(queue.minQueueOffset, 0, 'minQueueOffset');
      assert.equal(queue.maxQueueOffset, VALID_ENTRIES, 'maxQueueOffset: the out-of-order entry is cut off');
      for (let i = 0; i < VALID_ENTRIES; i++) {
        assert.deepEqual(queue.entry(i), { commitLogOffset: i * RECORD_BYTES, size: RECORD_BYTES, tagsCode: i });
      }
      assert.equal(queue.entry(VALID_ENTRIES), undefined);
    } finally {
      await queue.close();
      volume.remove();
    }
  });
}

test.run();
