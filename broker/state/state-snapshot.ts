// A state machine snapshot: the state after applying every command before NEXTQUEUEOFFSET.
// Written to a temporary file, fsynced, renamed over the previous snapshot and the directory
// fsynced, so a crash leaves either the old snapshot or the new one, never a mix.
//
// | offset | bytes | field           | meaning                                      |
// |--------|-------|-----------------|----------------------------------------------|
// |      0 |     4 | MAGIC           | 0x54534E50 ("TSNP")                          |
// |      4 |     4 | FORMAT_VERSION  | 1                                            |
// |      8 |     8 | NEXTQUEUEOFFSET | first command of the state queue not covered |
// |     16 |     4 | PAYLOADLENGTH   |                                              |
// |     20 |     4 | CRC             | CRC-32C of PAYLOAD                           |
// |     24 |     n | PAYLOAD         | the state, msgpackr-encoded                  |
import fs from 'node:fs';
import path from 'node:path';

import crc32c from 'fast-crc32c';

import { packState, unpackState } from './state-command-frame.js';

export const SNAPSHOT_MAGIC = 0x54534e50;
export const SNAPSHOT_FORMAT_VERSION = 1;
export const SNAPSHOT_HEADER_BYTES = 24;

export interface StateSnapshot {
  readonly nextQueueOffset: number;
  readonly state: unknown;
}

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

export function encodeSnapshot(snapshot: StateSnapshot): Buffer {
  const payload = packState(snapshot.state);
  const bytes = Buffer.allocUnsafe(SNAPSHOT_HEADER_BYTES + payload.length);
  bytes.writeUInt32BE(SNAPSHOT_MAGIC, 0);
  bytes.writeUInt32BE(SNAPSHOT_FORMAT_VERSION, 4);
  bytes.writeBigInt64BE(BigInt(snapshot.nextQueueOffset), 8);
  bytes.writeUInt32BE(payload.length, 16);
  bytes.writeUInt32BE(crc32c.calculate(payload) >>> 0, 20);
  payload.copy(bytes, SNAPSHOT_HEADER_BYTES);
  return bytes;
}

export function decodeSnapshot(bytes: Buffer): StateSnapshot {
  if (bytes.length < SNAPSHOT_HEADER_BYTES) throw new SnapshotError('snapshot too short');
  if (bytes.readUInt32BE(0) !== SNAPSHOT_MAGIC || bytes.readUInt32BE(4) !== SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotError('not a snapshot of this format');
  }
  const length = bytes.readUInt32BE(16);
  const payload = bytes.subarray(SNAPSHOT_HEADER_BYTES);
  if (payload.length !== length || crc32c.calculate(payload) >>> 0 !== bytes.readUInt32BE(20)) {
    throw new SnapshotError('snapshot payload damaged');
  }
  return { nextQueueOffset: Number(bytes.readBigInt64BE(8)), state: unpackState(payload) };
}

export function readSnapshot(filePath: string): StateSnapshot | undefined {
  if (!fs.existsSync(filePath)) return undefined;
  return decodeSnapshot(fs.readFileSync(filePath));
}

export function writeSnapshot(filePath: string, snapshot: StateSnapshot): Promise<void> {
  return writeSnapshotBytes(filePath, encodeSnapshot(snapshot));
}

/** Writes an encoded snapshot (a replica installing its master's, byte for byte) as writeSnapshot does. */
export async function writeSnapshotBytes(filePath: string, bytes: Buffer): Promise<void> {
  const temporary = `${filePath}.tmp`;
  const handle = await fs.promises.open(temporary, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(temporary, filePath);
  const directory = await fs.promises.open(path.dirname(filePath), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
