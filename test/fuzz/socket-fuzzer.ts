// A fuzzing client for a live broker: one SocketFuzzer runs seeded episodes, each on fresh
// connections, until a deadline. What each episode sends, and what the broker must do:
//
// | episode          | sends                                                   | the broker must          |
// |------------------|---------------------------------------------------------|--------------------------|
// | random-bytes     | 1-4096 random bytes in up to 4 writes                   | survive (close or wait)  |
// | requests         | 1-16 valid requests (JSON, msgpack or binary header),   | answer each (oneways     |
// |                  | plausible to hostile fields                             | excepted), not hang up   |
// | mutated-requests | the same, one in four byte-mutated                      | answer or close          |
// | byte-by-byte     | one valid request, a byte per write                     | answer it                |
// | half-frame-stall | part of a frame, then nothing for 0.2-2 s               | wait without harm        |
// | huge-length      | LENGTH over 16 MiB or negative                          | close the connection     |
// | bad-header       | a well-framed header that cannot decode                 | close the connection     |
// | max-length-drip  | LENGTH = 16 MiB, then up to 256 KiB in small writes     | buffer only what came    |
// | slow-reader      | 50-300 pipelined requests, never reading the answers    | hold back, not balloon   |
// | storm            | 10-40 connections opened at once and dropped at once    | survive                  |
import net from 'node:net';

import { HeaderCodec } from '../../protocol/header-codec.js';
import { isOneway, type RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { FRAME_BYTES_MAX, FrameDecoder } from '../../protocol/remoting-frame.js';
import { mutateBytes, type FuzzSample } from '../support/byte-mutator.js';
import type { SeededRandom } from '../support/seeded-random.js';
import { randomRequest } from './fuzz-requests.js';

export const SOCKET_EPISODES = [
  'random-bytes',
  'requests',
  'mutated-requests',
  'byte-by-byte',
  'half-frame-stall',
  'huge-length',
  'bad-header',
  'max-length-drip',
  'slow-reader',
  'storm',
] as const;

export type SocketEpisode = (typeof SOCKET_EPISODES)[number];

/** How long the broker has to close a connection after a frame it must reject. */
const CLOSE_WAIT_MS = 5000;
const ANSWER_WAIT_MS = 5000;
const REQUEST_WAIT_MS = 1000;
const SERIALIZE_TYPES = [0, 1, 2];
const DRIP_BYTES_MAX = 256 * 1024;

export interface SocketFuzzStats {
  readonly episodes: Record<string, number>;
  connections: number;
  /** Connection attempts that failed, by error code. */
  readonly connectFailures: Record<string, number>;
  bytesSent: number;
  requestsSent: number;
  responses: number;
  /** Connections the broker closed (after input it rejected). */
  closedByBroker: number;
  /** Episodes whose frame the broker must reject, where it kept the connection open. */
  badFramesNotClosed: number;
  /** byte-by-byte requests the broker never answered. */
  byteByByteUnanswered: number;
  /** Valid requests (not oneway) unanswered after ANSWER_WAIT_MS, by request code. */
  readonly unanswered: Record<string, number>;
  /** 'requests' episodes (valid requests only) where the broker hung up. */
  validRequestsClosed: number;
  /** Bytes from the broker that were not a valid frame. */
  badResponses: number;
}

export function emptySocketFuzzStats(): SocketFuzzStats {
  return {
    episodes: Object.fromEntries(SOCKET_EPISODES.map((episode) => [episode, 0])),
    connections: 0,
    connectFailures: {},
    bytesSent: 0,
    requestsSent: 0,
    responses: 0,
    closedByBroker: 0,
    badFramesNotClosed: 0,
    byteByByteUnanswered: 0,
    unanswered: {},
    validRequestsClosed: 0,
    badResponses: 0,
  };
}

/** One client connection that counts the frames it gets back and notices the broker hanging up. */
class FuzzConnection {
  private readonly decoder = new FrameDecoder();
  private readonly waiters = new Set<() => void>();
  responses = 0;
  /** The opaques of the responses received. */
  readonly answered = new Set<number>();
  closed = false;
  private destroyedByUs = false;

  private constructor(
    readonly socket: net.Socket,
    private readonly stats: SocketFuzzStats,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk, (frame) => {
          this.responses++;
          stats.responses++;
          this.answered.add(HeaderCodec.decode(frame).opaque);
        });
      } catch {
        stats.badResponses++;
      }
      this.notify();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      if (!this.destroyedByUs) stats.closedByBroker++;
      this.notify();
    });
  }

  static open(host: string, port: number, stats: SocketFuzzStats): Promise<FuzzConnection | undefined> {
    return new Promise((resolve) => {
      const socket = net.connect({ host, port });
      const failed = (error: NodeJS.ErrnoException): void => {
        const code = error.code ?? error.name;
        stats.connectFailures[code] = (stats.connectFailures[code] ?? 0) + 1;
        resolve(undefined);
      };
      socket.once('error', failed);
      socket.once('connect', () => {
        socket.off('error', failed);
        stats.connections++;
        resolve(new FuzzConnection(socket, stats));
      });
    });
  }

  /** Resolves once the bytes are handed to the kernel, or the connection is gone. */
  write(bytes: Buffer): Promise<void> {
    if (this.closed || bytes.length === 0) return Promise.resolve();
    this.stats.bytesSent += bytes.length;
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  /** True once `condition` holds, false after `timeoutMs`. */
  waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!condition()) return;
        finish(true);
      };
      const finish = (result: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(result);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.waiters.add(check);
    });
  }

  destroy(): void {
    if (!this.closed) this.destroyedByUs = true;
    this.socket.destroy();
  }

  /** Half-closes our side, as a client that is done sending would. */
  end(): void {
    if (!this.closed) this.destroyedByUs = true;
    this.socket.end();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function prefix(length: number, spec: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeUInt32BE(length >>> 0, 0);
  bytes.writeUInt32BE(spec >>> 0, 4);
  return bytes;
}

export class SocketFuzzer {
  private opaque = 1;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly random: SeededRandom,
    private readonly stats: SocketFuzzStats,
  ) {}

  async run(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      const episode = this.random.pick(SOCKET_EPISODES);
      this.stats.episodes[episode]!++;
      await this.play(episode);
    }
  }

  private play(episode: SocketEpisode): Promise<void> {
    switch (episode) {
      case 'random-bytes':
        return this.randomBytes();
      case 'requests':
        return this.requests();
      case 'mutated-requests':
        return this.mutatedRequests();
      case 'byte-by-byte':
        return this.byteByByte();
      case 'half-frame-stall':
        return this.halfFrameStall();
      case 'huge-length':
        return this.mustClose(this.hugeLength());
      case 'bad-header':
        return this.mustClose(this.badHeader());
      case 'max-length-drip':
        return this.maxLengthDrip();
      case 'slow-reader':
        return this.slowReader();
      case 'storm':
        return this.storm();
    }
  }

  private open(): Promise<FuzzConnection | undefined> {
    return FuzzConnection.open(this.host, this.port, this.stats);
  }

  /** A request frame as a client would send it. */
  private requestFrame(): Buffer {
    return this.request().frame;
  }

  private request(): { request: RemotingCommand; frame: Buffer } {
    const request = randomRequest(this.random, this.opaque++);
    this.stats.requestsSent++;
    return { request, frame: Buffer.concat(HeaderCodec.frame(request, this.random.pick(SERIALIZE_TYPES))) };
  }

  private sample(bytes: Buffer): FuzzSample {
    return {
      bytes,
      lengthFields: [
        { at: 0, bytes: 4 },
        { at: 4, bytes: 4 },
        { at: 5, bytes: 3 },
      ],
    };
  }

  private async randomBytes(): Promise<void> {
    const connection = await this.open();
    if (connection === undefined) return;
    const writes = this.random.between(1, 4);
    for (let i = 0; i < writes; i++) await connection.write(this.random.bytes(this.random.between(1, 1024)));
    await connection.waitFor(() => connection.closed, this.random.int(300));
    connection.destroy();
  }

  /** Valid requests only: each must be answered, and the connection must stay up. */
  private async requests(): Promise<void> {
    const connection = await this.open();
    if (connection === undefined) return;
    const requests = Array.from({ length: this.random.between(1, 16) }, () => this.request());
    for (const { frame } of requests) await connection.write(frame);
    const expected = requests.map(({ request }) => request).filter((request) => !isOneway(request));
    const answered = (): boolean => expected.every((request) => connection.answered.has(request.opaque));
    await connection.waitFor(() => connection.closed || answered(), ANSWER_WAIT_MS);
    if (connection.closed) this.stats.validRequestsClosed++;
    for (const request of expected) {
      if (connection.answered.has(request.opaque)) continue;
      this.stats.unanswered[request.code] = (this.stats.unanswered[request.code] ?? 0) + 1;
    }
    connection.destroy();
  }

  private async mutatedRequests(): Promise<void> {
    const connection = await this.open();
    if (connection === undefined) return;
    const count = this.random.between(1, 16);
    for (let i = 0; i < count; i++) {
      const frame = this.requestFrame();
      const donor = this.sample(this.requestFrame());
      await connection.write(this.random.int(4) !== 0 ? frame : mutateBytes(this.random, this.sample(frame), donor));
    }
    await connection.waitFor(() => connection.closed || connection.responses >= count, REQUEST_WAIT_MS);
    connection.destroy();
  }

  private async byteByByte(): Promise<void> {
    const connection = await this.open();
    if (connection === undefined) return;
    const code = this.random.pick([REQUEST_CODE.GET_ALL_TOPIC_CONFIG, REQUEST_CODE.GET_ALL_CONSUMER_OFFSET]);
    const request = { code, language: 'JAVA', version: 401, opaque: this.opaque++, flag: 0 };
    this.stats.requestsSent++;
    const frame = Buffer.concat(HeaderCodec.frame(request, this.random.pick(SERIALIZE_TYPES)));
    for (let at = 0; at < frame.length; at++) await connection.write(frame.subarray(at, at + 1));
    if (!(await connection.waitFor(() => connection.responses > 0, ANSWER_WAIT_MS))) this.stats.byteByByteUnanswered++;
    connection.destroy();
  }

  private async halfFrameStall(): Promise<void> {
    const connection = await this.open();
    if (connection === undefined) return;
    const frame = this.random.int(4) === 0 ? prefix(this.random.between(4, FRAME_BYTES_MAX), 0) : this.requestFrame();
    await connection.write(frame.subarray(0, this.random.between(1, frame.length - 1)));
    await sleep(this.random.between(200, 2000));
    connection.destroy();
  }

  /** Runs an episode that resolves to a connection the broker must close, and checks it does. */
  private async mustClose(opened: Promise<FuzzConnection | undefined>): Promise<void> {
    const connection = await opened;
    if (connection === undefined) return;
    if (!(await connection.waitFor(() => connection.closed, CLOSE_WAIT_MS))) this.stats.badFramesNotClosed++;
    connection.destroy();
  }

  private async hugeLength(): Promise<FuzzConnection | undefined> {
    const connection = await this.open();
    if (connection === undefined) return undefined;
    const length = this.random.pick([
      FRAME_BYTES_MAX + 1,
      FRAME_BYTES_MAX + 1 + this.random.int(2 ** 30),
      0x7fffffff,
      0x80000000,
      0xffffffff,
      -this.random.between(1, 2 ** 31),
    ]);
    await connection.write(Buffer.concat([prefix(length, 0), this.random.bytes(this.random.int(64))]));
    return connection;
  }

  private async badHeader(): Promise<FuzzConnection | undefined> {
    const connection = await this.open();
    if (connection === undefined) return undefined;
    // '{' + anything + '' is never a JSON object; types 3..255 have no codec.
    const json = this.random.int(2) === 0;
    const header = json
      ? Buffer.concat([Buffer.from('{'), this.random.bytes(this.random.int(40)), Buffer.from('"')])
      : this.random.bytes(this.random.int(40));
    const serializeType = json ? 0 : this.random.between(3, 255);
    const body = this.random.bytes(this.random.int(64));
    const length = 4 + header.length + body.length;
    await connection.write(Buffer.concat([prefix(length, (serializeType << 24) | header.length), header, body]));
    return connection;
  }

  private async maxLengthDrip(): Promise<void> {
    const connection = await this.open();
    if (connection === undefined) return;
    await connection.write(prefix(FRAME_BYTES_MAX, this.random.int(64)));
    const total = this.random.between(1, DRIP_BYTES_MAX);
    for (let sent = 0; sent < total && !connection.closed;) {
      const piece = this.random.between(1, 64);
      await connection.write(this.random.bytes(piece));
      sent += piece;
    }
    connection.destroy();
  }

  private async slowReader(): Promise<void> {
    const connection = await this.open();
    if (connection === undefined) return;
    connection.socket.pause();
    const count = this.random.between(50, 300);
    const frames: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const request = {
        code: REQUEST_CODE.GET_ALL_TOPIC_CONFIG,
        language: 'JAVA',
        version: 401,
        opaque: this.opaque++,
        flag: 0,
      };
      frames.push(...HeaderCodec.frame(request, 0));
    }
    this.stats.requestsSent += count;
    await connection.write(Buffer.concat(frames));
    await sleep(this.random.between(100, 1000));
    connection.destroy();
  }

  private async storm(): Promise<void> {
    const count = this.random.between(10, 40);
    const actions = Array.from({ length: count }, () => this.random.int(5));
    const frames = actions.map(() => this.requestFrame());
    await Promise.all(
      actions.map(async (action, i) => {
        const connection = await this.open();
        if (connection === undefined) return;
        if (action === 1) await connection.write(frames[i]!.subarray(0, 1));
        if (action === 3) void connection.write(frames[i]!);
        if (action === 4) await connection.write(frames[i]!.subarray(0, frames[i]!.length >> 1));
        if (action === 2 || action === 4) {
          connection.end();
          await connection.waitFor(() => connection.closed, REQUEST_WAIT_MS);
        }
        connection.destroy();
      }),
    );
  }
}
