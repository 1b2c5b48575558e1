// Broker-side message ids (RocketMQ's offsetMsgId): the store host and the record's commit log
// offset, 16 bytes as 32 uppercase hex characters. Decoding one locates the record directly.
//
// | bytes | field                      |
// |-------|----------------------------|
// |   0-3 | store host IPv4            |
// |   4-7 | store host port (int32)    |
// |  8-15 | commit log offset (int64)  |
import type { HostAddress } from './host-address.js';

const ID_BYTES = 16;
const ID_PATTERN = /^[0-9A-Fa-f]{32}$/;

export const OffsetMessageId = {
  encode(storeHost: HostAddress, commitLogOffset: number): string {
    const bytes = Buffer.allocUnsafe(ID_BYTES);
    bytes.writeUInt32BE(storeHost.ip, 0);
    bytes.writeInt32BE(storeHost.port, 4);
    bytes.writeBigInt64BE(BigInt(commitLogOffset), 8);
    return bytes.toString('hex').toUpperCase();
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
