// Message ids a producer assigns (UNIQ_KEY): RocketMQ's 16-byte shape, 32 uppercase hex
// characters: IPv4 (4), pid (2), a random instance number (4), ms since the start of the
// month (4), a counter (2). A retried send keeps its id, so consumers can de-duplicate.
import { randomBytes } from 'node:crypto';

import { NAME_VALUE_SEPARATOR, PROPERTY, PROPERTY_SEPARATOR } from '../../protocol/message-properties-codec.js';

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, '0'));
const UPPER_HEX_DIGITS = '0123456789ABCDEF';
const COUNTER_MODULUS = 65536;
const ID_CHARS = 32;
/** Characters of the id's constant part (IPv4, pid, instance number). */
const PREFIX_CHARS = 20;
const UNIQUE_KEY_PROPERTY_TEMPLATE =
  PROPERTY.uniqueKey + NAME_VALUE_SEPARATOR + '0'.repeat(ID_CHARS) + PROPERTY_SEPARATOR;
/** Where the id starts in the template. */
const ID_AT = PROPERTY.uniqueKey.length + NAME_VALUE_SEPARATOR.length;

function hex32(value: number): string {
  return HEX[(value >>> 24) & 255]! + HEX[(value >>> 16) & 255]! + HEX[(value >>> 8) & 255]! + HEX[value & 255]!;
}

export class UniqueMessageId {
  /**
   * `UNIQ_KEY 0x01 <id> 0x02` in ASCII, the id's constant prefix written once: an id is read
   * out of it as one flat string. Concatenated from hex pieces, an id was a tree of strings
   * that every later write of it had to flatten, a cost several times that of the read.
   */
  private readonly scratch = Buffer.from(UNIQUE_KEY_PROPERTY_TEMPLATE, 'latin1');
  private monthStartMs = 0;
  private nextMonthStartMs = 0;
  private counter = 0;

  constructor(ipv4: string) {
    const ip = ipv4.split('.').reduce((value, part) => ((value << 8) | (Number(part) & 255)) >>> 0, 0);
    const pid = process.pid & 0xffff;
    const prefix = hex32(ip) + HEX[pid >>> 8]! + HEX[pid & 255]! + hex32(randomBytes(4).readUInt32BE(0));
    this.scratch.write(prefix, ID_AT, PREFIX_CHARS, 'latin1');
  }

  next(nowMs: number = Date.now()): string {
    this.fill(nowMs);
    return this.scratch.toString('latin1', ID_AT, ID_AT + ID_CHARS);
  }

  /** A new id as a whole encoded property, `UNIQ_KEY 0x01 <id> 0x02`: the id is at [9, 41). */
  nextAsProperty(nowMs: number = Date.now()): string {
    this.fill(nowMs);
    return this.scratch.toString('latin1');
  }

  /** Writes the id's time and counter digits into the scratch. */
  private fill(nowMs: number): void {
    if (nowMs >= this.nextMonthStartMs || nowMs < this.monthStartMs) {
      const now = new Date(nowMs);
      this.monthStartMs = new Date(now.getFullYear(), now.getMonth(), 1).getTime();
      this.nextMonthStartMs = new Date(now.getFullYear(), now.getMonth() + 1, 1).getTime();
    }
    const counter = this.counter;
    this.counter = (counter + 1) % COUNTER_MODULUS;
    const elapsed = nowMs - this.monthStartMs;
    const at = ID_AT + PREFIX_CHARS;
    writeHexByte(this.scratch, at, elapsed >>> 24);
    writeHexByte(this.scratch, at + 2, elapsed >>> 16);
    writeHexByte(this.scratch, at + 4, elapsed >>> 8);
    writeHexByte(this.scratch, at + 6, elapsed);
    writeHexByte(this.scratch, at + 8, counter >>> 8);
    writeHexByte(this.scratch, at + 10, counter);
  }
}

/** The two upper-case hex digits of `value`'s low byte, as ASCII at `at`. */
function writeHexByte(target: Buffer, at: number, value: number): void {
  target[at] = UPPER_HEX_DIGITS.charCodeAt((value >>> 4) & 15);
  target[at + 1] = UPPER_HEX_DIGITS.charCodeAt(value & 15);
}
