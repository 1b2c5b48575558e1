// A seeded run on the simulated disk must replay exactly in any process: the store simulation
// names a failing schedule by its seed alone. The store once wrote the real pid into its lock
// file, so the disk's contents, where bit flips landed and how many random draws a crash took
// depended on the process; a soak failure (SEED=4025030769) then never replayed.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { MessageStore, SimulatedFileSystem, StoreError } from '../../storage/index.js';
import { seededRandom } from '../support/seeded-random.js';

const DIRECTORY = '/simulated/replay';
const CRASHES = 4;
const MESSAGES_PER_LIFE = 40;
const FAULTS = { writeback: 0.5, tear: 0.5, bitFlips: 3 } as const;
/** Store times and checkpoint times come from this clock, not the real one. */
const CLOCK_MS = 1_700_000_000_000;
const OPTIONS = {
  segmentBytes: 64 * 1024,
  indexSlotCount: 16,
  indexEntryCount: 64,
  diskFullRatio: 1,
  clock: () => CLOCK_MS,
} as const;

/** Runs as if the process had `pid`. */
async function withPid<T>(pid: number, run: () => Promise<T>): Promise<T> {
  const real = Object.getOwnPropertyDescriptor(process, 'pid')!;
  Object.defineProperty(process, 'pid', { ...real, value: pid });
  try {
    return await run();
  } finally {
    Object.defineProperty(process, 'pid', real);
  }
}

/** Appends, power cuts and reopens from `seed`; returns every durable file's bytes and the draws taken. */
async function seededLife(seed: number): Promise<{ files: Map<string, string>; draws: number }> {
  const random = seededRandom('simulated disk replay', seed, false);
  let draws = 0;
  let disk = new SimulatedFileSystem(() => (draws++, random.next()), FAULTS);
  for (let life = 0; life < CRASHES; life++) {
    const store = await MessageStore.open(DIRECTORY, { ...OPTIONS, fileSystem: disk }).catch((error: unknown) => {
      assert.ok(error instanceof StoreError, String(error));
      return undefined; // Flipped bits can make a store refuse to open; the crash still happens.
    });
    for (let i = 0; store !== undefined && i < MESSAGES_PER_LIFE; i++) {
      const body = random.bytes(random.between(1, 3000));
      await store.append({ topic: 'replay', queueId: 0, body, keys: `k${life}-${i}` }).catch(() => undefined);
    }
    await store?.flush().catch(() => undefined);
    const rebooted = disk.crash();
    await store?.close().catch(() => undefined /* its machine is gone */);
    disk = rebooted;
  }
  const files = new Map<string, string>();
  for (const name of disk.durableNames().sort()) {
    const file = disk.open(name, 'open');
    const bytes = Buffer.alloc(disk.size(name));
    file.read(bytes, 0);
    file.close();
    files.set(name, bytes.toString('hex'));
  }
  return { files, draws };
}

test('a seeded run on the simulated disk leaves the same disk and takes the same draws whatever the pid', async () => {
  const { seed } = seededRandom('simulated disk replay');
  const short = await withPid(1234, () => seededLife(seed));
  const long = await withPid(1234567, () => seededLife(seed));
  assert.equal(long.draws, short.draws, 'random draws');
  assert.deepEqual([...long.files.keys()], [...short.files.keys()], 'durable files');
  for (const [name, bytes] of short.files) assert.ok(long.files.get(name) === bytes, `${name} differs`);
});

test.run();
