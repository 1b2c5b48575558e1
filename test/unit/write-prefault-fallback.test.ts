// A kernel without MADV_POPULATE_WRITE (before 5.14) refuses write prefaulting with EINVAL and
// the store stops asking it. That answer belongs to the file system that gave it: once it was
// process-wide, so a store on the simulated disk behaved differently depending on what real-disk
// work had run earlier in the same process (npm test runs every file in one).
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { MessageStore, SimulatedFileSystem } from '../../storage/index.js';
import type { StorageFile, StorageMapping } from '../../storage/index.js';
import { seededRandom } from '../support/seeded-random.js';

const DIRECTORY = '/simulated/prefault';
const APPENDS = 20;

/** The simulated disk, counting write prefault requests; with `refuses`, each fails with EINVAL. */
class PrefaultCountingDisk extends SimulatedFileSystem {
  prefaults = 0;

  constructor(
    random: () => number,
    private readonly refuses: boolean,
  ) {
    super(random);
  }

  override open(target: string, mode: 'create' | 'open' | 'openOrCreate' | 'append'): StorageFile {
    const file = super.open(target, mode);
    const map = file.map.bind(file);
    file.map = (length: number): StorageMapping => {
      const mapping = map(length);
      const prefaultWrite = mapping.prefaultWrite.bind(mapping);
      mapping.prefaultWrite = (offset, bytes) => {
        this.prefaults++;
        if (!this.refuses) return prefaultWrite(offset, bytes);
        return Promise.reject(Object.assign(new Error('madvise (EINVAL)'), { code: 'EINVAL' }));
      };
      return mapping;
    };
    return file;
  }
}

async function appendSome(disk: SimulatedFileSystem): Promise<void> {
  const store = await MessageStore.open(DIRECTORY, { segmentBytes: 64 * 1024, fileSystem: disk });
  for (let i = 0; i < APPENDS; i++) await store.append({ topic: 'prefault', queueId: 0, body: Buffer.alloc(1000, i) });
  await store.close();
}

test('a file system that refuses write prefaulting (EINVAL) turns it off for itself only', async () => {
  const random = seededRandom('write prefault fallback');
  const refusing = new PrefaultCountingDisk(() => random.next(), true);
  await appendSome(refusing);
  assert.ok(refusing.prefaults > 0, 'the store asked the refusing disk at least once');
  const refusedAfter = refusing.prefaults;
  await appendSome(refusing);
  assert.equal(refusing.prefaults, refusedAfter, 'a disk that said EINVAL is not asked again');

  const willing = new PrefaultCountingDisk(() => random.next(), false);
  await appendSome(willing);
  assert.ok(willing.prefaults > 0, 'another disk is still asked');
});

test.run();
