// NATS JetStream as a peer, through nats.js: a file-storage stream, acknowledged publishes,
// and pull consumers.
//
// - send: `js.publish()`, which resolves with the server's PubAck once the message is stored;
//   the workload keeps a window of them in flight (nats.js buffers the writes of one turn).
// - fill: core NATS publishes to the stream's subject (JetStream stores them without acks),
//   flushed every FILL_FLUSH_EVERY messages for back-pressure, then the stream's message count
//   is polled until it reaches the backlog: fast, and not measured.
// - drain / subscribe: a durable pull consumer, `consume({ max_messages: 256 })` (nats.js keeps
//   pull requests of that batch size outstanding and refills at half), AckAll, acknowledged
//   every ACK_EVERY messages and at the end: the cumulative acknowledgement, as a RocketMQ
//   offset commit is.
import {
  AckPolicy,
  DeliverPolicy,
  StorageType,
  connect,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
} from 'nats';

import { PEER_READ_BATCH, type PeerClient } from './peer-client.js';

const STREAM = 'BENCH';
const SUBJECT = 'bench.messages';
const FILL_FLUSH_EVERY = 1000;
/** Cumulative acks (AckAll): one per this many messages. */
const ACK_EVERY = PEER_READ_BATCH;
/** Far above what ACK_EVERY leaves unacknowledged, so the server never pauses delivery. */
const MAX_ACK_PENDING = 100 * PEER_READ_BATCH;
const FILL_POLL_MS = 50;
/** A filled backlog must be stored this soon after the last publish. */
const FILL_SETTLE_TIMEOUT_MS = 60_000;

export class NatsJetStreamPeer implements PeerClient {
  private consumers = 0;

  private constructor(
    readonly serverLabel: string,
    private readonly connection: NatsConnection,
    private readonly manager: JetStreamManager,
    private readonly jetStream: JetStreamClient,
  ) {}

  static async connect(port: number, version: string): Promise<NatsJetStreamPeer> {
    const connection = await connect({ servers: `127.0.0.1:${port}` });
    const manager = await connection.jetstreamManager();
    await manager.streams.add({ name: STREAM, subjects: [SUBJECT], storage: StorageType.File });
    return new NatsJetStreamPeer(`NATS JetStream ${version}`, connection, manager, connection.jetstream());
  }

  send(body: Buffer): Promise<unknown> {
    return this.jetStream.publish(SUBJECT, body);
  }

  async fill(count: number, body: Buffer): Promise<void> {
    const before = (await this.manager.streams.info(STREAM)).state.messages;
    for (let i = 1; i <= count; i++) {
      this.connection.publish(SUBJECT, body);
      if (i % FILL_FLUSH_EVERY === 0) await this.connection.flush();
    }
    await this.connection.flush();
    const deadline = Date.now() + FILL_SETTLE_TIMEOUT_MS;
    for (;;) {
      const stored = (await this.manager.streams.info(STREAM)).state.messages - before;
      if (stored >= count) return;
      if (Date.now() > deadline) throw new Error(`the stream stored ${stored} of ${count} messages`);
      await new Promise((resolve) => setTimeout(resolve, FILL_POLL_MS));
    }
  }

  async drain(count: number, onMessage: (body: Buffer) => void): Promise<void> {
    const messages = await this.consume(DeliverPolicy.All);
    let received = 0;
    let last: JsMsg | undefined;
    for await (const message of messages) {
      onMessage(bodyOf(message));
      received++;
      last = message;
      if (received % ACK_EVERY === 0) message.ack();
      if (received >= count) break;
    }
    last?.ack();
    await this.connection.flush();
    if (received < count) throw new Error(`the consumer stopped after ${received} of ${count} messages`);
  }

  async subscribe(onMessage: (body: Buffer) => void): Promise<{ stop(): Promise<void> }> {
    const messages = await this.consume(DeliverPolicy.New);
    const loop = (async (): Promise<void> => {
      let received = 0;
      for await (const message of messages) {
        onMessage(bodyOf(message));
        if (++received % ACK_EVERY === 0) message.ack();
      }
    })();
    return {
      stop: async () => {
        messages.stop();
        await loop;
      },
    };
  }

  async close(): Promise<void> {
    await this.connection.drain();
  }

  /** A fresh durable pull consumer's message stream. */
  private async consume(deliverPolicy: DeliverPolicy): Promise<ConsumerMessages> {
    const name = `bench-consumer-${++this.consumers}`;
    await this.manager.consumers.add(STREAM, {
      durable_name: name,
      ack_policy: AckPolicy.All,
      deliver_policy: deliverPolicy,
      max_ack_pending: MAX_ACK_PENDING,
    });
    const consumer = await this.jetStream.consumers.get(STREAM, name);
    return consumer.consume({ max_messages: PEER_READ_BATCH });
  }
}

/** The message's payload as a Buffer view (no copy). */
function bodyOf(message: JsMsg): Buffer {
  const data = message.data;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
