// A bare TCP connection to a broker or name server for tests that need to misbehave the way
// RemotingClient never does: open a thousand connections, send a frame and then stop reading,
// send a lone length prefix, or stay silent. Requests are JSON frames (what RocketMQ 4.x clients
// send); responses are matched by opaque.
//
//   const connection = await RawConnection.open(broker.address);
//   const response = await connection.request({ code: REQUEST_CODE.HEART_BEAT, body });
//   connection.stopReading();          // the broker's writes now pile up on its side
//   await connection.closed;           // resolves when either side closed it
import net from 'node:net';

import { HeaderCodec } from '../../protocol/header-codec.js';
import { SERIALIZE_TYPE, type RemotingCommand } from '../../protocol/remoting-command.js';
import { FrameDecoder } from '../../protocol/remoting-frame.js';

const REQUEST_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 10_000;

export type RawRequest = Partial<RemotingCommand> & { code: number };

export class RawConnection {
  private readonly decoder = new FrameDecoder();
  private readonly waiting = new Map<number, (response: RemotingCommand) => void>();
  private nextOpaque = 1;
  private closedFlag = false;
  /** Resolves once the socket is closed, by either side. */
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedFlag = true;
        resolve();
      }),
    );
    socket.on('error', () => undefined); // Resets are what several tests provoke.
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  static open(address: string): Promise<RawConnection> {
    const colon = address.lastIndexOf(':');
    const socket = net.connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => socket.destroy(new Error(`no connection to ${address}`)), CONNECT_TIMEOUT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** The frame of a request, as it goes on the wire. */
  static frame(request: RawRequest, opaque = 1): Buffer {
    return Buffer.concat(
      HeaderCodec.frame({ language: 'JAVA', version: 401, flag: 0, ...request, opaque }, SERIALIZE_TYPE.json),
    );
  }

  /** Writes a request and returns its opaque, without waiting for the response. */
  send(request: RawRequest): number {
    const opaque = this.nextOpaque++;
    this.socket.write(RawConnection.frame(request, opaque));
    return opaque;
  }

  /** Writes raw bytes (a broken frame, a lone length prefix). */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends a request and waits for its response; rejects if the connection closes first. */
  request(request: RawRequest, timeoutMs = REQUEST_TIMEOUT_MS): Promise<RemotingCommand> {
    const opaque = this.send(request);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response to code ${request.code}`)), timeoutMs);
      this.waiting.set(opaque, (response) => {
        clearTimeout(timer);
        resolve(response);
      });
      void this.closed.then(() => {
        clearTimeout(timer);
        if (this.waiting.delete(opaque)) reject(new Error(`connection closed before the response to ${request.code}`));
      });
    });
  }

  /** Stops reading for good: what the peer sends piles up in the kernel, then on its side. */
  stopReading(): void {
    this.socket.removeAllListeners('data');
    this.socket.pause();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.decoder.push(chunk, (frame) => {
      const response = HeaderCodec.decode(frame);
      const resolve = this.waiting.get(response.opaque);
      if (resolve === undefined) return;
      this.waiting.delete(response.opaque);
      resolve(response);
    });
  }
}
