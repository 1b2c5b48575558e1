// A state machine command as stored in the commit log: a CRC-32C in front of the msgpack
// encoding, so a command that was damaged after the store verified its record (or written by
// something else) is never applied.
//
// | offset | bytes | field   | meaning                            |
// |--------|-------|---------|------------------------------------|
// |      0 |     4 | CRC     | CRC-32C of PAYLOAD, big-endian     |
// |      4 |     n | PAYLOAD | the command, msgpackr-encoded      |
import crc32c from 'fast-crc32c';
import { Packr } from 'msgpackr';

export const STATE_FRAME_HEADER_BYTES = 4;
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export class StateFrameError extends Error {
  override readonly name = 'StateFrameError';
}

export function encodeStateFrame(command: unknown): Buffer {
  const payload = packr.pack(command);
  const frame = Buffer.allocUnsafe(STATE_FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(crc32c.calculate(payload) >>> 0, 0);
  payload.copy(frame, STATE_FRAME_HEADER_BYTES);
  return frame;
}

export function decodeStateFrame(frame: Buffer): unknown {
  if (frame.length < STATE_FRAME_HEADER_BYTES) throw new StateFrameError('state command too short');
  const payload = frame.subarray(STATE_FRAME_HEADER_BYTES);
  if (crc32c.calculate(payload) >>> 0 !== frame.readUInt32BE(0))
    throw new StateFrameError('state command checksum mismatch');
  return packr.unpack(payload);
}

/** msgpack encoding shared with snapshots. */
export function packState(value: unknown): Buffer {
  return packr.pack(value);
}

export function unpackState(bytes: Buffer): unknown {
  return packr.unpack(bytes);
}
