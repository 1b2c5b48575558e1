// Fuzz target for the replication stream (broker/replication/replication-frame.ts): a replica's
// or master's byte stream of 1-3 frames, delivered in random chunks to ReplicationFrameDecoder.
// It may throw ReplicationFrameError only; every frame it yields must re-encode to a frame that
// decodes to the same fields, an unmutated valid stream must come back byte for byte, and it
// never holds more than one frame's bytes.
import assert from 'node:assert/strict';

import { ReplicationFrameError } from '../../broker/replication/replication-frame-error.js';
import {
  REPLICATION_FRAME_BYTES_MAX,
  ReplicationFrameDecoder,
  decodeReplicationFrame,
  encodeReplicationFrame,
  type ReplicationFrame,
} from '../../broker/replication/replication-frame.js';
import type { LengthField } from '../support/byte-mutator.js';
import type { FuzzTarget } from '../support/fuzz-harness.js';
import type { SeededRandom } from '../support/seeded-random.js';

const FRAMES_MAX = 3;
const DATA_BYTES_MAX = 256;
const OFFSET_MAX = 2 ** 40;

function randomFrame(random: SeededRandom): ReplicationFrame {
  const offset = (): number => random.int(OFFSET_MAX);
  switch (random.int(10)) {
    case 9:
      return {
        type: 'snapshot',
        logEnd: offset(),
        queueId: random.int(16),
        name: random.bytes(random.between(1, 16)).toString('hex'),
        bytes: random.bytes(random.between(1, DATA_BYTES_MAX)),
      };
    case 6:
      return { type: 'epoch', epoch: offset() };
    case 7:
      return { type: 'confirmed', end: offset() };
    case 8:
      return {
        type: 'auth',
        signedAt: offset(),
        accessKey: random.bytes(random.int(16)).toString('hex'),
        nonce: random.bytes(random.int(16)).toString('base64url'),
        signature: random.bytes(20).toString('base64'),
      };
    case 4:
      return { type: 'probe', offset: offset(), size: random.int(1 << 20), checksum: random.int(2 ** 32) };
    case 5:
      return { type: 'probe-result', matches: random.int(2) === 0, masterLogEnd: offset() };
    case 0:
      return {
        type: 'hello',
        logEnd: offset(),
        lastOffset: random.int(4) === 0 ? -1 : offset(),
        lastSize: random.int(1 << 20),
        lastChecksum: random.int(2 ** 32),
        segmentBytes: random.int(2 ** 31),
        brokerName: random.bytes(random.int(16)).toString('hex'),
        replicaId: random.int(16),
        epoch: offset(),
      };
    case 1:
      return { type: 'report', logEnd: offset(), flushed: offset() };
    case 2:
      return {
        type: 'data',
        fromOffset: offset(),
        masterLogEnd: offset(),
        bytes: random.bytes(random.int(DATA_BYTES_MAX)),
      };
    default:
      return { type: 'refuse', reason: random.between(1, 5), text: random.bytes(random.int(24)).toString('hex') };
  }
}

function sample(random: SeededRandom): { bytes: Buffer; lengthFields: LengthField[]; valid: boolean } {
  const parts: Buffer[] = [];
  const lengthFields: LengthField[] = [];
  let at = 0;
  for (let i = random.between(1, FRAMES_MAX); i > 0; i--) {
    const frame = Buffer.concat(encodeReplicationFrame(randomFrame(random)));
    lengthFields.push({ at, bytes: 4 });
    if (frame.readUInt8(4) === 1) lengthFields.push({ at: at + 33, bytes: 2 });
    if (frame.readUInt8(4) === 10) lengthFields.push({ at: at + 21, bytes: 1 });
    parts.push(frame);
    at += frame.length;
  }
  return { bytes: Buffer.concat(parts), lengthFields, valid: true };
}

/** The same frame after a round trip through the codec (names and texts as decoded). */
function roundTrip(frame: ReplicationFrame): ReplicationFrame {
  return decodeReplicationFrame(Buffer.concat(encodeReplicationFrame(frame)));
}

export const replicationStreamTarget: FuzzTarget = {
  name: 'replication-stream',
  sample,
  decode: (input, random, original) => {
    const decoder = new ReplicationFrameDecoder();
    const frames: ReplicationFrame[] = [];
    const pieceMax = random.int(3) === 0 ? 1 : Math.max(1, input.length);
    for (let at = 0; at < input.length;) {
      const piece = random.between(1, pieceMax);
      decoder.push(input.subarray(at, at + piece), (frame) => frames.push(frame));
      at += piece;
      assert.ok(decoder.pendingBytes < 4 + REPLICATION_FRAME_BYTES_MAX + piece, 'the decoder holds more than a frame');
    }
    for (const frame of frames) {
      const again = roundTrip(frame);
      if (frame.type === 'hello' && Buffer.byteLength(frame.brokerName) > 255) continue;
      if (frame.type === 'refuse' || frame.type === 'hello') assert.equal(again.type, frame.type);
      else assert.deepEqual(again, frame, 'a decoded frame does not survive re-encoding');
    }
    if (original?.valid === true) {
      assert.equal(decoder.pendingBytes, 0, 'a valid stream left bytes over');
      assert.ok(
        Buffer.concat(frames.flatMap((frame) => encodeReplicationFrame(frame))).equals(input),
        'a valid stream does not re-encode',
      );
    }
    if (frames.length === 0) return decoder.pendingBytes === 0 ? 'empty' : 'partial frame';
    return decoder.pendingBytes === 0 ? 'frames' : 'frames + partial frame';
  },
  classifyError: (error) =>
    error instanceof ReplicationFrameError ? `ReplicationFrameError.${error.code}` : undefined,
};
