// Message ids a producer assigns (UNIQ_KEY): RocketMQ's 16-byte shape, 32 uppercase hex
// characters: IPv4 (4), pid (2), a random instance number (4), ms since the start of the
// month (4), a counter (2). A retried send keeps its id, so consumers can de-duplicate.
import { randomBytes } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, '0'));
const COUNTER_MODULUS = 65536;

function hex32(value: number): string {
  return HEX[(value >>> 24) & 255]! + HEX[(value >>> 16) & 255]! + HEX[(value >>> 8) & 255]! + HEX[value & 255]!;
}

export class UniqueMessageId {
  private readonly prefix: string;
  private monthStartMs = 0;
  private nextMonthStartMs = 0;
  private counter = 0;

  constructor(ipv4: string) {
    const ip = ipv4.split('.').reduce((value, part) => ((value << 8) | (Number(part) & 255)) >>> 0, 0);
    const pid = process.pid & 0xffff;
    this.prefix = hex32(ip) + HEX[pid >>> 8]! + HEX[pid & 255]! + hex32(randomBytes(4).readUInt32BE(0));
  }

  next(nowMs: number = Date.now()): string {
    if (nowMs >= this.nextMonthStartMs || nowMs < this.monthStartMs) {
      const now = new Date(nowMs);
      this.monthStartMs = new Date(now.getFullYear(), now.getMonth(), 1).getTime();
      this.nextMonthStartMs = new Date(now.getFullYear(), now.getMonth() + 1, 1).getTime();
    }
    const counter = this.counter;
    this.counter = (counter + 1) % COUNTER_MODULUS;
    return this.prefix + hex32(nowMs - this.monthStartMs) + HEX[counter >>> 8]! + HEX[counter & 255]!;
  }
}
