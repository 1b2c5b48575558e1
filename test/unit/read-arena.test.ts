// A replica's read arenas (broker/replication/read-arena.ts): reads land in arenas, frames are
// views of them applied later, and a full arena is read into again only once every frame of it
// is applied, none is kept and the decoder holds none of it. Applying lags reading here on
// purpose; a frame whose bytes changed before its turn fails the test.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { ReadArena } from '../../broker/replication/read-arena.js';
import {
  ReplicationFrameDecoder,
  encodeReplicationFrame,
  type ReplicationFrame,
} from '../../broker/replication/replication-frame.js';
import { seededRandom, type SeededRandom } from '../support/seeded-random.js';

const SIZES = { arenaBytes: 64 * 1024, readBytesMin: 4 * 1024 };
const FRAMES = 1500;
/** One frame in this many is larger than an arena (its unfinished part cannot move). */
const LARGE_FRAME_EVERY = 150;
/** A read takes at most this much, like a socket's. */
const READ_BYTES_MAX = 8192;
/** A slow apply waits this many ticks (a read each): more than an arena's worth. */
const SLOW_APPLY_TICKS = 40;

function dataFrames(random: SeededRandom): Buffer[] {
  return Array.from({ length: FRAMES }, (_, i) =>
    random.bytes(i % LARGE_FRAME_EVERY === 7 ? random.between(150_000, 300_000) : random.between(1, 6000)),
  );
}

/** Reads `stream` in random slices through `arena` into `decoder`, letting applies run between reads. */
async function readAll(
  random: SeededRandom,
  stream: Buffer,
  arena: ReadArena,
  decoder: ReplicationFrameDecoder,
  onFrame: (frame: ReplicationFrame) => void,
): Promise<void> {
  for (let at = 0; at < stream.length;) {
    const room = arena.free();
    const bytes = Math.min(random.between(1, Math.min(room.length, READ_BYTES_MAX)), stream.length - at);
    stream.copy(room, 0, at, at + bytes);
    arena.used(bytes);
    at += bytes;
    decoder.push(room.subarray(0, bytes), onFrame);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('replica read arena: frames applied well after they were read keep their bytes, and a long stream reuses a few arenas', async () => {
  const random = seededRandom('read arena');
  const bodies = dataFrames(random);
  const stream = Buffer.concat(
    bodies.flatMap((bytes, i) => encodeReplicationFrame({ type: 'data', fromOffset: i, masterLogEnd: i, bytes })),
  );
  const decoder = new ReplicationFrameDecoder();
  let applying: Promise<void> = Promise.resolve();
  const arena = new ReadArena(decoder, () => applying, SIZES);
  const wrong: number[] = [];
  let applied = 0;
  await readAll(random, stream, arena, decoder, (frame) => {
    assert.equal(frame.type, 'data');
    const { fromOffset, bytes } = frame as Extract<ReplicationFrame, { type: 'data' }>;
    applying = applying.then(async () => {
      // Some frames wait a tick for their turn, a few long enough for reads to fill arenas meanwhile.
      const ticks = random.next() < 0.02 ? SLOW_APPLY_TICKS : random.next() < 0.3 ? 1 : 0;
      for (let tick = 0; tick < ticks; tick++) await new Promise((resolve) => setImmediate(resolve));
      if (!bytes.equals(bodies[fromOffset]!)) wrong.push(fromOffset);
      applied++;
    });
  });
  await applying;
  assert.equal(applied, FRAMES);
  assert.deepEqual(wrong, [], 'frames whose bytes were overwritten before they were applied');
  const arenasFilled = stream.length / SIZES.arenaBytes;
  assert.ok(arenasFilled > 50, `${arenasFilled} arenas of stream`);
  // Arenas that held an unmoved frame's start are left to the collector; the others come back.
  assert.ok(arena.allocated < arenasFilled * 0.75, `${arena.allocated} arenas allocated for ${arenasFilled}`);
});

test('replica read arena: an arena with a kept frame is never read into again', async () => {
  const random = seededRandom('read arena keep');
  const decoder = new ReplicationFrameDecoder();
  const arena = new ReadArena(decoder, () => Promise.resolve(), SIZES);
  const frame = Buffer.concat(
    encodeReplicationFrame({ type: 'data', fromOffset: 0, masterLogEnd: 0, bytes: random.bytes(1000) }),
  );
  const stream = Buffer.concat(Array.from({ length: 500 }, () => frame));
  await readAll(random, stream, arena, decoder, () => arena.keep());
  assert.ok(arena.allocated > stream.length / SIZES.arenaBytes - 1, `${arena.allocated} arenas, none reused`);
});

test.run();
