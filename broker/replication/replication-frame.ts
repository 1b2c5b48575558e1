// The replication (HA) stream between a master's HA port and its replicas: one codec for both
// directions. Every integer is big-endian; offsets are commit log offsets.
//
// | at | bytes | field                                                                 |
// |----|-------|-----------------------------------------------------------------------|
// | 0  | 4     | length of what follows (int32, 1..REPLICATION_FRAME_BYTES_MAX)        |
// | 4  | 1     | type: 1 hello, 2 report, 5 probe, 9 auth (replica -> master); 3 data, |
// |    |       | 4 refuse, 6 probe result, 7 epoch, 8 confirmed, 10 snapshot           |
// |    |       | (master -> replica)                                                   |
//
// hello (a replica's first frame):
// | 5  | 8     | logEnd: where the replica's log ends (int64)                          |
// | 13 | 8     | lastOffset: its last record's offset, -1 for an empty log (int64)     |
// | 21 | 4     | lastSize: that record's size (int32, 0 when none)                     |
// | 25 | 4     | lastChecksum: that record's stored CRC-32C (uint32)                   |
// | 29 | 4     | segmentBytes: the replica's commit log segment size (int32)           |
// | 33 | 2     | nameLength, then the broker name (UTF-8; the set both belong to)      |
// | 35+n | 4   | replicaId: the replica's own broker id (int32)                        |
// | 39+n | 8   | epoch: the newest master epoch the replica knows, 0 without etcd      |
// report (the replica's acknowledgement, after each append and every REPORT_INTERVAL):
// | 5  | 8     | logEnd: everything before it is in the replica's log (int64)          |
// | 13 | 8     | flushed: everything before it is msynced there (int64)               |
// data (commit log bytes, whole records of one segment, exactly as on the master's disk):
// | 5  | 8     | fromOffset (int64)                                                    |
// | 13 | 8     | masterLogEnd: the master's log end when sent, for lag (int64)          |
// | 21 | rest  | the record bytes                                                      |
// refuse (the master will not serve this replica; it closes the connection after it):
// | 5  | 1     | reason: 1 diverged, 2 wrong broker, 3 segment size, 4 offset gone,    |
// |    |       | 5 stale epoch (the replica knows a newer master than this one),       |
// |    |       | 6 unauthorized, 7 snapshot too large (over REPLICATION_SNAPSHOT_BYTES_MAX) |
// | 6  | rest  | text (UTF-8)                                                          |
// probe (a rejoining replica asks whether a record of its log is the master's, before hello):
// | 5  | 8     | offset of the record (int64)                                          |
// | 13 | 4     | size (int32)                                                          |
// | 17 | 4     | stored CRC-32C (uint32)                                               |
// probe result:
// | 5  | 1     | matches: 1 when the master has that record at that offset, else 0     |
// | 6  | 8     | masterLogEnd (int64)                                                  |
// epoch (the master's first frame once it accepts a hello; a replica refuses a lower one):
// | 5  | 8     | the master's epoch (int64; 0 without etcd)                            |
// confirmed (controller mode: how far the in-sync replicas hold the log; a replica serves
// consumers no further, so nothing they read can be lost to a failover):
// | 5  | 8     | end: a commit log offset (int64)                                      |
// auth (first frame on a master with ACL on; replica-auth.ts says what is signed):
// | 5  | 8     | signedAt: ms since the epoch (int64)                                  |
// | 13 | 1     | a: accessKey length, then the accessKey (UTF-8)                       |
// | .. | 1     | n: nonce length, then the nonce (UTF-8)                               |
// | .. | 1     | s: signature length, then the signature (Base64, ASCII); nothing after |
// snapshot (install snapshot: to an empty replica of a log retention trimmed, after epoch and
// before the first data frame, one per state machine; the replica installs it, then applies
// that machine's commands from the snapshot's queue offset on):
// | 5  | 4     | crc: CRC-32C of every byte after this field (uint32)                  |
// | 9  | 8     | logEnd: the master's log end when taken; every command of the machine |
// |    |       | logged before it is in the snapshot (int64)                           |
// | 17 | 4     | queueId: the machine's queue of the state topic (int32, >= 0)         |
// | 21 | 1     | n: name length, then the machine's name (UTF-8, 1..255 bytes)         |
// | 22+n | rest | the snapshot as state-snapshot.ts lays it out (its next queue offset |
// |    |       | and CRC-checked payload), 1..REPLICATION_SNAPSHOT_BYTES_MAX bytes     |
import crc32c from 'fast-crc32c';

import { ReplicationFrameError } from './replication-frame-error.js';

export const REPLICATION_FRAME_TYPE = {
  hello: 1,
  report: 2,
  data: 3,
  refuse: 4,
  probe: 5,
  probeResult: 6,
  epoch: 7,
  confirmed: 8,
  auth: 9,
  snapshot: 10,
} as const;
export const REFUSE_REASON = {
  diverged: 1,
  wrongBroker: 2,
  segmentSize: 3,
  offsetGone: 4,
  staleEpoch: 5,
  unauthorized: 6,
  snapshotTooLarge: 7,
} as const;

/** Record bytes per data frame at most (the master reads this much at a time from its mapping). */
export const REPLICATION_TRANSFER_BYTES_MAX = 4 * 1024 * 1024;
const LENGTH_BYTES = 4;
const DATA_HEADER_BYTES = 21;
/** The largest frame after its length field: a full data frame (one record may exceed the transfer size). */
export const REPLICATION_FRAME_BYTES_MAX = 64 * 1024 * 1024;
/** A state machine snapshot sent whole in one frame is at most this large (its frame stays under the frame bound). */
export const REPLICATION_SNAPSHOT_BYTES_MAX = 60 * 1024 * 1024;
const SNAPSHOT_FIXED_BYTES = 22;
const SNAPSHOT_CHECKED_FROM = 9;
const SNAPSHOT_NAME_BYTES_MAX = 255;
const BROKER_NAME_BYTES_MAX = 255;
const REFUSE_TEXT_BYTES_MAX = 1024;
const REFUSE_FIXED_BYTES = 6;
const HELLO_FIXED_BYTES = 35;
const HELLO_TRAILER_BYTES = 12;
const EPOCH_BYTES = 13;
const REPORT_BYTES = 21;
const PROBE_BYTES = 21;
const PROBE_RESULT_BYTES = 14;
const AUTH_FIXED_BYTES = 13;
/** Each of an auth frame's strings is at most this long (its length is one byte). */
const AUTH_FIELD_BYTES_MAX = 255;

export type ReplicationFrame =
  | {
      readonly type: 'hello';
      readonly logEnd: number;
      readonly lastOffset: number;
      readonly lastSize: number;
      readonly lastChecksum: number;
      readonly segmentBytes: number;
      readonly brokerName: string;
      readonly replicaId: number;
      readonly epoch: number;
    }
  | { readonly type: 'report'; readonly logEnd: number; readonly flushed: number }
  | { readonly type: 'data'; readonly fromOffset: number; readonly masterLogEnd: number; readonly bytes: Buffer }
  | { readonly type: 'refuse'; readonly reason: number; readonly text: string }
  | { readonly type: 'probe'; readonly offset: number; readonly size: number; readonly checksum: number }
  | { readonly type: 'probe-result'; readonly matches: boolean; readonly masterLogEnd: number }
  | { readonly type: 'epoch'; readonly epoch: number }
  | { readonly type: 'confirmed'; readonly end: number }
  | {
      readonly type: 'snapshot';
      readonly logEnd: number;
      readonly queueId: number;
      readonly name: string;
      readonly bytes: Buffer;
    }
  | {
      readonly type: 'auth';
      readonly signedAt: number;
      readonly accessKey: string;
      readonly nonce: string;
      readonly signature: string;
    };

/** One frame kind of the union, for its encoder. */
type FrameOf<Type extends ReplicationFrame['type']> = Extract<ReplicationFrame, { type: Type }>;

/** Encodes a frame; a data or snapshot frame is two buffers (its header, then its bytes, not copied). */
export function encodeReplicationFrame(frame: ReplicationFrame): Buffer[] {
  switch (frame.type) {
    case 'hello':
      return [encodeHello(frame)];
    case 'epoch':
      return [encodeOffsetFrame(REPLICATION_FRAME_TYPE.epoch, frame.epoch)];
    case 'confirmed':
      return [encodeOffsetFrame(REPLICATION_FRAME_TYPE.confirmed, frame.end)];
    case 'report':
      return [encodeReport(frame)];
    case 'data':
      return encodeDataFrame(frame);
    case 'probe':
      return [encodeProbe(frame)];
    case 'probe-result':
      return [encodeProbeResult(frame)];
    case 'snapshot':
      return encodeSnapshotFrame(frame);
    case 'auth':
      return [encodeAuth(frame)];
    case 'refuse':
      return [encodeRefuse(frame)];
  }
}

function encodeHello(frame: FrameOf<'hello'>): Buffer {
  const name = Buffer.from(frame.brokerName, 'utf8').subarray(0, BROKER_NAME_BYTES_MAX);
  const out = Buffer.alloc(HELLO_FIXED_BYTES + name.length + HELLO_TRAILER_BYTES);
  header(out, REPLICATION_FRAME_TYPE.hello, out.length - LENGTH_BYTES);
  out.writeBigInt64BE(BigInt(frame.logEnd), 5);
  out.writeBigInt64BE(BigInt(frame.lastOffset), 13);
  out.writeInt32BE(frame.lastSize, 21);
  out.writeUInt32BE(frame.lastChecksum >>> 0, 25);
  out.writeInt32BE(frame.segmentBytes, 29);
  out.writeUInt16BE(name.length, 33);
  name.copy(out, HELLO_FIXED_BYTES);
  out.writeInt32BE(frame.replicaId, HELLO_FIXED_BYTES + name.length);
  out.writeBigInt64BE(BigInt(frame.epoch), HELLO_FIXED_BYTES + name.length + 4);
  return out;
}

/** Epoch and confirmed: one int64 after the type. */
function encodeOffsetFrame(type: number, value: number): Buffer {
  const out = Buffer.alloc(EPOCH_BYTES);
  header(out, type, EPOCH_BYTES - LENGTH_BYTES);
  out.writeBigInt64BE(BigInt(value), 5);
  return out;
}

function encodeReport(frame: FrameOf<'report'>): Buffer {
  const out = Buffer.alloc(REPORT_BYTES);
  header(out, REPLICATION_FRAME_TYPE.report, REPORT_BYTES - LENGTH_BYTES);
  out.writeBigInt64BE(BigInt(frame.logEnd), 5);
  out.writeBigInt64BE(BigInt(frame.flushed), 13);
  return out;
}

function encodeDataFrame(frame: FrameOf<'data'>): Buffer[] {
  const out = Buffer.alloc(DATA_HEADER_BYTES);
  header(out, REPLICATION_FRAME_TYPE.data, DATA_HEADER_BYTES - LENGTH_BYTES + frame.bytes.length);
  out.writeBigInt64BE(BigInt(frame.fromOffset), 5);
  out.writeBigInt64BE(BigInt(frame.masterLogEnd), 13);
  return [out, frame.bytes];
}

function encodeProbe(frame: FrameOf<'probe'>): Buffer {
  const out = Buffer.alloc(PROBE_BYTES);
  header(out, REPLICATION_FRAME_TYPE.probe, PROBE_BYTES - LENGTH_BYTES);
  out.writeBigInt64BE(BigInt(frame.offset), 5);
  out.writeInt32BE(frame.size, 13);
  out.writeUInt32BE(frame.checksum >>> 0, 17);
  return out;
}

function encodeProbeResult(frame: FrameOf<'probe-result'>): Buffer {
  const out = Buffer.alloc(PROBE_RESULT_BYTES);
  header(out, REPLICATION_FRAME_TYPE.probeResult, PROBE_RESULT_BYTES - LENGTH_BYTES);
  out.writeUInt8(frame.matches ? 1 : 0, 5);
  out.writeBigInt64BE(BigInt(frame.masterLogEnd), 6);
  return out;
}

function encodeAuth(frame: FrameOf<'auth'>): Buffer {
  const fields = [frame.accessKey, frame.nonce, frame.signature].map((text) =>
    Buffer.from(text, 'utf8').subarray(0, AUTH_FIELD_BYTES_MAX),
  );
  const out = Buffer.alloc(AUTH_FIXED_BYTES + fields.reduce((sum, field) => sum + 1 + field.length, 0));
  header(out, REPLICATION_FRAME_TYPE.auth, out.length - LENGTH_BYTES);
  out.writeBigInt64BE(BigInt(frame.signedAt), 5);
  let at = AUTH_FIXED_BYTES;
  for (const field of fields) {
    out.writeUInt8(field.length, at);
    field.copy(out, at + 1);
    at += 1 + field.length;
  }
  return out;
}

function encodeRefuse(frame: FrameOf<'refuse'>): Buffer {
  const text = Buffer.from(frame.text, 'utf8').subarray(0, REFUSE_TEXT_BYTES_MAX);
  const out = Buffer.alloc(REFUSE_FIXED_BYTES + text.length);
  header(out, REPLICATION_FRAME_TYPE.refuse, out.length - LENGTH_BYTES);
  out.writeUInt8(frame.reason, 5);
  text.copy(out, REFUSE_FIXED_BYTES);
  return out;
}

function encodeSnapshotFrame(frame: FrameOf<'snapshot'>): Buffer[] {
  const name = Buffer.from(frame.name, 'utf8');
  if (name.length < 1 || name.length > SNAPSHOT_NAME_BYTES_MAX || frame.bytes.length > REPLICATION_SNAPSHOT_BYTES_MAX)
    throw new RangeError(
      `a snapshot frame's name is 1..255 bytes and its snapshot at most ${REPLICATION_SNAPSHOT_BYTES_MAX}`,
    );
  const out = Buffer.alloc(SNAPSHOT_FIXED_BYTES + name.length);
  header(out, REPLICATION_FRAME_TYPE.snapshot, out.length - LENGTH_BYTES + frame.bytes.length);
  out.writeBigInt64BE(BigInt(frame.logEnd), 9);
  out.writeInt32BE(frame.queueId, 17);
  out.writeUInt8(name.length, 21);
  name.copy(out, SNAPSHOT_FIXED_BYTES);
  const crc = crc32c.calculate(frame.bytes, crc32c.calculate(out.subarray(SNAPSHOT_CHECKED_FROM)));
  out.writeUInt32BE(crc >>> 0, 5);
  return [out, frame.bytes];
}

function header(out: Buffer, type: number, length: number): void {
  out.writeInt32BE(length, 0);
  out.writeUInt8(type, 4);
}

/**
 * Splits a byte stream into frames. Throws ReplicationFrameError (FRAME_TOO_LARGE,
 * MALFORMED_FRAME) at the first frame that breaks the layout; the connection is then closed.
 */
export class ReplicationFrameDecoder {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  get pendingBytes(): number {
    return this.pendingLength;
  }

  /**
   * Copies the bytes of the frame not yet complete to the start of `target` and keeps them
   * there (a reader moving to a new arena, so the rest of the frame lands right after them);
   * returns how many. Nothing moves when they do not fit.
   */
  moveInto(target: Buffer): number {
    if (this.pendingLength === 0 || this.pendingLength > target.length) return 0;
    let at = 0;
    for (const chunk of this.pending) at += chunk.copy(target, at);
    this.pending = [target.subarray(0, at)];
    return at;
  }

  push(chunk: Buffer, onFrame: (frame: ReplicationFrame) => void): void {
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    while (this.pendingLength >= LENGTH_BYTES) {
      const head = this.peek(LENGTH_BYTES);
      const length = head.readUInt32BE(0);
      if (length > REPLICATION_FRAME_BYTES_MAX) throw new ReplicationFrameError('FRAME_TOO_LARGE', `${length} bytes`);
      if (length < 1) throw new ReplicationFrameError('MALFORMED_FRAME', 'an empty frame');
      if (this.pendingLength < LENGTH_BYTES + length) return;
      const frame = this.take(LENGTH_BYTES + length);
      onFrame(decodeReplicationFrame(frame));
    }
  }

  private peek(bytes: number): Buffer {
    const first = this.pending[0]!;
    if (first.length >= bytes) return first;
    const joined = adjacent(this.pending) ?? Buffer.concat(this.pending);
    this.pending = [joined];
    return joined;
  }

  private take(bytes: number): Buffer {
    const joined = this.peek(bytes);
    const frame = joined.subarray(0, bytes);
    const rest = joined.subarray(bytes);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingLength -= bytes;
    return frame;
  }
}

/**
 * The chunks as one view without copying when each starts where the one before ends in the
 * same memory (a reader that reads into consecutive slices of one arena, replica-follower.ts);
 * undefined otherwise.
 */
function adjacent(chunks: readonly Buffer[]): Buffer | undefined {
  const first = chunks[0]!;
  let end = first.byteOffset + first.length;
  for (let i = 1; i < chunks.length; i++) {
    const chunk = chunks[i]!;
    if (chunk.buffer !== first.buffer || chunk.byteOffset !== end) return undefined;
    end += chunk.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}

/** Decodes one whole frame (length field included). */
export function decodeReplicationFrame(frame: Buffer): ReplicationFrame {
  const type = frame.readUInt8(LENGTH_BYTES);
  switch (type) {
    case REPLICATION_FRAME_TYPE.hello:
      return decodeHello(frame);
    case REPLICATION_FRAME_TYPE.report:
      needExactly(frame, REPORT_BYTES, 'report');
      return { type: 'report', logEnd: nonNegative(offsetAt(frame, 5)), flushed: nonNegative(offsetAt(frame, 13)) };
    case REPLICATION_FRAME_TYPE.data:
      return decodeDataFrame(frame);
    case REPLICATION_FRAME_TYPE.refuse:
      needAtLeast(frame, REFUSE_FIXED_BYTES);
      return { type: 'refuse', reason: frame.readUInt8(5), text: frame.toString('utf8', REFUSE_FIXED_BYTES) };
    case REPLICATION_FRAME_TYPE.probe:
      return decodeProbe(frame);
    case REPLICATION_FRAME_TYPE.probeResult:
      return decodeProbeResult(frame);
    case REPLICATION_FRAME_TYPE.epoch:
      needExactly(frame, EPOCH_BYTES, 'epoch');
      return { type: 'epoch', epoch: nonNegative(offsetAt(frame, 5)) };
    case REPLICATION_FRAME_TYPE.confirmed:
      needExactly(frame, EPOCH_BYTES, 'confirmed');
      return { type: 'confirmed', end: nonNegative(offsetAt(frame, 5)) };
    case REPLICATION_FRAME_TYPE.auth:
      needAtLeast(frame, AUTH_FIXED_BYTES);
      return decodeAuth(frame, nonNegative(offsetAt(frame, 5)));
    case REPLICATION_FRAME_TYPE.snapshot:
      needAtLeast(frame, SNAPSHOT_FIXED_BYTES);
      return decodeSnapshotFrame(frame, nonNegative(offsetAt(frame, 9)));
    default:
      throw new ReplicationFrameError('MALFORMED_FRAME', `unknown frame type ${type}`);
  }
}

/** For a frame kind with a variable part after its fixed fields. */
function needAtLeast(frame: Buffer, bytes: number): void {
  if (frame.length < bytes)
    throw new ReplicationFrameError('MALFORMED_FRAME', `type ${frame.readUInt8(LENGTH_BYTES)} needs ${bytes} bytes`);
}

/** For a frame kind of fixed size. */
function needExactly(frame: Buffer, bytes: number, kind: string): void {
  if (frame.length !== bytes) throw new ReplicationFrameError('MALFORMED_FRAME', `${kind} is ${bytes} bytes`);
}

/** An int64 offset field: -1 (none) up to what a Number holds exactly. */
function offsetAt(frame: Buffer, at: number): number {
  const value = frame.readBigInt64BE(at);
  if (value < -1n || value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new ReplicationFrameError('MALFORMED_FRAME', `offset ${value} out of range`);
  return Number(value);
}

function decodeHello(frame: Buffer): ReplicationFrame {
  needAtLeast(frame, HELLO_FIXED_BYTES);
  const nameLength = frame.readUInt16BE(33);
  const nameEnd = HELLO_FIXED_BYTES + nameLength;
  if (frame.length !== nameEnd + HELLO_TRAILER_BYTES)
    throw new ReplicationFrameError('MALFORMED_FRAME', 'hello name length does not match the frame');
  return {
    type: 'hello',
    logEnd: nonNegative(offsetAt(frame, 5)),
    lastOffset: offsetAt(frame, 13),
    lastSize: frame.readInt32BE(21),
    lastChecksum: frame.readUInt32BE(25),
    segmentBytes: frame.readInt32BE(29),
    brokerName: frame.toString('utf8', HELLO_FIXED_BYTES, nameEnd),
    replicaId: frame.readInt32BE(nameEnd),
    epoch: nonNegative(offsetAt(frame, nameEnd + 4)),
  };
}

function decodeDataFrame(frame: Buffer): ReplicationFrame {
  needAtLeast(frame, DATA_HEADER_BYTES);
  return {
    type: 'data',
    fromOffset: nonNegative(offsetAt(frame, 5)),
    masterLogEnd: nonNegative(offsetAt(frame, 13)),
    bytes: frame.subarray(DATA_HEADER_BYTES),
  };
}

function decodeProbe(frame: Buffer): ReplicationFrame {
  needExactly(frame, PROBE_BYTES, 'probe');
  return {
    type: 'probe',
    offset: nonNegative(offsetAt(frame, 5)),
    size: frame.readInt32BE(13),
    checksum: frame.readUInt32BE(17),
  };
}

function decodeProbeResult(frame: Buffer): ReplicationFrame {
  needExactly(frame, PROBE_RESULT_BYTES, 'probe result');
  const matches = frame.readUInt8(5);
  if (matches > 1) throw new ReplicationFrameError('MALFORMED_FRAME', `probe result matches ${matches}`);
  return { type: 'probe-result', matches: matches === 1, masterLogEnd: nonNegative(offsetAt(frame, 6)) };
}

function nonNegative(value: number): number {
  if (value < 0) throw new ReplicationFrameError('MALFORMED_FRAME', 'a negative offset');
  return value;
}

// Fatal and BOM-keeping, so a decoded field re-encodes to the bytes it came from: a signature is
// checked over exactly what the replica signed.
const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function strictUtf8(bytes: Buffer, what = 'an auth field'): string {
  try {
    return UTF8_STRICT.decode(bytes);
  } catch {
    throw new ReplicationFrameError('MALFORMED_FRAME', `${what} is not UTF-8`);
  }
}

/** The layout first, then the size bound, then the CRC: a damaged snapshot is never installed. */
function decodeSnapshotFrame(frame: Buffer, logEnd: number): ReplicationFrame {
  const queueId = frame.readInt32BE(17);
  if (queueId < 0) throw new ReplicationFrameError('MALFORMED_FRAME', `snapshot queue ${queueId}`);
  const nameEnd = SNAPSHOT_FIXED_BYTES + frame.readUInt8(21);
  if (nameEnd === SNAPSHOT_FIXED_BYTES || nameEnd >= frame.length)
    throw new ReplicationFrameError('MALFORMED_FRAME', 'a snapshot frame needs a name and a snapshot');
  const bytes = frame.subarray(nameEnd);
  if (bytes.length > REPLICATION_SNAPSHOT_BYTES_MAX)
    throw new ReplicationFrameError('SNAPSHOT_TOO_LARGE', `${bytes.length} bytes`);
  if (crc32c.calculate(frame.subarray(SNAPSHOT_CHECKED_FROM)) >>> 0 !== frame.readUInt32BE(5))
    throw new ReplicationFrameError('SNAPSHOT_DAMAGED', 'its CRC-32C does not match');
  const name = strictUtf8(frame.subarray(SNAPSHOT_FIXED_BYTES, nameEnd), 'a snapshot name');
  return { type: 'snapshot', logEnd, queueId, name, bytes };
}

function decodeAuth(frame: Buffer, signedAt: number): ReplicationFrame {
  let at = AUTH_FIXED_BYTES;
  const text = (): string => {
    if (at >= frame.length) throw new ReplicationFrameError('MALFORMED_FRAME', 'auth ends before its fields');
    const length = frame.readUInt8(at);
    if (at + 1 + length > frame.length)
      throw new ReplicationFrameError('MALFORMED_FRAME', 'an auth field runs past the frame');
    const value = strictUtf8(frame.subarray(at + 1, at + 1 + length));
    at += 1 + length;
    return value;
  };
  const [accessKey, nonce, signature] = [text(), text(), text()];
  if (at !== frame.length) throw new ReplicationFrameError('MALFORMED_FRAME', 'bytes follow the auth fields');
  return { type: 'auth', signedAt, accessKey: accessKey!, nonce: nonce!, signature: signature! };
}
