// Redis Streams as a peer, through ioredis: XADD to produce, XREADGROUP + XACK to consume.
//
// - send: XADD on a connection with auto-pipelining, so every XADD issued in one event-loop
//   turn goes out in one write (pipelined XADD; the window of the workload keeps 1,000 in
//   flight).
// - drain: a consumer group created at id 0, then XREADGROUP COUNT 256, with READS_IN_FLIGHT
//   reads pipelined on one connection so the server never waits for the client's round trip;
//   each batch is acknowledged with one XACK of its ids, sent without waiting for the reply.
// - subscribe: a consumer group created at `$` (the end), XREADGROUP BLOCK on its own
//   connection (a blocked read holds its connection), XACK per batch.
// One stream key: a Redis stream is one ordered log, served by one thread.
import { Redis } from 'ioredis';

import { PEER_READ_BATCH, type PeerClient } from './peer-client.js';

const STREAM_KEY = 'bench';
const BODY_FIELD = 'b';
const GROUP = 'bench-group';
const CONSUMER = 'bench-consumer';
/** Pipelined reads while draining: enough to hide the round trip behind the previous batch. */
const READS_IN_FLIGHT = 4;
/** How long a live consumer's XREADGROUP blocks before asking again (and noticing a stop). */
const BLOCK_MS = 100;
/** Sends in flight while filling a backlog. */
const FILL_IN_FLIGHT = 1000;
/** RESP2: the reply shapes every Redis client knows (ioredis 6 defaults to RESP3). */
const RESP_PROTOCOL = 2;

type StreamEntry = [id: Buffer, fields: Buffer[] | null];
type ReadReply = [key: Buffer, entries: StreamEntry[]][] | null;

export class RedisStreamsPeer implements PeerClient {
  private readonly extra: Redis[] = [];

  private constructor(
    readonly serverLabel: string,
    private readonly port: number,
    private readonly writer: Redis,
  ) {}

  static async connect(port: number, version: string): Promise<RedisStreamsPeer> {
    const writer = await connectRedis(port, true);
    return new RedisStreamsPeer(`Redis ${version}`, port, writer);
  }

  send(body: Buffer): Promise<unknown> {
    return this.writer.xadd(STREAM_KEY, '*', BODY_FIELD, body);
  }

  async fill(count: number, body: Buffer): Promise<void> {
    let started = 0;
    const loop = async (): Promise<void> => {
      while (started < count) {
        started++;
        await this.writer.xadd(STREAM_KEY, '*', BODY_FIELD, body);
      }
    };
    await Promise.all(Array.from({ length: Math.min(FILL_IN_FLIGHT, count) }, loop));
  }

  async drain(count: number, onMessage: (body: Buffer) => void): Promise<void> {
    const reader = await this.connection(false);
    await reader.xgroup('CREATE', STREAM_KEY, GROUP, '0');
    let received = 0;
    let lastAck: Promise<unknown> = Promise.resolve();
    const loop = async (): Promise<void> => {
      while (received < count) {
        // Replies come in order: an empty one means every earlier read has been handled.
        const entries = await readNewEntries(reader, []);
        if (entries.length === 0) return;
        received += deliver(entries, onMessage);
        lastAck = reader.xack(STREAM_KEY, GROUP, ...entries.map((entry) => entry[0]));
      }
    };
    await Promise.all(Array.from({ length: READS_IN_FLIGHT }, loop));
    await lastAck;
    if (received < count) throw new Error(`the stream ended after ${received} of ${count} messages`);
  }

  async subscribe(onMessage: (body: Buffer) => void): Promise<{ stop(): Promise<void> }> {
    const reader = await this.connection(false);
    await reader.xgroup('CREATE', STREAM_KEY, GROUP, '$', 'MKSTREAM');
    let running = true;
    const loop = (async (): Promise<void> => {
      while (running) {
        const entries = await readNewEntries(reader, ['BLOCK', BLOCK_MS]);
        if (entries.length === 0) continue;
        deliver(entries, onMessage);
        // Not awaited, so the next read is not held up; a lost ack (at shutdown) only leaves an
        // entry pending in the group, which nothing measured depends on.
        reader.xack(STREAM_KEY, GROUP, ...entries.map((entry) => entry[0])).catch(() => undefined);
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.writer, ...this.extra].map((connection) => connection.quit()));
  }

  private async connection(autoPipelining: boolean): Promise<Redis> {
    const connection = await connectRedis(this.port, autoPipelining);
    this.extra.push(connection);
    return connection;
  }
}

async function connectRedis(port: number, autoPipelining: boolean): Promise<Redis> {
  const connection = new Redis({
    host: '127.0.0.1',
    port,
    protocol: RESP_PROTOCOL,
    enableAutoPipelining: autoPipelining,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
  });
  await connection.connect();
  return connection;
}

/**
 * One XREADGROUP of up to PEER_READ_BATCH entries new to the group (`options`: e.g. BLOCK ms),
 * sent as xreadgroupBuffer sends it (same command name, so the same reply handling).
 */
async function readNewEntries(reader: Redis, options: readonly (string | number)[]): Promise<StreamEntry[]> {
  const command = ['GROUP', GROUP, CONSUMER, 'COUNT', PEER_READ_BATCH, ...options, 'STREAMS', STREAM_KEY, '>'];
  const reply = (await reader.callBuffer('xreadgroup', ...command)) as ReadReply;
  return reply?.[0]?.[1] ?? [];
}

/** Hands each entry's body to `onMessage`; returns how many. */
function deliver(entries: readonly StreamEntry[], onMessage: (body: Buffer) => void): number {
  for (const [, fields] of entries) {
    // fields = [name, value]: the one field this benchmark writes.
    if (fields !== null && fields.length >= 2) onMessage(fields[1]!);
  }
  return entries.length;
}
