// A message as read back from the commit log. Fields decode lazily from the mapped record,
// so reading a batch costs a few allocations per message; `body` and `raw` are views into
// the mapping, valid until retention deletes the segment (copy them to keep them longer).
// Reading a field after the segment was unmapped throws a RangeError; it never crashes.
import { formatHostAddress } from './host-address.js';
import { Int64 } from './int64.js';
import {
  decodeMessageProperties,
  KEY_SEPARATOR,
  PROPERTY,
  findProperty,
} from '../protocol/message-properties-codec.js';
import { RECORD_LAYOUT } from './message-record.js';
import { OffsetMessageId } from '../protocol/offset-message-id.js';

/** A message read from the store: its fields decoded lazily from the record's bytes. */
export class StoredMessage {
  private propertiesCache: Record<string, string> | undefined;

  constructor(
    private readonly source: Buffer,
    private readonly view: DataView,
    private readonly at: number,
    /** Offset of the record in the commit log. */
    readonly commitLogOffset: number,
  ) {}

  get totalSize(): number {
    return this.view.getInt32(this.at);
  }
  get magic(): number {
    return this.view.getUint32(this.at + RECORD_LAYOUT.magic);
  }
  get bodyCrc(): number {
    return this.view.getUint32(this.at + RECORD_LAYOUT.checksum);
  }
  get queueId(): number {
    return this.view.getInt32(this.at + RECORD_LAYOUT.queueId);
  }
  get flag(): number {
    return this.view.getInt32(this.at + RECORD_LAYOUT.flag);
  }
  get queueOffset(): number {
    return Int64.read(this.view, this.at + RECORD_LAYOUT.queueOffset);
  }
  get sysFlag(): number {
    return this.view.getInt32(this.at + RECORD_LAYOUT.sysFlag);
  }
  get bornTimestamp(): number {
    return Int64.read(this.view, this.at + RECORD_LAYOUT.bornTimestamp);
  }
  get bornHost(): string {
    return this.host(RECORD_LAYOUT.bornHost);
  }
  get storeTimestamp(): number {
    return Int64.read(this.view, this.at + RECORD_LAYOUT.storeTimestamp);
  }
  get storeHost(): string {
    return this.host(RECORD_LAYOUT.storeHost);
  }
  get reconsumeTimes(): number {
    return this.view.getInt32(this.at + RECORD_LAYOUT.reconsumeTimes);
  }
  get preparedTransactionOffset(): number {
    return Int64.read(this.view, this.at + RECORD_LAYOUT.preparedTransactionOffset);
  }

  get body(): Buffer {
    const start = this.at + RECORD_LAYOUT.body;
    return this.source.subarray(start, start + this.bodyLength);
  }

  get topic(): string {
    const lengthAt = this.topicLengthAt;
    return this.source.toString('latin1', lengthAt + 1, lengthAt + 1 + this.view.getUint8(lengthAt));
  }

  /** The encoded properties string (`name 0x01 value 0x02` pairs). */
  get propertiesString(): string {
    const lengthAt = this.topicLengthAt + 1 + this.view.getUint8(this.topicLengthAt);
    return this.source.toString('utf8', lengthAt + 2, lengthAt + 2 + this.view.getInt16(lengthAt));
  }

  get properties(): Readonly<Record<string, string>> {
    this.propertiesCache ??= decodeMessageProperties(this.propertiesString);
    return this.propertiesCache;
  }

  get tags(): string | undefined {
    return this.properties[PROPERTY.tags];
  }

  get keys(): string[] {
    const keys = this.properties[PROPERTY.keys];
    return keys === undefined || keys === '' ? [] : keys.split(KEY_SEPARATOR);
  }

  /** The client-unique id (UNIQ_KEY) when present, else the offset id. */
  get msgId(): string {
    return findProperty(this.propertiesString, PROPERTY.uniqueKey) ?? this.offsetMsgId;
  }

  /** RocketMQ's broker id: store host plus commit log offset. */
  get offsetMsgId(): string {
    const at = this.at + RECORD_LAYOUT.storeHost;
    const storeHost = { ip: this.view.getUint32(at), port: this.view.getInt32(at + 4) };
    return OffsetMessageId.encode(storeHost, this.commitLogOffset);
  }

  /** The whole stored record, as sent in a pull response. */
  get raw(): Buffer {
    return this.source.subarray(this.at, this.at + this.totalSize);
  }

  /**
   * True when this record starts where `previous` ends, in the same mapped segment: the
   * records of one queue appended in one batch lie back to back, and a pull answer sends such
   * a run as one slice (rawRun) instead of a Buffer per record.
   */
  follows(previous: StoredMessage): boolean {
    return this.source === previous.source && previous.at + previous.totalSize === this.at;
  }

  /** True when `other` lies in the same mapped segment (one hold keeps both mapped). */
  sharesSegment(other: StoredMessage): boolean {
    return this.source === other.source;
  }

  /** `bytes` from this record's start: itself and the records of a run that follow it. */
  rawRun(bytes: number): Buffer {
    return this.source.subarray(this.at, this.at + bytes);
  }

  /** Every field as a plain object (the body as a Buffer), for logging and JSON. */
  toJSON(): Record<string, unknown> {
    return {
      msgId: this.msgId,
      topic: this.topic,
      queueId: this.queueId,
      queueOffset: this.queueOffset,
      commitLogOffset: this.commitLogOffset,
      totalSize: this.totalSize,
      flag: this.flag,
      sysFlag: this.sysFlag,
      bornTimestamp: this.bornTimestamp,
      bornHost: this.bornHost,
      storeTimestamp: this.storeTimestamp,
      storeHost: this.storeHost,
      reconsumeTimes: this.reconsumeTimes,
      preparedTransactionOffset: this.preparedTransactionOffset,
      properties: this.properties,
      body: this.body.toString('base64'),
    };
  }

  private get bodyLength(): number {
    return this.view.getInt32(this.at + RECORD_LAYOUT.bodyLength);
  }

  private get topicLengthAt(): number {
    return this.at + RECORD_LAYOUT.body + this.bodyLength;
  }

  private host(field: number): string {
    const at = this.at + field;
    return formatHostAddress({ ip: this.view.getUint32(at), port: this.view.getInt32(at + 4) });
  }
}
