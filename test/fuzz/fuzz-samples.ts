// Seeded random values for the codec fuzzers: remoting commands as clients send them, hostile
// but well-formed header values (wrong types, huge and fractional numbers, prototype keys,
// deep nesting), message records as the store writes them, and batch entries.
import { Packr } from 'msgpackr';

import { LANGUAGE_CODE, type ExtFields, type RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { SeededRandom } from '../support/seeded-random.js';

const INT16_MAX = 0x7fff;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
/** Offsets and timestamps stay below 2^48 here: exact in a double, and what real logs hold. */
const LONG_MAX = 2 ** 48;
const JSON_DEPTH_MAX = 4;
const LANGUAGES = Object.keys(LANGUAGE_CODE);
const REQUEST_CODES = Object.values(REQUEST_CODE);
/** Characters that stress encoders: separators, quotes, escapes, multi-byte and astral ones. */
const AWKWARD_CHARACTERS = ['\u0001', '\u0002', '"', '\\', '\n', '\u0000', 'é', '中', '😀', ' ', '%', '|', '{', '}'];
const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-';
const HOSTILE_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', ''];
const HEADER_KEYS = ['code', 'language', 'version', 'opaque', 'flag', 'remark', 'extFields'];
const PACKED_HEADER_KEYS = ['c', 'l', 'v', 'o', 'f', 'r', 'x'];
const HOSTILE_NUMBERS = [
  0,
  -0,
  -1,
  0.5,
  1e21,
  -1e300,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 63),
  INT32_MAX,
  INT32_MIN,
  Number.MAX_VALUE,
  Number.NaN,
  Number.POSITIVE_INFINITY,
];

/** A string of up to `lengthMax` characters, mostly alphanumeric, sometimes awkward. */
export function randomText(random: SeededRandom, lengthMax: number): string {
  const length = random.int(lengthMax + 1);
  let text = '';
  for (let i = 0; i < length; i++) {
    text += random.int(8) === 0 ? random.pick(AWKWARD_CHARACTERS) : ALPHANUMERIC[random.int(ALPHANUMERIC.length)];
  }
  return text;
}

/** A name that starts with a letter (so object key order is insertion order). */
export function randomName(random: SeededRandom, lengthMax: number): string {
  return ALPHANUMERIC[random.int(26)]! + randomText(random, lengthMax - 1).replace(/[\u0001\u0002]/g, '_');
}

function randomExtFields(random: SeededRandom): ExtFields {
  const fields: ExtFields = {};
  const count = random.int(9);
  for (let i = 0; i < count; i++) {
    const roll = random.int(3);
    fields[randomName(random, 12)] =
      roll === 0 ? randomText(random, 40) : roll === 1 ? random.between(INT32_MIN, INT32_MAX) : random.int(2) === 0;
  }
  return fields;
}

/** A request or response as a client sends it; every number fits the binary header's fields. */
export function randomCommand(random: SeededRandom): RemotingCommand {
  return {
    code: random.int(4) === 0 ? random.between(-INT16_MAX, INT16_MAX) : random.pick(REQUEST_CODES),
    language: random.pick(LANGUAGES),
    version: random.between(0, INT16_MAX),
    opaque: random.between(INT32_MIN, INT32_MAX),
    flag: random.int(4),
    remark: random.int(4) === 0 ? randomText(random, 60) : undefined,
    extFields: random.int(5) === 0 ? undefined : randomExtFields(random),
  };
}

/** Any JSON value, nested up to `depth` levels, with hostile numbers and keys. */
export function randomJsonValue(random: SeededRandom, depth = JSON_DEPTH_MAX): unknown {
  switch (random.int(depth <= 0 ? 4 : 6)) {
    case 0:
      return null;
    case 1:
      return random.int(2) === 0;
    case 2:
      return random.int(2) === 0 ? random.pick(HOSTILE_NUMBERS) : random.between(INT32_MIN, INT32_MAX);
    case 3:
      return randomText(random, 20);
    case 4:
      return Array.from({ length: random.int(5) }, () => randomJsonValue(random, depth - 1));
    default:
      return randomObject(random, depth - 1, HOSTILE_KEYS);
  }
}

function randomObject(random: SeededRandom, depth: number, keys: readonly string[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  const count = random.int(6);
  for (let i = 0; i < count; i++) {
    const key = random.int(2) === 0 ? random.pick(keys) : randomName(random, 8);
    Object.defineProperty(object, key, {
      value: randomJsonValue(random, depth),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return object;
}

/**
 * A header-shaped object whose fields are sometimes right and sometimes anything: the JSON
 * (long names) or msgpack (one-letter names) header a confused or hostile client might send.
 */
export function hostileHeader(random: SeededRandom, packed: boolean): Record<string, unknown> {
  const keys = packed ? PACKED_HEADER_KEYS : HEADER_KEYS;
  const command = randomCommand(random);
  const right: unknown[] = packed
    ? [
        command.code,
        LANGUAGE_CODE.JAVA,
        command.version,
        command.opaque,
        command.flag,
        command.remark,
        command.extFields,
      ]
    : [
        command.code,
        command.language,
        command.version,
        command.opaque,
        command.flag,
        command.remark,
        command.extFields,
      ];
  const header = randomObject(random, 2, HOSTILE_KEYS);
  keys.forEach((key, i) => {
    if (random.int(4) === 0) return;
    header[key] = random.int(3) === 0 ? randomJsonValue(random, 2) : right[i];
  });
  return header;
}

export function randomHost(random: SeededRandom): string {
  return `${random.int(256)}.${random.int(256)}.${random.int(256)}.${random.int(256)}:${random.int(65_536)}`;
}

export function randomLong(random: SeededRandom): number {
  return Math.floor(random.next() * LONG_MAX);
}

export function randomInt32(random: SeededRandom): number {
  return random.between(INT32_MIN, INT32_MAX);
}

/** Message properties with the names that mean something to clients, and random ones. */
export function randomProperties(random: SeededRandom): Record<string, string> {
  const properties: Record<string, string> = {};
  if (random.int(2) === 0) properties.UNIQ_KEY = randomName(random, 32);
  if (random.int(2) === 0) properties.KEYS = `${randomName(random, 8)} ${randomName(random, 8)}`;
  if (random.int(2) === 0) properties.TAGS = randomName(random, 8);
  const extra = random.int(4);
  for (let i = 0; i < extra; i++)
    properties[randomName(random, 10)] = randomText(random, 20).replace(/[\u0001\u0002]/g, '');
  return properties;
}

/** A body: usually short, sometimes empty, rarely a few KiB. */
export function randomBody(random: SeededRandom): Buffer {
  const roll = random.int(100);
  return random.bytes(roll < 10 ? 0 : roll < 95 ? random.int(128) : random.int(4096));
}

/** Packs hostile msgpack headers with the options the msgpack header codec uses. */
export const samplePackr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: 'number',
  variableMapSize: true,
});
