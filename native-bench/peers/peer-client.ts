// What a peer must offer for the shared workloads (peer-workloads.ts): one producer-side and
// one consumer-side operation per workload, so Redis Streams and NATS JetStream run exactly
// the same produce, consume and e2e loops, and only the protocol calls differ.
export interface PeerClient {
  /** The server's name and version, e.g. "Redis 7.0.15". */
  readonly serverLabel: string;
  /** Sends one body; resolves once the server has acknowledged it. */
  send(body: Buffer): Promise<unknown>;
  /** Stores `count` copies of `body` as fast as possible (not measured); resolves when all are stored. */
  fill(count: number, body: Buffer): Promise<void>;
  /**
   * Creates a consumer group at the start of the stream and reads (and acknowledges) until
   * `count` messages have been handed to `onMessage`.
   */
  drain(count: number, onMessage: (body: Buffer) => void): Promise<void>;
  /** A live consumer from the end of the stream; each delivery goes to `onMessage` until stopped. */
  subscribe(onMessage: (body: Buffer) => void): Promise<{ stop(): Promise<void> }>;
  close(): Promise<void>;
}

/** Messages a consumer reads or fetches per request (Tributary's pull batch is 32 per queue, 8 queues). */
export const PEER_READ_BATCH = 256;
