// Broker-side message ids (RocketMQ's offsetMsgId): the store host and the record's commit log
// offset, 16 bytes as 32 uppercase hex characters. Decoding one locates the record directly.
//
// | bytes | field                      |
// |-------|----------------------------|
// |   0-3 | store host IPv4            |
// |   4-7 | store host port (int32)    |
// |  8-15 | commit log offset (int64)  |
//
// Every append returns one, so encoding avoids Buffers: the host half is cached per host and
// the offset half comes from a table of two-digit strings.
import type { HostAddress } from './host-address.js';

const ID_PATTERN = /^[0-9A-Fa-f]{32}$/;
const TWO_POW_32 = 4294967296;
const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, '0'));
const hostHex = new WeakMap<HostAddress, string>();

function hex32(value: number): string {
  return (
    HEX_BYTE[(value >>> 24) & 255]! +
    HEX_BYTE[(value >>> 16) & 255]! +
    HEX_BYTE[(value >>> 8) & 255]! +
    HEX_BYTE[value & 255]!
  );
}

const ID_CHARS = 32;
/** Characters of the host half (IPv4 and port) and of one 32-bit half of the offset. */
const HOST_CHARS = 16;
const HEX32_CHARS = 8;
const COMMA_CODE = 0x2c;
const UPPER_HEX_CODES = Array.from('0123456789ABCDEF', (digit) => digit.charCodeAt(0));
/** Grows to the longest list encoded; one broker answers one batch at a time. */
let listScratch = Buffer.allocUnsafe(0);
const hostHexBytes = new WeakMap<HostAddress, Buffer>();

/** The host half of every id on `storeHost`, as ASCII. */
function hostBytes(storeHost: HostAddress): Buffer {
  let bytes = hostHexBytes.get(storeHost);
  if (bytes === undefined) {
    bytes = Buffer.from(hex32(storeHost.ip) + hex32(storeHost.port), 'latin1');
    hostHexBytes.set(storeHost, bytes);
  }
  return bytes;
}

/** `value`'s eight upper-case hex digits as ASCII at `at`. */
function writeHex32(out: Buffer, at: number, value: number): void {
  for (let k = HEX32_CHARS - 1; k >= 0; k--) {
    out[at + k] = UPPER_HEX_CODES[value & 15]!;
    value >>>= 4;
  }
}

/**
 * Offset message ids: 32 hex characters of store host (IPv4 and port) and commit log offset,
 * RocketMQ's format.
 */
export const OffsetMessageId = {
  /** The id of the message at `commitLogOffset` on `storeHost`. */
  encode(storeHost: HostAddress, commitLogOffset: number): string {
    let host = hostHex.get(storeHost);
    if (host === undefined) {
      host = hex32(storeHost.ip) + hex32(storeHost.port);
      hostHex.set(storeHost, host);
    }
    const high = Math.floor(commitLogOffset / TWO_POW_32);
    return host + hex32(high) + hex32(commitLogOffset - high * TWO_POW_32);
  },

  /**
   * The ids of `stored` (commit log offsets on `storeHost`) joined by commas, as a batch's
   * answer carries them. Written as ASCII into one scratch buffer and read out as one flat
   * string: built from per-id strings and joined, the list cost twice as much (a concatenated
   * string per id, flattened again by the join).
   */
  encodeList(storeHost: HostAddress, stored: readonly { readonly commitLogOffset: number }[]): string {
    const host = hostBytes(storeHost);
    const length = stored.length * (ID_CHARS + 1) - 1;
    if (listScratch.length < length) listScratch = Buffer.allocUnsafe(Math.max(length, listScratch.length * 2));
    const out = listScratch;
    let at = 0;
    for (let i = 0; i < stored.length; i++) {
      if (i > 0) out[at++] = COMMA_CODE;
      for (let k = 0; k < HOST_CHARS; k++) out[at + k] = host[k]!;
      const offset = stored[i]!.commitLogOffset;
      const high = Math.floor(offset / TWO_POW_32);
      writeHex32(out, at + HOST_CHARS, high);
      writeHex32(out, at + HOST_CHARS + HEX32_CHARS, offset - high * TWO_POW_32);
      at += ID_CHARS;
    }
    return out.toString('latin1', 0, at);
  },

  /** Undefined when `id` is not 32 hex characters or holds a negative offset. */
  decode(id: string): { storeHost: HostAddress; commitLogOffset: number } | undefined {
    if (!ID_PATTERN.test(id)) return undefined;
    const bytes = Buffer.from(id, 'hex');
    const offset = bytes.readBigInt64BE(8);
    if (offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    return {
      storeHost: { ip: bytes.readUInt32BE(0), port: bytes.readInt32BE(4) },
      commitLogOffset: Number(offset),
    };
  },
};
