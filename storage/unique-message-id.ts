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
import { randomBytes } from 'node:crypto';

const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, '0'));
const COUNTER_MODULUS = 65536;

function hex32(value: number): string {
  return (
    HEX_BYTE[(value >>> 24) & 255]! +
    HEX_BYTE[(value >>> 16) & 255]! +
    HEX_BYTE[(value >>> 8) & 255]! +
    HEX_BYTE[value & 255]!
  );
}

export class UniqueMessageId {
  private readonly prefix: string;
  private monthStartMs = 0;
  private nextMonthStartMs = 0;
  private counter = 0;

  constructor(ip: number, pid: number = process.pid) {
    const instance = randomBytes(4).readUInt32BE(0);
    this.prefix = hex32(ip) + HEX_BYTE[(pid >>> 8) & 255]! + HEX_BYTE[pid & 255]! + hex32(instance);
  }

  next(nowMs: number): string {
    if (nowMs >= this.nextMonthStartMs || nowMs < this.monthStartMs) this.setMonth(nowMs);
    const counter = this.counter;
    this.counter = (counter + 1) % COUNTER_MODULUS;
    return (
      this.prefix + hex32(nowMs - this.monthStartMs) + HEX_BYTE[counter >>> 8]! + HEX_BYTE[counter & 255]!
    );
  }

  private setMonth(nowMs: number): void {
    const now = new Date(nowMs);
    this.monthStartMs = new Date(now.getFullYear(), now.getMonth(), 1).getTime();
    this.nextMonthStartMs = new Date(now.getFullYear(), now.getMonth() + 1, 1).getTime();
  }
}
