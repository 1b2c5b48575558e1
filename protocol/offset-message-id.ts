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
