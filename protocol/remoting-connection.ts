// One TCP connection speaking remoting frames, used by both the client and the server: it
// decodes incoming frames into commands and writes commands as frames. A protocol error
// (oversized or malformed frame, undecodable header) closes the connection: the byte stream
// cannot be trusted after it. Writing applies back-pressure: when more than
// `writeHighWaterBytes` wait in the socket, reading pauses until they drain, so a peer that
// stops reading cannot make us buffer without limit.
import type net from 'node:net';

import { HeaderCodec } from './header-codec.js';
import type { RemotingCommand } from './remoting-command.js';
import { RemotingError } from './remoting-error.js';
import { FrameDecoder, FRAME_BYTES_MAX, type FrameByteBudget } from './remoting-frame.js';

export interface ConnectionOptions {
  readonly maxFrameBytes?: number;
  readonly writeHighWaterBytes?: number;
  /** Shared by a server's connections: bytes of unfinished frames (see remoting-frame.ts). */
  readonly frameBudget?: FrameByteBudget;
  /**
   * Judges a request from its header alone, before its body is buffered (the body is empty
   * here): a reason refuses it and closes the connection (HEADER_REFUSED).
   */
  readonly checkHeader?: (request: RemotingCommand) => string | undefined;
}

export const WRITE_HIGH_WATER_BYTES_DEFAULT = 8 * 1024 * 1024;

export interface ConnectionHandlers {
  /** A command arrived; `serializeType` is the one its header used. */
  onCommand(command: RemotingCommand, serializeType: number): void;
  /** The connection is gone; `error` says why when it was not an orderly end. */
  onClose(error: Error | undefined): void;
}

export class RemotingConnection {
  private readonly decoder: FrameDecoder;
  private readonly writeHighWaterBytes: number;
  private closed = false;
  private closeError: Error | undefined;
  private pausedForWrites = false;
  /** Frames written this tick wait in the corked socket (see send). */
  private corked = false;
  private peer: { readonly host: string; readonly port: number } | undefined;

  constructor(
    readonly socket: net.Socket,
    private readonly handlers: ConnectionHandlers,
    options: ConnectionOptions = {},
  ) {
    const { checkHeader } = options;
    this.decoder = new FrameDecoder(options.maxFrameBytes ?? FRAME_BYTES_MAX, {
      ...(options.frameBudget === undefined ? {} : { budget: options.frameBudget }),
      ...(checkHeader === undefined
        ? {}
        : {
            checkHeader: (serializeType, header) => {
              const refusal = checkHeader(HeaderCodec.decode({ serializeType, header, body: Buffer.alloc(0) }));
              if (refusal !== undefined) throw new RemotingError('HEADER_REFUSED', refusal);
            },
          }),
    });
    this.writeHighWaterBytes = options.writeHighWaterBytes ?? WRITE_HIGH_WATER_BYTES_DEFAULT;
    socket.setNoDelay(true);
    this.capturePeer();
    socket.once('connect', () => this.capturePeer());
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.resumeIfDrained());
    socket.on('error', (error) => {
      this.closeError ??= error;
    });
    socket.on('close', () => this.finish());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * The peer's 'host:port'. Captured while the socket is connected: Node forgets it once the
   * socket is destroyed, and a close is when it is logged.
   */
  get remoteAddress(): string {
    this.capturePeer();
    return this.peer === undefined ? '?:0' : `${this.peer.host}:${this.peer.port}`;
  }

  /** The peer's host alone ('' when never connected), as address allow-lists match it. */
  get remoteHost(): string {
    this.capturePeer();
    return this.peer?.host ?? '';
  }

  private capturePeer(): void {
    const { remoteAddress, remotePort } = this.socket;
    if (this.peer === undefined && remoteAddress !== undefined)
      this.peer = { host: remoteAddress, port: remotePort ?? 0 };
  }

  /** Bytes written but not yet sent to the peer. */
  get pendingWriteBytes(): number {
    return this.socket.writableLength;
  }

  /**
   * Writes a command; false when the connection is closed. The socket stays corked until the
   * current tick's callbacks and promise reactions have all run, so the frames one tick writes
   * (a paced burst of sends, the answers of the requests one read brought) leave in one writev
   * and wake the peer once (native-bench/README.md, "Single send and end to end").
   */
  send(command: RemotingCommand, serializeType: number): boolean {
    const { afterWrite } = command;
    if (this.closed) {
      afterWrite?.();
      return false;
    }
    const parts = HeaderCodec.frame(command, serializeType);
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      queueMicrotask(this.uncorkAfterReactions);
    }
    const last = parts.length - 1;
    for (let i = 0; i < last; i++) this.socket.write(parts[i]!);
    if (afterWrite === undefined) this.socket.write(parts[last]!);
    else this.socket.write(parts[last]!, () => afterWrite());
    if (command.urgent === true) this.uncork();
    if (this.socket.writableLength > this.writeHighWaterBytes && !this.pausedForWrites) {
      this.pausedForWrites = true;
      this.socket.pause();
    }
    return true;
  }

  /** Closes the connection; `error` is reported to onClose as the reason. */
  close(error?: Error): void {
    if (this.closed) return;
    this.closeError ??= error;
    this.uncork(); // What was written goes out first, as it would have without the cork.
    this.socket.destroy();
  }

  /**
   * Runs as a promise reaction; a tick queued from one runs only once every reaction queued
   * meanwhile has run, so frames written by promise continuations join the same writev.
   */
  private readonly uncorkAfterReactions = (): void => {
    process.nextTick(this.uncork);
  };

  private readonly uncork = (): void => {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  };

  /**
   * Decodes what arrived, then hands the commands over. Decoding errors close the connection;
   * a handler that throws is a bug and is left to crash loudly.
   */
  private receive(chunk: Buffer): void {
    const received: [RemotingCommand, number][] = [];
    try {
      this.decoder.push(chunk, (frame) => received.push([HeaderCodec.decode(frame), frame.serializeType]));
    } catch (error) {
      this.close(
        error instanceof RemotingError ? error : new RemotingError('MALFORMED_FRAME', undefined, { cause: error }),
      );
    }
    for (const [command, serializeType] of received) {
      if (this.closed) return;
      this.handlers.onCommand(command, serializeType);
    }
  }

  private resumeIfDrained(): void {
    if (this.pausedForWrites && this.socket.writableLength <= this.writeHighWaterBytes / 2) {
      this.pausedForWrites = false;
      this.socket.resume();
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.decoder.dispose();
    this.handlers.onClose(this.closeError);
  }
}
