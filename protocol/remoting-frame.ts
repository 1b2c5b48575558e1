// RocketMQ's remoting frame, big-endian:
//
// | offset | bytes | field         | meaning                                          |
// |--------|-------|---------------|--------------------------------------------------|
// |      0 |     4 | LENGTH        | bytes after this field: 4 + header + body       |
// |      4 |     1 | SERIALIZETYPE | header encoding: 0 JSON, 1 ROCKETMQ, 2 msgpack   |
// |      5 |     3 | HEADERLENGTH  | header bytes                                     |
// |      8 |     h | HEADER        |                                                  |
// |    8+h |     b | BODY          | b = LENGTH - 4 - h                               |
//
// LENGTH is at most 16 MiB (RocketMQ's frameMaxLength). A frame that breaks a rule is a
// protocol error: the connection cannot be resynchronised and must be closed.
import { RemotingError } from './remoting-error.js';

export const FRAME_BYTES_MAX = 16 * 1024 * 1024;
const LENGTH_FIELD_BYTES = 4;
const HEADER_SPEC_BYTES = 4;
const PREFIX_BYTES = LENGTH_FIELD_BYTES + HEADER_SPEC_BYTES;
const HEADER_LENGTH_MASK = 0xffffff;
const SERIALIZE_TYPE_SHIFT = 24;
/** Pending chunks are merged when there are at least this many and they average under... */
const CHUNK_COUNT_COMPACT_MIN = 64;
/** ...this many bytes (see FrameDecoder.compactIfFragmented). */
const CHUNK_BYTES_AVERAGE_MIN = 128;

export interface RawFrame {
  readonly serializeType: number;
  readonly header: Buffer;
  readonly body: Buffer;
}

/**
 * Encodes a frame as buffers to write back to back: the 8-byte prefix with the header, then
 * the body parts unchanged (so record bytes go from the mapping to the socket uncopied).
 */
export function encodeFrame(
  serializeType: number,
  header: Buffer,
  body: Buffer | readonly Buffer[] | undefined,
): Buffer[] {
  const parts = body === undefined ? [] : Buffer.isBuffer(body) ? [body] : [...body];
  let bodyBytes = 0;
  for (const part of parts) bodyBytes += part.length;
  const length = HEADER_SPEC_BYTES + header.length + bodyBytes;
  if (length > FRAME_BYTES_MAX) throw new RemotingError('FRAME_TOO_LARGE', `${length} bytes`);
  if (header.length > HEADER_LENGTH_MASK) throw new RemotingError('MALFORMED_FRAME', 'header over 16 MiB');
  const head = Buffer.allocUnsafe(PREFIX_BYTES + header.length);
  head.writeUInt32BE(length, 0);
  head.writeUInt32BE(((serializeType << SERIALIZE_TYPE_SHIFT) | header.length) >>> 0, LENGTH_FIELD_BYTES);
  header.copy(head, PREFIX_BYTES);
  parts.unshift(head);
  return parts;
}

/** Splits a byte stream into frames; throws RemotingError on a malformed or oversized one. */
export class FrameDecoder {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number = FRAME_BYTES_MAX) {}

  /** Bytes received but not yet part of a complete frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer, onFrame: (frame: RawFrame) => void): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= LENGTH_FIELD_BYTES) {
      const length = this.peekLength();
      if (length > this.maxFrameBytes)
        throw new RemotingError('FRAME_TOO_LARGE', `${length} bytes, over ${this.maxFrameBytes}`);
      if (length < HEADER_SPEC_BYTES) throw new RemotingError('MALFORMED_FRAME', `length ${length}`);
      if (this.buffered < LENGTH_FIELD_BYTES + length) {
        this.compactIfFragmented();
        return;
      }
      onFrame(parseFrame(this.take(LENGTH_FIELD_BYTES + length), length));
    }
  }

  /**
   * Merges the pending chunks into one when they are many and small. A peer that trickles a
   * frame a byte at a time would otherwise cost a Buffer (about 100 bytes) per byte it sends:
   * a 16 MiB frame, 1.6 GiB. A merge copies the B bytes pending, and the next comes only after
   * about B / CHUNK_BYTES_AVERAGE_MIN more chunks, so each byte is copied at most about
   * CHUNK_BYTES_AVERAGE_MIN times in all: memory stays near the bytes received, time linear.
   */
  private compactIfFragmented(): void {
    const count = this.chunks.length;
    if (count < CHUNK_COUNT_COMPACT_MIN || count * CHUNK_BYTES_AVERAGE_MIN <= this.buffered) return;
    const merged = Buffer.concat(this.chunks, this.buffered);
    this.chunks.length = 0;
    this.chunks.push(merged);
  }

  /**
   * LENGTH as unsigned, so a negative int32 reads as huge and is rejected as too large. Chunks
   * are never empty, so the first four hold the field: concatenating them all would make a peer
   * that sends a frame a byte at a time cost time quadratic in the frame's length.
   */
  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= LENGTH_FIELD_BYTES) return first.readUInt32BE(0);
    return Buffer.concat(this.chunks.slice(0, LENGTH_FIELD_BYTES), LENGTH_FIELD_BYTES).readUInt32BE(0);
  }

  /**
   * Removes the first `bytes` bytes. The used-up chunks go in one splice: shifting them one by
   * one costs time quadratic in their number (a frame that arrived a byte at a time).
   */
  private take(bytes: number): Buffer {
    this.buffered -= bytes;
    const first = this.chunks[0]!;
    if (first.length > bytes) {
      this.chunks[0] = first.subarray(bytes);
      return first.subarray(0, bytes);
    }
    if (first.length === bytes) return this.chunks.shift()!;
    const taken = Buffer.allocUnsafe(bytes);
    let filled = 0;
    let used = 0;
    while (filled < bytes) {
      const chunk = this.chunks[used]!;
      const wanted = Math.min(chunk.length, bytes - filled);
      chunk.copy(taken, filled, 0, wanted);
      filled += wanted;
      if (wanted === chunk.length) used++;
      else this.chunks[used] = chunk.subarray(wanted);
    }
    this.chunks.splice(0, used);
    return taken;
  }
}

function parseFrame(frame: Buffer, length: number): RawFrame {
  const spec = frame.readUInt32BE(LENGTH_FIELD_BYTES);
  const headerLength = spec & HEADER_LENGTH_MASK;
  if (headerLength > length - HEADER_SPEC_BYTES) {
    throw new RemotingError('MALFORMED_FRAME', `header length ${headerLength} exceeds frame length ${length}`);
  }
  const headerEnd = PREFIX_BYTES + headerLength;
  return {
    serializeType: spec >>> SERIALIZE_TYPE_SHIFT,
    header: frame.subarray(PREFIX_BYTES, headerEnd),
    body: frame.subarray(headerEnd),
  };
}
