// The server side of the remoting protocol, shared by the broker and the name server. It
// accepts connections, decodes requests and hands each to the processor registered for its
// code. Unknown codes get REQUEST_CODE_NOT_SUPPORTED. Responses use the request's header
// encoding.
//
// Connection limits (connection-limits.ts; counted in `stats`). None lets a client make the
// server buffer without bound, or make other clients wait:
// - maxConnections: a socket accepted while that many are open is closed at once, before
//   anything is read from it (Node's server.maxConnections), and counted as rejected.
// - idleTimeoutMs: a connection with no bytes either way for that long is closed. Clients
//   heartbeat every 30 s, so only dead and abandoned connections reach it.
// - maxFrameBytes: the decoder reads a frame's 4-byte length first and closes the connection
//   when it is over the limit, before buffering any of the frame. Other connections go on.
// - unfinishedFrameBudgetBytes: the bytes held in frames still arriving, across all
//   connections (unfinished-frame-budget.ts). A connection whose data would pass it is closed
//   and counted (closedFrameBudget); a connection's held bytes are given back when it closes.
//   With `checkHeader` (access control), a request's header is judged as soon as it arrives,
//   so a peer without an account is closed before its body is buffered (closedHeaderRefused).
// - maxInFlightPerConnection: requests being processed per connection, held long polls
//   included; past it a request is answered SYSTEM_BUSY at once instead of queued.
// - Slow readers, two bounds. (1) When more than writeHighWaterBytes of responses wait unsent
//   in a connection's socket, the connection stops reading (RemotingConnection): none of its
//   requests is even decoded until the backlog halves, and those already read are answered
//   SYSTEM_BUSY, so only requests already in flight (the limit above) can still add full
//   responses to it. (2) A response that has waited unsent for writeStallTimeoutMs closes the
//   connection (checked every quarter of that). Closing fails the queued writes, which runs
//   each response's afterWrite: a pull response's records are views of the mapped log holding
//   their segment, released then at the latest, so a peer that reads nothing pins a segment
//   for at most 1.25 x writeStallTimeoutMs. What is bounded is how long a response waits, not
//   how fast the peer reads: one that takes each response in time keeps its connection. The
//   backlog costs little memory besides: pull records go from the mapping to the socket uncopied.
//
// With `tls`, the server speaks TLS (a connection is accepted once its handshake passed, client
// certificate included when required). With `authorize`, every request is first put to it
// (access control): a response it returns is sent instead of running the processor.
import net from 'node:net';
import tls from 'node:tls';

import {
  COMMAND_FLAG,
  PROTOCOL_VERSION,
  isOneway,
  isResponse,
  responseTo,
  type RemotingCommand,
} from '../protocol/remoting-command.js';
import { RemotingConnection } from '../protocol/remoting-connection.js';
import { RemotingError, type RemotingErrorCode } from '../protocol/remoting-error.js';
import { RESPONSE_CODE } from '../protocol/response-code.js';
import {
  resolveConnectionLimits,
  type ConnectionLimits,
  type ConnectionStats,
  type ResolvedConnectionLimits,
} from './connection-limits.js';
import { UnfinishedFrameBudget } from './unfinished-frame-budget.js';
import { WriteBacklog } from './write-backlog.js';

/** The write stall check runs this many times per writeStallTimeoutMs. */
const STALL_CHECKS_PER_TIMEOUT = 4;
/** Codes a connection is closed with when its peer broke the protocol. */
const PROTOCOL_ERROR_CODES: ReadonlySet<RemotingErrorCode> = new Set([
  'FRAME_TOO_LARGE',
  'MALFORMED_FRAME',
  'MALFORMED_HEADER',
  'UNSUPPORTED_SERIALIZE_TYPE',
]);

/** A connected client as processors see it. */
export class Channel {
  inFlight = 0;
  private nextOpaque = 1;
  /** Header encoding of the last request, used for requests we send to this client. */
  serializeType = 0;

  constructor(
    readonly id: number,
    readonly connection: RemotingConnection,
    /** The responses waiting unsent in the socket, and since when (for the stall check). */
    readonly backlog: WriteBacklog,
  ) {}

  get remoteAddress(): string {
    return this.connection.remoteAddress;
  }

  get isClosed(): boolean {
    return this.connection.isClosed;
  }

  /** Sends a oneway request to the client (notifications, transaction checks). */
  sendOneway(code: number, extFields: Record<string, string | number | boolean>, body?: Buffer): boolean {
    const command: RemotingCommand = {
      code,
      language: 'JAVA',
      version: PROTOCOL_VERSION,
      opaque: this.nextOpaque++,
      flag: COMMAND_FLAG.oneway,
      extFields,
      body,
    };
    return this.send(command, this.serializeType);
  }

  /** Writes a command, noting what it left unsent; false when the connection is closed. */
  send(command: RemotingCommand, serializeType: number): boolean {
    const before = this.connection.pendingWriteBytes;
    const sent = this.connection.send(command, serializeType);
    const added = this.connection.pendingWriteBytes - before;
    if (added > 0) this.backlog.sent(added, Date.now());
    return sent;
  }
}

export type Processor = (
  request: RemotingCommand,
  channel: Channel,
) => RemotingCommand | undefined | Promise<RemotingCommand | undefined>;

export interface RemotingServerOptions extends ConnectionLimits {
  readonly host: string;
  readonly port: number;
  /** Called when a processor throws: the server answers SYSTEM_ERROR and reports it here. */
  readonly onProcessorError?: (error: unknown, request: RemotingCommand) => void;
  /** Called when a connection is closed for a protocol error (a malformed frame or header). */
  readonly onConnectionError?: (error: Error, remoteAddress: string) => void;
  /** Serve TLS with these options (see broker-tls-options.ts) instead of plain TCP. */
  readonly tls?: tls.TlsOptions;
  /** Checks each request before its processor runs; a response it returns refuses the request. */
  readonly authorize?: (request: RemotingCommand, channel: Channel) => RemotingCommand | undefined;
  /**
   * Judges a request from its header alone (no body yet) and the peer's host, before its body
   * is buffered; a reason it returns closes the connection.
   */
  readonly checkHeader?: (request: RemotingCommand, remoteHost: string) => string | undefined;
  /** Told of every answered request and how long it took (rocketmq_rpc_latency). */
  readonly onAnswered?: (requestCode: number, responseCode: number, elapsedMs: number) => void;
}

export class RemotingServer {
  private readonly processors = new Map<number, Processor>();
  private readonly server: net.Server;
  readonly channels = new Set<Channel>();
  private nextChannelId = 1;
  private readonly channelClosedListeners: ((channel: Channel) => void)[] = [];
  private readonly limits: ResolvedConnectionLimits;
  private readonly stallCheckIntervalMs: number;
  private stallCheck: NodeJS.Timeout | undefined;
  private readonly frameBudget: UnfinishedFrameBudget;
  private readonly counters = {
    accepted: 0,
    rejected: 0,
    closedIdle: 0,
    closedStalled: 0,
    closedProtocolError: 0,
    closedFrameBudget: 0,
    closedHeaderRefused: 0,
    busyRefusals: 0,
  };

  constructor(private readonly options: RemotingServerOptions) {
    this.limits = resolveConnectionLimits(options);
    this.frameBudget = new UnfinishedFrameBudget(this.limits.unfinishedFrameBudgetBytes);
    this.stallCheckIntervalMs = Math.max(1, Math.floor(this.limits.writeStallTimeoutMs / STALL_CHECKS_PER_TIMEOUT));
    const accept = (socket: net.Socket): void => this.accept(socket);
    this.server = options.tls === undefined ? net.createServer(accept) : tls.createServer(options.tls, accept);
    // A failed handshake (a plain client, an untrusted or missing client certificate) closes
    // that socket only; the operator hears why.
    this.server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => {
      if (!isPeerReset(error))
        this.options.onConnectionError?.(error, `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`);
    });
    this.server.maxConnections = this.limits.maxConnections;
    this.server.on('drop', () => this.counters.rejected++);
  }

  /** Open connections and what the limits did so far. */
  get stats(): ConnectionStats {
    return { open: this.channels.size, ...this.counters, unfinishedFrameBytes: this.frameBudget.heldBytes };
  }

  register(code: number, processor: Processor): void {
    this.processors.set(code, processor);
  }

  onChannelClosed(listener: (channel: Channel) => void): void {
    this.channelClosedListeners.push(listener);
  }

  /** Starts listening; resolves to the bound port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        this.stallCheck = setInterval(() => this.closeStalled(), this.stallCheckIntervalMs);
        this.stallCheck.unref();
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  async close(): Promise<void> {
    clearInterval(this.stallCheck);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const channel of this.channels) channel.connection.close();
    await closed;
  }

  private accept(socket: net.Socket): void {
    let channel: Channel | undefined;
    const { maxFrameBytes, writeHighWaterBytes } = this.limits;
    const { checkHeader } = this.options;
    const connection: RemotingConnection = new RemotingConnection(
      socket,
      {
        onCommand: (command, serializeType) => this.dispatch(channel!, command, serializeType),
        onClose: (error) => this.closed(channel!, error),
      },
      {
        maxFrameBytes,
        writeHighWaterBytes,
        frameBudget: this.frameBudget,
        ...(checkHeader === undefined
          ? {}
          : { checkHeader: (request: RemotingCommand) => checkHeader(request, connection.remoteHost) }),
      },
    );
    // Node's socket timeout restarts with every read and write: it fires after that long of silence.
    socket.setTimeout(this.limits.idleTimeoutMs, () => {
      this.counters.closedIdle++;
      connection.close();
    });
    channel = new Channel(this.nextChannelId++, connection, new WriteBacklog(this.stallCheckIntervalMs));
    this.channels.add(channel);
    this.counters.accepted++;
  }

  private closed(channel: Channel, error: Error | undefined): void {
    if (error instanceof RemotingError) {
      if (PROTOCOL_ERROR_CODES.has(error.code)) this.counters.closedProtocolError++;
      else if (error.code === 'FRAME_BUDGET_EXCEEDED') this.counters.closedFrameBudget++;
      else if (error.code === 'HEADER_REFUSED') this.counters.closedHeaderRefused++;
    }
    if (error !== undefined && !isPeerReset(error)) this.options.onConnectionError?.(error, channel.remoteAddress);
    this.channels.delete(channel);
    for (const listener of this.channelClosedListeners) listener(channel);
  }

  /** Closes every connection with a response unsent for writeStallTimeoutMs (see the top). */
  private closeStalled(): void {
    const now = Date.now();
    for (const channel of this.channels) {
      if (channel.connection.socket.destroyed) continue; // Closing already; counted once.
      const waitedMs = channel.backlog.oldestAgeMs(channel.connection.pendingWriteBytes, now);
      if (waitedMs < this.limits.writeStallTimeoutMs) continue;
      this.counters.closedStalled++;
      channel.connection.close(
        new RemotingError('WRITE_STALLED', `a response waited ${waitedMs} ms unsent to ${channel.remoteAddress}`),
      );
    }
  }

  /** Why a new request of `channel` must wait (SYSTEM_BUSY), or undefined when it may run. */
  private busyRemark(channel: Channel): string | undefined {
    const { maxInFlightPerConnection, writeHighWaterBytes } = this.limits;
    if (channel.inFlight >= maxInFlightPerConnection)
      return `[TOO_MANY_REQUESTS] over ${maxInFlightPerConnection} in flight on this connection`;
    // Requests read in the same chunk as the one that crossed the high water: reading has
    // stopped, and these must not add full responses to the backlog either.
    if (channel.connection.pendingWriteBytes > writeHighWaterBytes)
      return `[TOO_MANY_REQUESTS] over ${writeHighWaterBytes} response bytes unread on this connection`;
    return undefined;
  }

  private dispatch(channel: Channel, request: RemotingCommand, serializeType: number): void {
    if (isResponse(request)) return; // Responses to our oneway notifications: none expected.
    channel.serializeType = serializeType;
    const onAnswered = this.options.onAnswered;
    const started = onAnswered === undefined ? 0 : performance.now();
    const respond = (response: RemotingCommand | undefined): void => {
      if (response === undefined) return;
      onAnswered?.(request.code, response.code, performance.now() - started);
      if (!isOneway(request)) channel.send(response, serializeType);
    };
    const refusal = this.options.authorize?.(request, channel);
    if (refusal !== undefined) return respond(refusal);
    const processor = this.processors.get(request.code);
    if (processor === undefined) {
      return respond(
        responseTo(request, RESPONSE_CODE.REQUEST_CODE_NOT_SUPPORTED, `request code ${request.code} not supported`),
      );
    }
    const busy = this.busyRemark(channel);
    if (busy !== undefined) {
      this.counters.busyRefusals++;
      return respond(responseTo(request, RESPONSE_CODE.SYSTEM_BUSY, busy));
    }
    channel.inFlight++;
    const fail = (error: unknown): RemotingCommand => {
      this.options.onProcessorError?.(error, request);
      return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, error instanceof Error ? error.message : String(error));
    };
    let outcome: RemotingCommand | undefined | Promise<RemotingCommand | undefined>;
    try {
      outcome = processor(request, channel);
    } catch (error) {
      outcome = fail(error);
    }
    if (outcome instanceof Promise) {
      // One reaction per request: a .finally() would cost another promise and microtask.
      outcome.then(
        (response) => {
          channel.inFlight--;
          respond(response);
        },
        (error: unknown) => {
          channel.inFlight--;
          respond(fail(error));
        },
      );
    } else {
      channel.inFlight--;
      respond(outcome);
    }
  }
}

/** A peer hanging up abruptly is normal life for a server, not a protocol error. */
function isPeerReset(error: Error): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT';
}
