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
//
// A server passes the decoder a budget shared by all its connections for the bytes held in
// unfinished frames, and a header check. Bytes of a frame that is still arriving are taken
// from the budget after each chunk (a frame complete within its chunk never touches it), and
// given back when it completes or the decoder is disposed; a chunk that would overdraw it is a
// FRAME_BUDGET_EXCEEDED error. The header check runs once a frame's header has arrived and its
// body has not, so a refused request is stopped before its body is buffered.
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

/** Bytes shared by the decoders of a server's connections (see the top). */
export interface FrameByteBudget {
  /** Takes `bytes`; false (and nothing taken) when they would overdraw the budget. */
  take(bytes: number): boolean;
  give(bytes: number): void;
}

export interface FrameDecoderHooks {
  readonly budget?: FrameByteBudget;
  /** Called with the header of a frame whose body is still arriving; throws to refuse it. */
  readonly checkHeader?: (serializeType: number, header: Buffer) => void;
}

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
  /** Bytes taken from the budget: those of the frame still arriving, after the last push. */
  private held = 0;
  /** The pending frame's header passed checkHeader. */
  private headerChecked = false;

  constructor(
    private readonly maxFrameBytes: number = FRAME_BYTES_MAX,
    private readonly hooks: FrameDecoderHooks = {},
  ) {}

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
        this.checkPendingHeader(length);
        this.compactIfFragmented();
        break;
      }
      this.headerChecked = false;
      onFrame(parseFrame(this.take(LENGTH_FIELD_BYTES + length), length));
    }
    this.holdPending();
  }

  /** Gives back every byte held and drops the pending chunks (the connection closed). */
  dispose(): void {
    this.hooks.budget?.give(this.held);
    this.held = 0;
    this.chunks.length = 0;
    this.buffered = 0;
  }

  /** Makes the budget hold exactly the pending bytes; throws when it cannot. */
  private holdPending(): void {
    const { budget } = this.hooks;
    if (budget === undefined || this.buffered === this.held) return;
    if (this.buffered < this.held) {
      budget.give(this.held - this.buffered);
    } else if (!budget.take(this.buffered - this.held)) {
      throw new RemotingError('FRAME_BUDGET_EXCEEDED', `${this.buffered} bytes of an unfinished frame`);
    }
    this.held = this.buffered;
  }

  /**
   * Checks the header of the frame still arriving, once: its length against the frame's as
   * soon as the prefix is here, then checkHeader once the whole header is.
   */
  private checkPendingHeader(length: number): void {
    if (this.headerChecked || this.buffered < PREFIX_BYTES) return;
    const spec = this.peek(PREFIX_BYTES).readUInt32BE(LENGTH_FIELD_BYTES);
    const headerLength = spec & HEADER_LENGTH_MASK;
    if (headerLength > length - HEADER_SPEC_BYTES) {
      throw new RemotingError('MALFORMED_FRAME', `header length ${headerLength} exceeds frame length ${length}`);
    }
    if (this.hooks.checkHeader !== undefined) {
      if (this.buffered < PREFIX_BYTES + headerLength) return;
      const headerEnd = PREFIX_BYTES + headerLength;
      const header = this.peek(headerEnd).subarray(PREFIX_BYTES, headerEnd);
      this.hooks.checkHeader(spec >>> SERIALIZE_TYPE_SHIFT, header);
    }
    this.headerChecked = true;
  }

  /** The first `bytes` pending bytes, without consuming them (merging chunks if needed). */
  private peek(bytes: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= bytes) return first;
    const merged = Buffer.concat(this.chunks, this.buffered);
    this.chunks.length = 0;
    this.chunks.push(merged);
    return merged;
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
