// A batch's records as rows of numbers, for the native record writer: one native call encodes
// them all (header, body and topic copies, CRC-32C, consume queue entry) where JavaScript spent
// ~20 DataView stores, two copies and a queue entry per record. Bytes are named as (source,
// byte offset) pairs into the ArrayBuffers behind the segment, the queue files, the bodies and
// the topics; bodies of one batch mostly share a few (a pool slab, a request frame), so the
// source list stays short. Properties strings are written here, straight into the record.
import { nativeBinding } from './native-binding.js';
import { RECORD_LAYOUT, writeProperties, type RecordFields } from './message-record.js';
import { invariant } from './invariant.js';
import { NATIVE_RECORD_WRITER_ROWS_PER_CALL } from './storage-constants.js';

/** A row's fields, in the order storage/native/record-writer.cc reads them. */
export const ROW = {
  at: 0,
  segment: 1,
  queueId: 2,
  flag: 3,
  queueOffset: 4,
  physicalOffset: 5,
  sysFlag: 6,
  bornTimestamp: 7,
  bornIp: 8,
  bornPort: 9,
  storeTimestamp: 10,
  storeIp: 11,
  storePort: 12,
  reconsumeTimes: 13,
  preparedTransactionOffset: 14,
  bodyLength: 15,
  topicSource: 16,
  topicAt: 17,
  topicLength: 18,
  propertiesBytes: 19,
  queueSource: 20,
  queueAt: 21,
  tagsCode: 22,
} as const;
const ROW_FIELDS = 23;
/** A row's queue source when its record has no consume queue entry. */
const NO_SOURCE = -1;
/** How many of the newest sources a lookup compares before adding the buffer again. */
const SOURCE_LOOKBACK = 16;

export class RecordRows {
  private readonly rows = new Float64Array(NATIVE_RECORD_WRITER_ROWS_PER_CALL * ROW_FIELDS);
  private readonly sources: ArrayBuffer[] = [];
  private count = 0;
  /**
   * Views met recently (segments, queue files, topics: the same few objects batch after batch)
   * with their source and byte offset: a typed array's `buffer` and `byteOffset` getters cost
   * ~13 ns each, more than the rest of a row.
   */
  private readonly views: Uint8Array[] = [];
  private readonly viewSources: number[] = [];
  private readonly viewOffsets: number[] = [];
  /** The view viewAt() found last (its source, its byte offset). */
  private viewSource = 0;
  private viewOffset = 0;
  /** The segment and topic of the previous row: one comparison for the common case. */
  private segment: Uint8Array | undefined;
  private segmentSource = 0;
  private segmentOffset = 0;
  private topic: Uint8Array | undefined;
  private topicSource = 0;
  private topicOffset = 0;

  get pending(): number {
    return this.count;
  }

  /** Notes the record of `fields` at `position` of `segment`; its bytes are written by write(). */
  add(segment: Buffer, position: number, fields: RecordFields): void {
    if (this.count === NATIVE_RECORD_WRITER_ROWS_PER_CALL) this.write();
    const rows = this.rows;
    const row = this.count * ROW_FIELDS;
    const { body, topic, bornHost, storeHost } = fields;
    if (segment !== this.segment) {
      this.viewAt(segment);
      this.segment = segment;
      this.segmentSource = this.viewSource;
      this.segmentOffset = this.viewOffset;
    }
    rows[row + ROW.at] = this.segmentOffset + position;
    rows[row + ROW.segment] = this.segmentSource;
    rows[row + ROW.queueId] = fields.queueId;
    rows[row + ROW.flag] = fields.flag;
    rows[row + ROW.queueOffset] = fields.queueOffset;
    rows[row + ROW.physicalOffset] = fields.physicalOffset;
    rows[row + ROW.sysFlag] = fields.sysFlag;
    rows[row + ROW.bornTimestamp] = fields.bornTimestamp;
    rows[row + ROW.bornIp] = bornHost.ip;
    rows[row + ROW.bornPort] = bornHost.port;
    rows[row + ROW.storeTimestamp] = fields.storeTimestamp;
    rows[row + ROW.storeIp] = storeHost.ip;
    rows[row + ROW.storePort] = storeHost.port;
    rows[row + ROW.reconsumeTimes] = fields.reconsumeTimes;
    rows[row + ROW.preparedTransactionOffset] = fields.preparedTransactionOffset;
    const bodyAt = position + RECORD_LAYOUT.body;
    segment.set(body, bodyAt);
    rows[row + ROW.bodyLength] = body.length;
    if (topic !== this.topic) {
      this.viewAt(topic);
      this.topic = topic;
      this.topicSource = this.viewSource;
      this.topicOffset = this.viewOffset;
    }
    rows[row + ROW.topicSource] = this.topicSource;
    rows[row + ROW.topicAt] = this.topicOffset;
    rows[row + ROW.topicLength] = topic.length;
    rows[row + ROW.propertiesBytes] = fields.propertiesBytes;
    rows[row + ROW.queueSource] = NO_SOURCE;
    if (fields.propertiesBytes > 0) {
      const propertiesAt = bodyAt + body.length + 1 + topic.length + 2;
      writeProperties(segment, propertiesAt, fields.properties, fields.propertiesBytes);
    }
    this.count++;
  }

  /** Gives the record added last its consume queue entry, at `position` of `queueFile`. */
  queueEntryOfLast(queueFile: Buffer, position: number, tagsCode: number): void {
    const row = (this.count - 1) * ROW_FIELDS;
    this.viewAt(queueFile);
    this.rows[row + ROW.queueSource] = this.viewSource;
    this.rows[row + ROW.queueAt] = this.viewOffset + position;
    this.rows[row + ROW.tagsCode] = tagsCode;
  }

  /** Encodes every pending record (and checksums it, and writes its queue entry). */
  write(): void {
    if (this.count === 0) return;
    const count = this.count;
    this.count = 0;
    try {
      nativeBinding.writeRecords(this.sources, this.rows, count);
    } finally {
      this.sources.length = 0;
      this.views.length = 0;
      this.segment = undefined;
      this.topic = undefined;
      this.viewSources.length = 0;
      this.viewOffsets.length = 0;
    }
  }

  /** Sets viewSource and viewOffset for `view`, whose bytes must be readable natively. */
  private viewAt(view: Uint8Array): void {
    const views = this.views;
    const newest = views.length - 1;
    for (let i = newest; i >= 0 && i > newest - SOURCE_LOOKBACK; i--) {
      if (views[i] === view) {
        this.viewSource = this.viewSources[i]!;
        this.viewOffset = this.viewOffsets[i]!;
        return;
      }
    }
    const source = this.sourceOf(view.buffer);
    invariant(source !== NO_SOURCE, 'segments, queue files and topics are not shared memory');
    views.push(view);
    this.viewSources.push(source);
    this.viewOffsets.push(view.byteOffset);
    this.viewSource = source;
    this.viewOffset = view.byteOffset;
  }

  /** The index of `buffer` in the call's sources, or NO_SOURCE for shared memory. */
  private sourceOf(buffer: ArrayBufferLike): number {
    const sources = this.sources;
    const newest = sources.length - 1;
    for (let i = newest; i >= 0 && i > newest - SOURCE_LOOKBACK; i--) {
      if (sources[i] === buffer) return i;
    }
    if (!(buffer instanceof ArrayBuffer)) return NO_SOURCE;
    sources.push(buffer);
    return newest + 1;
  }
}
