// Client-unique message ids (UNIQ_KEY), in RocketMQ's shape: 16 bytes as 32 uppercase hex
// characters. The first 10 bytes are fixed per process, the last 6 change per message:
//
// | bytes | field                                   |
// |-------|-----------------------------------------|
// |   0-3 | IPv4 address of the host                |
// |   4-5 | process id (low 16 bits)                |
// |   6-9 | random per instance (Java: classloader) |
// | 10-13 | ms since the start of the current month |
// | 14-15 | counter                                 |
//
// The counter wraps after 65,536 ids, so ids stay unique up to 65 million per second.
//
// The store needs each id as the whole UNIQ_KEY property (`UNIQ_KEY 0x01 id 0x02`), so it is
// produced that way: hex digits are written into a byte template and read out as one flat
// string, instead of concatenating pieces that the store would have to flatten again.
import { randomBytes } from 'node:crypto';

const HEX_DIGITS = '0123456789ABCDEF';
const COUNTER_MODULUS = 65536;
const PROPERTY_HEAD = 'UNIQ_KEY\u0001';
const PROPERTY_TAIL = '\u0002';
const ID_CHARS = 32;
const PREFIX_CHARS = 20;

/** Where the id sits inside the property string returned by nextProperty(). */
export const UNIQUE_KEY_PROPERTY_ID_START = PROPERTY_HEAD.length;
export const UNIQUE_KEY_PROPERTY_ID_END = PROPERTY_HEAD.length + ID_CHARS;

export class UniqueMessageId {
  /** The 20 hex characters fixed for this generator; every id starts with them. */
  readonly prefix: string;
  private readonly template: Buffer;
  private monthStartMs = 0;
  private nextMonthStartMs = 0;
  private counter = 0;

  constructor(ip: number, pid: number = process.pid) {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt32BE(ip >>> 0, 0);
    fixed.writeUInt16BE(pid & 0xffff, 4);
    randomBytes(4).copy(fixed, 6);
    this.prefix = fixed.toString('hex').toUpperCase();
    this.template = Buffer.from(
      PROPERTY_HEAD + this.prefix + '0'.repeat(ID_CHARS - PREFIX_CHARS) + PROPERTY_TAIL,
      'latin1',
    );
  }

  /** The next id. */
  next(nowMs: number): string {
    return this.nextProperty(nowMs).slice(UNIQUE_KEY_PROPERTY_ID_START, UNIQUE_KEY_PROPERTY_ID_END);
  }

  /** The next id as a whole UNIQ_KEY property: `UNIQ_KEY 0x01 <id> 0x02`, one flat string. */
  nextProperty(nowMs: number): string {
    if (nowMs >= this.nextMonthStartMs || nowMs < this.monthStartMs) this.setMonth(nowMs);
    const counter = this.counter;
    this.counter = (counter + 1) % COUNTER_MODULUS;
    const at = UNIQUE_KEY_PROPERTY_ID_START + PREFIX_CHARS;
    this.writeHex(at, nowMs - this.monthStartMs, 8);
    this.writeHex(at + 8, counter, 4);
    return this.template.toString('latin1');
  }

  private writeHex(at: number, value: number, digits: number): void {
    for (let i = digits - 1; i >= 0; i--) {
      this.template[at + i] = HEX_DIGITS.charCodeAt(value & 15);
      value >>>= 4;
    }
  }

  private setMonth(nowMs: number): void {
    const now = new Date(nowMs);
    this.monthStartMs = new Date(now.getFullYear(), now.getMonth(), 1).getTime();
    this.nextMonthStartMs = new Date(now.getFullYear(), now.getMonth() + 1, 1).getTime();
  }
}
