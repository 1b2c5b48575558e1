// A master's epoch record: the first record a newly elected master writes (on the epoch topic,
// queue 0), so the log itself says from which offset which master wrote it. Big-endian.
//
// | at | bytes | field                                                                |
// |----|-------|----------------------------------------------------------------------|
// | 0  | 1     | version (1)                                                          |
// | 1  | 8     | epoch: the etcd revision that created the master's election key (int64)|
// | 9  | 8     | startOffset: the commit log end when this master began (int64)       |
// | 17 | 4     | brokerId: the master's own broker id (int32)                         |
export interface EpochRecord {
  readonly epoch: number;
  readonly startOffset: number;
  readonly brokerId: number;
}

const EPOCH_RECORD_VERSION = 1;
export const EPOCH_RECORD_BYTES = 21;

export class EpochRecordError extends Error {
  override readonly name = 'EpochRecordError';
  readonly code = 'MALFORMED_EPOCH_RECORD';
}

export function encodeEpochRecord(record: EpochRecord): Buffer {
  const out = Buffer.alloc(EPOCH_RECORD_BYTES);
  out.writeUInt8(EPOCH_RECORD_VERSION, 0);
  out.writeBigInt64BE(BigInt(record.epoch), 1);
  out.writeBigInt64BE(BigInt(record.startOffset), 9);
  out.writeInt32BE(record.brokerId, 17);
  return out;
}

/** @throws EpochRecordError for another length, version or a negative field. */
export function decodeEpochRecord(bytes: Buffer): EpochRecord {
  if (bytes.length !== EPOCH_RECORD_BYTES)
    throw new EpochRecordError(`${bytes.length} bytes, not ${EPOCH_RECORD_BYTES}`);
  if (bytes.readUInt8(0) !== EPOCH_RECORD_VERSION) throw new EpochRecordError(`version ${bytes.readUInt8(0)}`);
  const epoch = bytes.readBigInt64BE(1);
  const startOffset = bytes.readBigInt64BE(9);
  const brokerId = bytes.readInt32BE(17);
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  if (epoch < 0n || epoch > max || startOffset < 0n || startOffset > max || brokerId < 0)
    throw new EpochRecordError('a field out of range');
  return { epoch: Number(epoch), startOffset: Number(startOffset), brokerId };
}
