// The decoders under fuzz (test/support/fuzz-harness.ts), each with what it may throw and an
// oracle for what it returns:
//
// | target          | decoder                        | may throw              | oracle                       |
// |-----------------|--------------------------------|------------------------|------------------------------|
// | frame-decoder   | FrameDecoder, random chunkings | RemotingError          | a one-shot reference decoder |
// |                 |                                | FRAME_TOO_LARGE,       | (frames, error, remainder);  |
// |                 |                                | MALFORMED_FRAME        | holds < 4 + max frame bytes  |
// | json-header     | decodeJsonHeader               | RemotingError          | typed fields; re-encodes     |
// | msgpack-header  | decodeMsgpackHeader            | MALFORMED_HEADER       | the same; a sentinel (no     |
// |                 |                                | (each of the three)    | state left corrupted)        |
// | rocketmq-header | decodeRocketmqHeader (binary)  |                        | a strict reference decoder   |
// | message-decoder | decodeMessages (pull body)     | MessageDecodeError     | valid bodies re-encode;      |
// |                 | and decodeRecords              | (decodeRecords: none)  | both fail on the same inputs |
// | batch-decoder   | decodeBatch                    | BatchDecodeError       | decode(encode(x)) = x        |
// | store-record    | checkRecord + readRecord walk  | nothing: 'invalid' is  | readRecord agrees with the   |
// |                 |                                | a return value         | check                        |
// | replication-    | ReplicationFrameDecoder,       | ReplicationFrameError  | frames re-encode; a valid    |
// | stream          | random chunkings               |                        | stream re-encodes exactly    |
//
// The canary-* targets are broken on purpose: the harness must report each of them.
import assert from 'node:assert/strict';
import zlib from 'node:zlib';

import { BatchDecodeError, decodeBatch, encodeBatch, type BatchEntry } from '../../protocol/batch-message-codec.js';
import { HeaderCodec } from '../../protocol/header-codec.js';
import { RECORD_LAYOUT } from '../../protocol/message-record-layout.js';
import { decodeJsonHeader, encodeJsonHeader } from '../../protocol/json-header-codec.js';
import {
  MessageDecodeError,
  decodeMessages,
  decodeRecords,
  isUndecodable,
  receivedMessageFields,
  type ReceivedMessage,
} from '../../protocol/message-decoder.js';
import { encodeMessage, type MessageRecord } from '../../protocol/message-encoder.js';
import { encodeMessageProperties } from '../../protocol/message-properties-codec.js';
import { decodeMsgpackHeader, encodeMsgpackHeader } from '../../protocol/msgpack-header-codec.js';
import {
  LANGUAGE_CODE,
  SERIALIZE_TYPE,
  type ExtFields,
  type RemotingCommand,
} from '../../protocol/remoting-command.js';
import { RemotingError, type RemotingErrorCode } from '../../protocol/remoting-error.js';
import { FRAME_BYTES_MAX, FrameDecoder, encodeFrame, type RawFrame } from '../../protocol/remoting-frame.js';
import { decodeRocketmqHeader, encodeRocketmqHeader } from '../../protocol/rocketmq-header-codec.js';
import type { FuzzSample, LengthField } from '../support/byte-mutator.js';
import type { FuzzTarget } from '../support/fuzz-harness.js';
import type { SeededRandom } from '../support/seeded-random.js';
import {
  hostileHeader,
  randomBody,
  randomCommand,
  randomHost,
  randomInt32,
  randomJsonValue,
  randomLong,
  randomName,
  randomProperties,
  samplePackr,
} from './fuzz-samples.js';
import { replicationStreamTarget } from './replication-stream-fuzz-target.js';
import { storeRecordTarget } from './store-record-fuzz-target.js';

type Sample = FuzzSample & { readonly valid?: boolean };

function remotingErrorClassifier(...codes: RemotingErrorCode[]): (error: unknown) => string | undefined {
  return (error) =>
    error instanceof RemotingError && codes.includes(error.code) ? `RemotingError.${error.code}` : undefined;
}

// ---- frame decoder -----------------------------------------------------------------------

const LENGTH_FIELD_BYTES = 4;
const PREFIX_BYTES = 8;
/** One sample in this many is a frame of about 16 MiB (exactly the limit, one over, or torn). */
const BIG_FRAME_EVERY = 4096;
const TORN_BIG_FRAME_BYTES = 1024 * 1024;
const SMALL_MAX_FRAME_BYTES_MAX = 512;
const ONE_BYTE_CHUNKS_INPUT_BYTES_MAX = 512;

function frameSample(random: SeededRandom): Sample {
  if (random.int(BIG_FRAME_EVERY) === 0) return bigFrameSample(random);
  const parts: Buffer[] = [];
  const lengthFields: LengthField[] = [];
  let at = 0;
  const frames = random.between(1, 3);
  for (let i = 0; i < frames; i++) {
    const serializeType = random.pick([0, 1, 2, random.int(256)]);
    const header =
      random.int(3) === 0 && serializeType <= SERIALIZE_TYPE.msgpack
        ? HeaderCodec.encode(randomCommand(random), serializeType)
        : random.bytes(random.int(65));
    const frame = Buffer.concat(encodeFrame(serializeType, header, randomBody(random)));
    lengthFields.push({ at, bytes: 4 }, { at: at + 4, bytes: 4 }, { at: at + 5, bytes: 3 });
    parts.push(frame);
    at += frame.length;
  }
  return { bytes: Buffer.concat(parts), lengthFields, valid: true };
}

/** A frame of exactly FRAME_BYTES_MAX (valid), one byte over (rejected at once), or torn. */
function bigFrameSample(random: SeededRandom): Sample {
  const kind = random.int(3);
  const length = kind === 1 ? FRAME_BYTES_MAX + 1 : FRAME_BYTES_MAX - random.int(2);
  const bytes = Buffer.alloc(kind === 2 ? TORN_BIG_FRAME_BYTES : LENGTH_FIELD_BYTES + length);
  bytes.writeUInt32BE(length, 0);
  bytes.writeUInt32BE(random.int(64), LENGTH_FIELD_BYTES);
  return { bytes, lengthFields: [{ at: 0, bytes: 4 }], valid: kind === 0 };
}

interface FrameOutcome {
  readonly frames: RawFrame[];
  readonly error: RemotingErrorCode | undefined;
  readonly pendingBytes: number;
}

/** RocketMQ's framing rules applied to the whole input at once (remoting-frame.ts' table). */
function referenceFrames(input: Buffer, maxFrameBytes: number): FrameOutcome {
  const frames: RawFrame[] = [];
  let at = 0;
  const stop = (error: RemotingErrorCode | undefined): FrameOutcome => ({
    frames,
    error,
    pendingBytes: input.length - at,
  });
  while (input.length - at >= LENGTH_FIELD_BYTES) {
    const length = input.readUInt32BE(at);
    if (length > maxFrameBytes) return stop('FRAME_TOO_LARGE');
    if (length < 4) return stop('MALFORMED_FRAME');
    // The header length is checked as soon as the prefix is here, before the body arrives.
    if (input.length - at >= PREFIX_BYTES && (input.readUInt32BE(at + LENGTH_FIELD_BYTES) & 0xffffff) > length - 4)
      return stop('MALFORMED_FRAME');
    if (input.length - at < LENGTH_FIELD_BYTES + length) break;
    const spec = input.readUInt32BE(at + LENGTH_FIELD_BYTES);
    const headerLength = spec & 0xffffff;
    const headerEnd = at + PREFIX_BYTES + headerLength;
    frames.push({
      serializeType: spec >>> 24,
      header: input.subarray(at + PREFIX_BYTES, headerEnd),
      body: input.subarray(headerEnd, at + LENGTH_FIELD_BYTES + length),
    });
    at += LENGTH_FIELD_BYTES + length;
  }
  return stop(undefined);
}

/** The largest chunk a socket delivers `input` in: whole, random pieces, or byte by byte. */
function chunkBytesMax(random: SeededRandom, length: number): number {
  const strategy = random.int(4);
  if (strategy === 0) return length;
  if (strategy === 1) return length > 4096 ? 65_536 : 16;
  if (strategy === 2 && length <= ONE_BYTE_CHUNKS_INPUT_BYTES_MAX) return 1;
  return Math.ceil(length / 2);
}

function sameFrames(actual: readonly RawFrame[], expected: readonly RawFrame[]): boolean {
  return (
    actual.length === expected.length &&
    actual.every(
      (frame, i) =>
        frame.serializeType === expected[i]!.serializeType &&
        frame.header.equals(expected[i]!.header) &&
        frame.body.equals(expected[i]!.body),
    )
  );
}

/** Feeds `input` in random chunks; the frames, or the error, must be the reference's. */
function decodeFrames(input: Buffer, random: SeededRandom, original: Sample | undefined): string {
  const maxFrameBytes =
    random.int(4) === 0 && original === undefined ? random.between(4, SMALL_MAX_FRAME_BYTES_MAX) : FRAME_BYTES_MAX;
  const decoder = new FrameDecoder(maxFrameBytes);
  const frames: RawFrame[] = [];
  const onFrame = (frame: RawFrame): void => void frames.push(frame);
  const pieceMax = chunkBytesMax(random, input.length);
  let error: RemotingError | undefined;
  try {
    for (let at = 0; at < input.length;) {
      const piece = pieceMax >= input.length ? input.length : random.between(1, pieceMax);
      decoder.push(input.subarray(at, at + piece), onFrame);
      at += piece;
      if (decoder.pendingBytes >= LENGTH_FIELD_BYTES + maxFrameBytes)
        assert.fail(`the decoder holds ${decoder.pendingBytes} bytes, more than a frame it can accept`);
    }
  } catch (thrown) {
    if (!(thrown instanceof RemotingError)) throw thrown;
    error = thrown;
  }
  const expected = referenceFrames(input, maxFrameBytes);
  assert.equal(error?.code, expected.error, 'the decoder and the reference disagree on the error');
  if (!sameFrames(frames, expected.frames)) assert.fail('the decoder and the reference disagree on the frames');
  if (error !== undefined) throw error;
  assert.equal(decoder.pendingBytes, expected.pendingBytes, 'the decoder and the reference disagree on the remainder');
  if (original?.valid === true) assert.equal(decoder.pendingBytes, 0, 'a valid stream left bytes over');
  if (frames.length === 0) return decoder.pendingBytes === 0 ? 'empty' : 'partial frame';
  return decoder.pendingBytes === 0 ? 'frames' : 'frames + partial frame';
}

const frameDecoderTarget: FuzzTarget = {
  name: 'frame-decoder',
  sample: frameSample,
  decode: decodeFrames,
  classifyError: remotingErrorClassifier('FRAME_TOO_LARGE', 'MALFORMED_FRAME'),
};

// ---- header codecs -----------------------------------------------------------------------

/** What every accepted header must look like, whatever the encoding. */
function checkCommandShape(command: RemotingCommand): void {
  for (const name of ['code', 'version', 'opaque', 'flag'] as const) {
    assert.ok(Number.isSafeInteger(command[name]), `${name} ${String(command[name])} is not an integer`);
  }
  assert.equal(typeof command.language, 'string');
  assert.ok(command.remark === undefined || typeof command.remark === 'string', 'remark is not a string');
  if (command.extFields === undefined) return;
  assert.equal(Object.getPrototypeOf(command.extFields), null, 'extFields has a prototype');
  for (const value of Object.values(command.extFields)) {
    assert.ok(['string', 'number', 'boolean'].includes(typeof value), `extFields value ${String(value)}`);
  }
}

const SENTINEL_COMMAND: RemotingCommand = {
  code: 310,
  language: 'JAVA',
  version: 401,
  opaque: 7,
  flag: 0,
  remark: 'sentinel',
  extFields: { a: 'producer', b: 'orders', e: 3, m: false },
};

/**
 * Commands as the JSON wire sees them: -0 and 0 are one number, key order is the encoder's,
 * and a non-finite extFields number (JSON's 1e999, a msgpack NaN) is accepted, then written
 * as null and so dropped: processors read numbers with ExtFieldReader, which rejects them.
 */
const wireForm = (command: RemotingCommand): string =>
  JSON.stringify(command, (_key, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? undefined : value,
  );

function headerTarget(
  name: string,
  encode: (command: RemotingCommand) => Buffer,
  decode: (bytes: Buffer) => RemotingCommand,
  hostile: (random: SeededRandom) => Buffer,
): FuzzTarget {
  const knownBytes = encode(SENTINEL_COMMAND);
  const knownForm = wireForm(decode(knownBytes));
  return {
    name,
    sample: (random) =>
      random.int(3) === 0
        ? { bytes: hostile(random), lengthFields: [] }
        : { bytes: encode(randomCommand(random)), lengthFields: [], valid: true },
    decode: (input, _random, original) => {
      const command = decode(input);
      checkCommandShape(command);
      const again = decode(encode(command));
      assert.equal(wireForm(again), wireForm(command), 'decode(encode(decoded)) differs from decoded');
      if (original?.valid === true)
        assert.ok(encode(command).equals(input), 'a valid header does not re-encode to itself');
      return 'accepted';
    },
    classifyError: remotingErrorClassifier('MALFORMED_HEADER'),
    sentinel: () => assert.equal(wireForm(decode(knownBytes)), knownForm),
  };
}

const jsonHeaderTarget = headerTarget('json-header', encodeJsonHeader, decodeJsonHeader, (random) =>
  Buffer.from(JSON.stringify(random.int(8) === 0 ? randomJsonValue(random) : hostileHeader(random, false)), 'utf8'),
);

const msgpackHeaderTarget = headerTarget('msgpack-header', encodeMsgpackHeader, decodeMsgpackHeader, (random) => {
  const header = hostileHeader(random, true);
  const extras = [
    new Date(random.int(2 ** 31)),
    BigInt(randomLong(random)) << 14n,
    random.bytes(4),
    [[[1]]],
    new Map([[1, 2]]),
  ];
  if (random.int(2) === 0) header[random.pick(['c', 'o', 'x', 'r'])] = random.pick(extras);
  return samplePackr.pack(random.int(8) === 0 ? randomJsonValue(random) : header);
});

// RocketMQ's binary header, strictly: every length non-negative and inside the header, the
// extFields entries ending exactly at the declared extFields length.
function referenceRocketmqHeader(bytes: Buffer): RemotingCommand | undefined {
  if (bytes.length < 17) return undefined;
  const remarkLength = bytes.readInt32BE(13);
  let at = 17;
  if (remarkLength < 0 || at + remarkLength + 4 > bytes.length) return undefined;
  const remark = remarkLength > 0 ? bytes.toString('utf8', at, at + remarkLength) : undefined;
  at += remarkLength;
  const extLength = bytes.readInt32BE(at);
  at += 4;
  if (extLength < 0 || at + extLength > bytes.length) return undefined;
  const extEnd = at + extLength;
  const extFields: ExtFields = Object.create(null) as ExtFields;
  while (at < extEnd) {
    if (at + 2 > extEnd) return undefined;
    const keyLength = bytes.readInt16BE(at);
    if (keyLength < 0 || at + 2 + keyLength + 4 > extEnd) return undefined;
    const key = bytes.toString('utf8', at + 2, at + 2 + keyLength);
    at += 2 + keyLength;
    const valueLength = bytes.readInt32BE(at);
    at += 4;
    if (valueLength < 0 || at + valueLength > extEnd) return undefined;
    extFields[key] = bytes.toString('utf8', at, at + valueLength);
    at += valueLength;
  }
  const language = Object.entries(LANGUAGE_CODE).find(([, code]) => code === bytes.readInt8(2))?.[0] ?? 'OTHER';
  return {
    code: bytes.readInt16BE(0),
    language,
    version: bytes.readInt16BE(3),
    opaque: bytes.readInt32BE(5),
    flag: bytes.readInt32BE(9),
    remark,
    extFields: extLength > 0 ? extFields : undefined,
  };
}

/** Where the length fields of an encoded binary header are. */
function rocketmqLengthFields(bytes: Buffer): LengthField[] {
  const fields: LengthField[] = [{ at: 13, bytes: 4 }];
  let at = 17 + bytes.readInt32BE(13);
  fields.push({ at, bytes: 4 });
  const extEnd = at + 4 + bytes.readInt32BE(at);
  at += 4;
  while (at < extEnd) {
    const keyLength = bytes.readInt16BE(at);
    fields.push({ at, bytes: 2 }, { at: at + 2 + keyLength, bytes: 4 });
    at += 6 + keyLength + bytes.readInt32BE(at + 2 + keyLength);
  }
  return fields;
}

const rocketmqHeaderTarget: FuzzTarget = {
  name: 'rocketmq-header',
  sample: (random) => {
    const bytes = encodeRocketmqHeader(randomCommand(random));
    return { bytes, lengthFields: rocketmqLengthFields(bytes), valid: true };
  },
  decode: (input, _random, original) => {
    const expected = referenceRocketmqHeader(input);
    let command: RemotingCommand;
    try {
      command = decodeRocketmqHeader(input);
    } catch (error) {
      if (expected !== undefined) assert.fail(`rejects a well-formed header (${String(error)})`);
      throw error;
    }
    assert.ok(expected !== undefined, 'accepts a header the strict reference rejects');
    assert.deepEqual(command, expected, 'the decoder and the reference disagree');
    checkCommandShape(command);
    if (original?.valid === true)
      assert.ok(encodeRocketmqHeader(command).equals(input), 'a valid header does not re-encode');
    return 'accepted';
  },
  classifyError: remotingErrorClassifier('MALFORMED_HEADER'),
};

// ---- pull bodies and batches -------------------------------------------------------------

function randomRecord(random: SeededRandom): { record: MessageRecord; compressed: boolean } {
  const compressed = random.int(8) === 0;
  const plain = randomBody(random);
  const sysFlag = (randomInt32(random) & ~1) | (compressed ? 1 : 0);
  return {
    compressed,
    record: {
      topic: random.int(64) === 0 ? 'T'.repeat(255) : randomName(random, 40),
      queueId: randomInt32(random),
      queueOffset: randomLong(random),
      commitLogOffset: randomLong(random),
      flag: randomInt32(random),
      sysFlag,
      bornTimestamp: randomLong(random),
      bornHost: randomHost(random),
      storeTimestamp: randomLong(random),
      storeHost: randomHost(random),
      reconsumeTimes: randomInt32(random),
      preparedTransactionOffset: randomLong(random),
      body: compressed ? zlib.deflateSync(plain) : plain,
      properties: randomProperties(random),
    },
  };
}

function pullBodySample(random: SeededRandom): Sample {
  const parts: Buffer[] = [];
  const lengthFields: LengthField[] = [];
  let at = 0;
  const count = random.between(1, 3);
  for (let i = 0; i < count; i++) {
    const bytes = encodeMessage(randomRecord(random).record);
    const topicAt = RECORD_LAYOUT.body + bytes.readInt32BE(RECORD_LAYOUT.bodyLength);
    lengthFields.push(
      { at, bytes: 4 },
      { at: at + RECORD_LAYOUT.bodyLength, bytes: 4 },
      { at: at + topicAt, bytes: 1 },
      { at: at + topicAt + 1 + bytes[topicAt]!, bytes: 2 },
    );
    parts.push(bytes);
    at += bytes.length;
  }
  return { bytes: Buffer.concat(parts), lengthFields, valid: true };
}

/** A decoded message encoded again (recompressing a compressed body). */
function reencode(message: ReceivedMessage): Buffer {
  const compressed = (message.sysFlag & 1) !== 0;
  const fields = receivedMessageFields(message);
  return encodeMessage({ ...fields, body: compressed ? zlib.deflateSync(message.body) : message.body });
}

const messageDecoderTarget: FuzzTarget = {
  name: 'message-decoder',
  sample: pullBodySample,
  decode: (input, _random, original) => {
    // The record-by-record decoder never throws, and finds a failure exactly where the whole-body one does.
    const { records, broken } = decodeRecords(input);
    const failed = broken !== undefined || records.some(isUndecodable);
    let messages: ReceivedMessage[];
    try {
      messages = decodeMessages(input);
    } catch (error) {
      assert.ok(failed, 'decodeRecords found no failure where decodeMessages threw');
      throw error;
    }
    assert.ok(!failed, 'decodeRecords failed where decodeMessages did not');
    assert.equal(records.length, messages.length);
    for (const message of messages) assert.ok(Buffer.isBuffer(message.body) && typeof message.topic === 'string');
    if (original?.valid === true)
      assert.ok(Buffer.concat(messages.map(reencode)).equals(input), 'a valid body does not re-encode');
    return messages.length === 0 ? 'accepted (empty)' : 'accepted';
  },
  classifyError: (error) => (error instanceof MessageDecodeError ? 'MessageDecodeError' : undefined),
};

const PROPERTIES_BYTES_MAX = 0x7fff;

function batchSample(random: SeededRandom): Sample {
  const entries: BatchEntry[] = Array.from({ length: random.between(1, 4) }, () => ({
    flag: randomInt32(random),
    body: randomBody(random),
    properties: encodeMessageProperties(randomProperties(random)),
  }));
  const bytes = encodeBatch(entries);
  const lengthFields: LengthField[] = [];
  for (let at = 0; at < bytes.length; at += bytes.readInt32BE(at)) {
    const propertiesAt = at + 20 + bytes.readInt32BE(at + 16);
    lengthFields.push({ at, bytes: 4 }, { at: at + 16, bytes: 4 }, { at: propertiesAt, bytes: 2 });
  }
  return { bytes, lengthFields, valid: true };
}

const batchDecoderTarget: FuzzTarget = {
  name: 'batch-decoder',
  sample: batchSample,
  decode: (input, _random, original) => {
    const entries = decodeBatch(input);
    if (entries.every((entry) => Buffer.byteLength(entry.properties, 'utf8') <= PROPERTIES_BYTES_MAX)) {
      assert.deepEqual(decodeBatch(encodeBatch(entries)), entries, 'decode(encode(decoded)) differs from decoded');
    }
    if (original?.valid === true) assert.ok(encodeBatch(entries).equals(input), 'a valid batch does not re-encode');
    return entries.length === 0 ? 'accepted (empty)' : 'accepted';
  },
  classifyError: (error) => (error instanceof BatchDecodeError ? 'BatchDecodeError' : undefined),
};

// ---- canaries: broken on purpose ---------------------------------------------------------

const CANARY_SLOW_MS = 80;
const retainedByLeakCanary: Buffer[] = [];

function canary(name: string, decode: (input: Buffer) => string): FuzzTarget {
  return {
    name,
    sample: (random) => ({ bytes: random.bytes(random.int(32)), lengthFields: [{ at: 0, bytes: 4 }] }),
    decode,
    classifyError: () => undefined,
  };
}

export const CANARY_TARGETS: readonly FuzzTarget[] = [
  canary('canary-type-error', (input) => {
    const fields: Record<number, { length: number }> = {};
    return input.length > 2 && input[1] === 0x42 ? String(fields[input[0]!]!.length) : 'accepted';
  }),
  canary('canary-hang', (input) => {
    while (input.length === 7 && input[0]! < 0x20) input[1] = input[1]! ^ 1;
    return 'accepted';
  }),
  canary('canary-slow', (input) => {
    const until = performance.now() + (input.length > 3 && input[0] === 0x99 ? CANARY_SLOW_MS : 0);
    while (performance.now() < until);
    return 'accepted';
  }),
  canary('canary-leak', (input) => {
    retainedByLeakCanary.push(Buffer.alloc(1024, input[0] ?? 0));
    return 'accepted';
  }),
];

export const CODEC_FUZZ_TARGETS: readonly FuzzTarget[] = [
  frameDecoderTarget,
  jsonHeaderTarget,
  msgpackHeaderTarget,
  rocketmqHeaderTarget,
  messageDecoderTarget,
  batchDecoderTarget,
  storeRecordTarget,
  replicationStreamTarget,
];
