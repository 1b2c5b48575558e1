// A producer load for failover tests: several producers send seeded random bodies until
// stopped, each a message key of its own, and remember what was acknowledged (each key with
// the SHA-256 of its body), when, and by which broker port (from the offset message id).
import crypto from 'node:crypto';

import { Producer } from '../../client/index.js';
import { pollUntil } from './broker-requests.js';
import type { SeededRandom } from './seeded-random.js';

const PRODUCERS = 4;
/** Clients look up routes this often (default 30 s), so they find each new master soon. */
export const ROUTE_REFRESH_MS = 500;
/** A producer whose send failed waits this long before its next one (no master for a moment). */
const FAILED_SEND_PAUSE_MS = 50;
const ACK_WAIT_MS = 60_000;

export const bodyDigest = (body: Buffer): string => crypto.createHash('sha256').update(body).digest('hex');

export interface Ack {
  readonly key: string;
  readonly startedAt: number;
  readonly ackedAt: number;
  /** The port of the broker that stored it. */
  readonly storePort: number;
}

export class AckedLoad {
  readonly acked = new Map<string, string>();
  readonly acks: Ack[] = [];
  private stopped = false;
  private running: Promise<void> = Promise.resolve();
  private readonly producers: Producer[];
  private sequence = 0;

  constructor(
    nameServer: string,
    private readonly topic: string,
    private readonly random: SeededRandom,
  ) {
    this.producers = Array.from(
      { length: PRODUCERS },
      (_, i) => new Producer({ nameServer, group: `acked-load-${i}`, routeRefreshIntervalMs: ROUTE_REFRESH_MS }),
    );
  }

  async start(): Promise<void> {
    await Promise.all(this.producers.map((producer) => producer.start()));
  }

  run(): void {
    this.stopped = false;
    this.running = Promise.all(this.producers.map((producer, p) => this.send(producer, p))).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** When the first send started after `since` was acknowledged, waited for. */
  firstAckOfSendAfter(since: number): Promise<number> {
    return pollUntil(
      'an acknowledged send after the kill',
      ACK_WAIT_MS,
      () => this.acks.find((ack) => ack.startedAt > since)?.ackedAt,
    );
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.producers.map((producer) => producer.shutdown().catch(() => undefined)));
  }

  private async send(producer: Producer, p: number): Promise<void> {
    while (!this.stopped) {
      const key = `p${p}-${this.sequence++}`;
      const body = Buffer.concat([Buffer.from(`${key}:`), this.random.bytes(this.random.between(1, 1024))]);
      const startedAt = Date.now();
      const result = await producer.send({ topic: this.topic, body, keys: [key] }).catch(() => undefined);
      if (result !== undefined) {
        this.acked.set(key, bodyDigest(body));
        // The offset message id: store host IPv4 (8 hex digits), port (8), commit log offset.
        const storePort = Number.parseInt(result.offsetMsgId.slice(8, 16), 16);
        this.acks.push({ key, startedAt, ackedAt: Date.now(), storePort });
      } else await new Promise((resolve) => setTimeout(resolve, FAILED_SEND_PAUSE_MS));
    }
  }
}
