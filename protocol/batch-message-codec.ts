// The body of SEND_BATCH_MESSAGE: the batch's messages back to back, each laid out as
//
// | bytes | field      | notes                                          |
// |-------|------------|------------------------------------------------|
// |     4 | TOTALSIZE  | this entry's length, this field included       |
// |     4 | MAGICCODE  | 0 (unused)                                     |
// |     4 | BODYCRC    | 0 (unused)                                     |
// |     4 | FLAG       | user flag                                      |
// |     4 | BODYLENGTH |                                                |
// |     b | BODY       |                                                |
// |     2 | PROPLENGTH |                                                |
// |     p | PROPERTIES | `name 0x01 value 0x02` pairs, UTF-8            |
//
// Topic and queue come from the request header: a batch goes to one queue.

const FIXED_BYTES = 22;
const BODY_AT = 20;

export class BatchDecodeError extends Error {
  override readonly name = 'BatchDecodeError';
}

export interface BatchEntry {
  readonly flag: number;
  readonly body: Buffer;
  /** The encoded properties string. */
  readonly properties: string;
  /** Its UTF-8 byte length, when the caller already knows it (encodeBatch measures it otherwise). */
  readonly propertiesBytes?: number;
}

export function encodeBatch(entries: readonly BatchEntry[]): Buffer {
  let total = 0;
  const propertyBytes: number[] = [];
  for (const entry of entries) {
    const bytes = entry.propertiesBytes ?? Buffer.byteLength(entry.properties, 'utf8');
    propertyBytes.push(bytes);
    total += FIXED_BYTES + entry.body.length + bytes;
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const size = FIXED_BYTES + entry.body.length + propertyBytes[i]!;
    out.writeInt32BE(size, at);
    out.writeInt32BE(0, at + 4);
    out.writeInt32BE(0, at + 8);
    out.writeInt32BE(entry.flag, at + 12);
    out.writeInt32BE(entry.body.length, at + 16);
    out.set(entry.body, at + BODY_AT);
    const propertiesAt = at + BODY_AT + entry.body.length;
    out.writeInt16BE(propertyBytes[i]!, propertiesAt);
    writeText(out, propertiesAt + 2, entry.properties, propertyBytes[i]!);
    at += size;
  }
  return out;
}

/**
 * Writes `text` as UTF-8. As many bytes as characters means every character is ASCII, whose
 * UTF-8 is its latin1: that writer skips UTF-8's encoding work (a third of the time of a
 * short properties string).
 */
function writeText(out: Buffer, at: number, text: string, bytes: number): void {
  out.write(text, at, bytes, bytes === text.length ? 'latin1' : 'utf8');
}

export function decodeBatch(bytes: Buffer): BatchEntry[] {
  const entries: BatchEntry[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < FIXED_BYTES) throw new BatchDecodeError(`truncated entry at ${at}`);
    const size = bytes.readInt32BE(at);
    const bodyLength = bytes.readInt32BE(at + 16);
    if (size < FIXED_BYTES || size > bytes.length - at || bodyLength < 0 || bodyLength > size - FIXED_BYTES) {
      throw new BatchDecodeError(`bad lengths at ${at}`);
    }
    const propertiesAt = at + BODY_AT + bodyLength;
    const propertiesLength = bytes.readInt16BE(propertiesAt);
    if (propertiesLength < 0 || propertiesAt + 2 + propertiesLength !== at + size) {
      throw new BatchDecodeError(`inner lengths do not add up at ${at}`);
    }
    entries.push({
      flag: bytes.readInt32BE(at + 12),
      body: bytes.subarray(at + BODY_AT, propertiesAt),
      properties: bytes.toString('utf8', propertiesAt + 2, propertiesAt + 2 + propertiesLength),
    });
    at += size;
  }
  return entries;
}
