// The commit log record: RocketMQ's v1 message layout with IPv4 hosts, big-endian. Stored
// bytes are exactly what RocketMQ 4.x clients decode from a pull response, so the broker can
// send them straight from the mapping. One difference: the BODYCRC slot holds a CRC-32C over
// bytes [12, TOTALSIZE) (every field after the slot, not only the body), so recovery also
// catches a torn or flipped header. RocketMQ clients never verify this field.
//
// | offset  | bytes | field                     | meaning                                      |
// |---------|-------|---------------------------|----------------------------------------------|
// |       0 |     4 | TOTALSIZE                 | whole record length, this field included     |
// |       4 |     4 | MAGICCODE                 | 0xDAA320A7 (v1)                              |
// |       8 |     4 | BODYCRC                   | CRC-32C of bytes [12, TOTALSIZE)             |
// |      12 |     4 | QUEUEID                   |                                              |
// |      16 |     4 | FLAG                      | user flag                                    |
// |      20 |     8 | QUEUEOFFSET               | index of the record in its consume queue     |
// |      28 |     8 | PHYSICALOFFSET            | commit log offset of this record             |
// |      36 |     4 | SYSFLAG                   | compression, tx type, host kinds             |
// |      40 |     8 | BORNTIMESTAMP             | producer clock, ms                           |
// |      48 |     8 | BORNHOST                  | IPv4 (4) + port int32 (4)                    |
// |      56 |     8 | STORETIMESTAMP            | store clock, ms                              |
// |      64 |     8 | STOREHOST                 | IPv4 (4) + port int32 (4)                    |
// |      72 |     4 | RECONSUMETIMES            |                                              |
// |      76 |     8 | PREPARED TX OFFSET        | commit/rollback: offset of the half message  |
// |      84 |  4+b  | BODYLENGTH, BODY          |                                              |
// |  88+b   |  1+t  | TOPICLENGTH (u8), TOPIC   |                                              |
// | 89+b+t  |  2+p  | PROPERTIESLENGTH (i16), P | `key 0x01 value 0x02` pairs, UTF-8           |
//
// Fixed overhead: 91 bytes + body + topic + properties.
//
// A segment ends either exactly at a record's end or with an 8-byte BLANK marker
// (TOTALSIZE = bytes left in the segment, MAGICCODE = 0xCBD43194) that fills the rest.

export const RECORD_LAYOUT = {
  totalSize: 0,
  magic: 4,
  checksum: 8,
  queueId: 12,
  flag: 16,
  queueOffset: 20,
  physicalOffset: 28,
  sysFlag: 36,
  bornTimestamp: 40,
  bornHost: 48,
  storeTimestamp: 56,
  storeHost: 64,
  reconsumeTimes: 72,
  preparedTransactionOffset: 76,
  bodyLength: 84,
  body: 88,
} as const;

/** TOPICLENGTH is one unsigned byte: the longest topic the layout can hold (the name rules allow 127). */
export const RECORD_TOPIC_BYTES_MAX = 255;
/** Every fixed field plus the length prefixes of body (4), topic (1) and properties (2). */
export const RECORD_FIXED_BYTES = 91;
/** The checksum covers [RECORD_CHECKSUM_FROM, TOTALSIZE). */
export const RECORD_CHECKSUM_FROM = 12;
export const MAGIC_MESSAGE_V1 = 0xdaa320a7;
export const MAGIC_BLANK = 0xcbd43194;
export const BLANK_MARKER_BYTES = 8;
