// A producer load for failover tests: several producers send seeded random bodies until
// stopped, each a message key of its own, and remember what was acknowledged (each key with
// the SHA-256 of its body), when, and by which broker port (from the offset message id); and a
// reader that checks every acknowledged message comes back intact.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { Producer, PushConsumer } from '../../client/index.js';
import { pollUntil } from './broker-requests.js';
import type { SeededRandom } from './seeded-random.js';

const PRODUCERS = 4;
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
      // Client defaults (30 s route refresh): a failed send or pull re-reads the route itself.
      (_, i) => new Producer({ nameServer, group: `acked-load-${i}` }),
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

/** A consumer group reading the topic from its first message, keeping each key's body digest. */
export class AckedReader {
  readonly read = new Map<string, string>();
  /** Every delivery, duplicates included. */
  deliveries = 0;
  private readonly consumer: PushConsumer;

  constructor(nameServer: string, topic: string, group: string) {
    this.consumer = new PushConsumer({
      nameServer,
      group,
      subscriptions: { [topic]: '*' },
      consumeFrom: 'first',
    });
  }

  start(): Promise<void> {
    return this.consumer.start((message) => {
      this.deliveries++;
      this.read.set(message.keys[0]!, bodyDigest(message.body));
    });
  }

  /**
   * Waits until every acknowledged key was read and checks each body's digest; `explain` adds
   * what it can find out about a missing key to the failure.
   */
  async expectAll(
    acked: ReadonlyMap<string, string>,
    timeoutMs: number,
    explain: (missing: string) => Promise<string> = async () => '',
  ): Promise<void> {
    await pollUntil(`${acked.size} acknowledged messages read`, timeoutMs, () =>
      [...acked.keys()].every((key) => this.read.has(key)) ? true : undefined,
    ).catch(async (error: unknown) => {
      const missing = [...acked.keys()].filter((key) => !this.read.has(key));
      const detail = await explain(missing[0]!);
      throw new Error(`${missing.length} acknowledged message(s) not read, e.g. ${missing.slice(0, 5)}; ${detail}`, {
        cause: error,
      });
    });
    for (const [key, digest] of acked) assert.equal(this.read.get(key), digest, `${key} read intact`);
  }

  shutdown(): Promise<void> {
    return this.consumer.shutdown().catch(() => undefined);
  }
}
