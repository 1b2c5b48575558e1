// Byte-level mutations for the fuzzers (test/fuzz/), AFL-style: each damages a valid encoding
// the way a buggy or hostile peer, a torn write or bit rot would, so the decoder under test
// sees inputs that get past its first checks. Every choice comes from the caller's seeded
// random, so a run replays exactly with the same SEED.
//
//   bitFlip          flip 1-8 random bits
//   interestingByte  set a byte to 0x00, 0x01, 0x7f, 0x80, 0xff or a random value
//   interestingInt   overwrite 2 or 4 bytes with a boundary value (0, -1, 2^31-1, 16 MiB ± 1...)
//   lengthTweak      nudge one of the encoding's own length fields (±1, ±n, 0, -1, max, ×2...)
//   truncate         cut the tail (or, rarely, the head)
//   insert           insert 1-16 random bytes
//   delete           delete a range of up to 16 bytes
//   duplicate        copy a range to another place (inserting it)
//   splice           this encoding's head followed by another valid encoding's tail
//
// One to four of them are stacked per input.
import type { SeededRandom } from './seeded-random.js';

/** Where a big-endian length field lies in an encoding, so lengthTweak can aim at it. */
export interface LengthField {
  readonly at: number;
  readonly bytes: 1 | 2 | 3 | 4;
}

/** A valid encoding and its length fields: what the mutations start from. */
export interface FuzzSample {
  readonly bytes: Buffer;
  readonly lengthFields: readonly LengthField[];
}

export const BYTE_MUTATIONS = [
  'bitFlip',
  'interestingByte',
  'interestingInt',
  'lengthTweak',
  'truncate',
  'insert',
  'delete',
  'duplicate',
  'splice',
] as const;

export type ByteMutation = (typeof BYTE_MUTATIONS)[number];

const STACKED_MUTATIONS_MAX = 4;
const RANGE_BYTES_MAX = 16;
const FRAME_LENGTH_LIMIT = 16 * 1024 * 1024;
const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff];
/** Boundary values of 16- and 32-bit fields, as unsigned bit patterns. */
const INTERESTING_INTS = [
  0,
  1,
  2,
  3,
  4,
  7,
  8,
  0x7f,
  0x80,
  0xff,
  0x100,
  0x7fff,
  0x8000,
  0xffff,
  0x10000,
  FRAME_LENGTH_LIMIT - 1,
  FRAME_LENGTH_LIMIT,
  FRAME_LENGTH_LIMIT + 1,
  0x7fffffff,
  0x80000000,
  0xfffffffe,
  0xffffffff,
];

/** Applies one to four stacked mutations to a copy of `sample`; `donor` feeds splice. */
export function mutateBytes(random: SeededRandom, sample: FuzzSample, donor: FuzzSample): Buffer {
  let bytes: Buffer = Buffer.from(sample.bytes);
  const count = random.between(1, STACKED_MUTATIONS_MAX);
  for (let i = 0; i < count; i++) bytes = mutateOnce(random, bytes, random.pick(BYTE_MUTATIONS), sample, donor);
  return bytes;
}

function mutateOnce(
  random: SeededRandom,
  bytes: Buffer,
  mutation: ByteMutation,
  sample: FuzzSample,
  donor: FuzzSample,
): Buffer {
  switch (mutation) {
    case 'bitFlip':
      return flipBits(random, bytes);
    case 'interestingByte':
      if (bytes.length > 0) bytes[random.int(bytes.length)] = random.pick([...INTERESTING_BYTES, random.int(256)]);
      return bytes;
    case 'interestingInt':
      return writeInteresting(random, bytes);
    case 'lengthTweak':
      return tweakLength(random, bytes, sample.lengthFields);
    case 'truncate':
      return random.int(8) === 0
        ? bytes.subarray(random.int(bytes.length + 1))
        : bytes.subarray(0, random.int(bytes.length + 1));
    case 'insert': {
      const at = random.int(bytes.length + 1);
      return Buffer.concat([
        bytes.subarray(0, at),
        random.bytes(random.between(1, RANGE_BYTES_MAX)),
        bytes.subarray(at),
      ]);
    }
    case 'delete': {
      const at = random.int(bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + random.between(1, RANGE_BYTES_MAX))]);
    }
    case 'duplicate':
      return duplicateRange(random, bytes);
    case 'splice':
      return Buffer.concat([
        bytes.subarray(0, random.int(bytes.length + 1)),
        donor.bytes.subarray(random.int(donor.bytes.length + 1)),
      ]);
  }
}

function flipBits(random: SeededRandom, bytes: Buffer): Buffer {
  if (bytes.length === 0) return bytes;
  const flips = random.between(1, 8);
  for (let i = 0; i < flips; i++) bytes[random.int(bytes.length)]! ^= 1 << random.int(8);
  return bytes;
}

function writeInteresting(random: SeededRandom, bytes: Buffer): Buffer {
  const width = random.pick([2, 4] as const);
  if (bytes.length < width) return bytes;
  writeUnsigned(bytes, random.int(bytes.length - width + 1), width, random.pick(INTERESTING_INTS));
  return bytes;
}

/** Nudges one length field still inside `bytes` (earlier mutations may have moved it). */
function tweakLength(random: SeededRandom, bytes: Buffer, fields: readonly LengthField[]): Buffer {
  const inside = fields.filter((field) => field.at + field.bytes <= bytes.length);
  if (inside.length === 0) return writeInteresting(random, bytes);
  const { at, bytes: width } = random.pick(inside);
  const value = bytes.readUIntBE(at, width);
  const remaining = bytes.length - at - width;
  const small = random.between(1, 16);
  const candidates = [value + 1, value - 1, value + small, value - small, 0, -1, value * 2, value >>> 1];
  candidates.push(
    remaining,
    remaining + 1,
    2 ** (8 * width - 1) - 1,
    2 ** (8 * width - 1),
    random.int(2 ** (8 * width)),
  );
  if (width === 4) candidates.push(FRAME_LENGTH_LIMIT - 1, FRAME_LENGTH_LIMIT, FRAME_LENGTH_LIMIT + 1);
  writeUnsigned(bytes, at, width, random.pick(candidates));
  return bytes;
}

function duplicateRange(random: SeededRandom, bytes: Buffer): Buffer {
  if (bytes.length === 0) return bytes;
  const from = random.int(bytes.length);
  const range = bytes.subarray(from, from + random.between(1, RANGE_BYTES_MAX));
  const at = random.int(bytes.length + 1);
  return Buffer.concat([bytes.subarray(0, at), range, bytes.subarray(at)]);
}

/** Writes `value` modulo 2^(8 × width), so -1 becomes all ones. */
function writeUnsigned(bytes: Buffer, at: number, width: number, value: number): void {
  const modulus = 2 ** (8 * width);
  bytes.writeUIntBE(((value % modulus) + modulus) % modulus, at, width);
}
