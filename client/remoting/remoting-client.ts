// The client side of the remoting protocol: one connection per address, reused by every
// request; requests matched to responses by `opaque`; a timeout per request after which a
// late response is dropped; oneway requests; reconnection with exponential backoff after a
// failed connect; and requests from the server (NOTIFY_CONSUMER_IDS_CHANGED,
// CHECK_TRANSACTION_STATE) handed to a handler. With credentials, every request is signed
// (request-signature.ts); with TLS options, every connection is TLS and counts as connected
// only once the handshake (and so the server's certificate check) has passed.
//
// A timed-out request fails alone while its connection shows life. With `dropSilentOnTimeout`,
// the connection is closed (failing its other requests, so the next one reconnects) only when
// no frame at all arrived on it since the timed-out request was written: the sign of a peer
// gone without a FIN or a blackholed link, which TCP itself would take minutes to notice.
import net from 'node:net';
import tls from 'node:tls';

import {
  COMMAND_FLAG,
  PROTOCOL_VERSION,
  SERIALIZE_TYPE,
  isOneway,
  isResponse,
  responseTo,
  type ExtFields,
  type RemotingCommand,
} from '../../protocol/remoting-command.js';
import { RemotingConnection } from '../../protocol/remoting-connection.js';
import { RemotingError } from '../../protocol/remoting-error.js';
import { signedExtFields, type AccessCredentials } from '../../protocol/request-signature.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';

export const CONNECT_TIMEOUT_MS_DEFAULT = 3000;
export const RECONNECT_BACKOFF_MS_MIN = 100;
export const RECONNECT_BACKOFF_MS_MAX = 5000;

export interface RemotingClientOptions {
  /** Header encoding for requests: msgpack (Tributary's own) or json (RocketMQ 4.x). */
  readonly serializeType?: number;
  readonly connectTimeoutMs?: number;
  /** Signs every request for a broker with access control on. */
  readonly credentials?: AccessCredentials;
  /** Connects with TLS using these options (see client-tls-options.ts); plain TCP without. */
  readonly tls?: tls.ConnectionOptions;
  /** Handles a request the server sends; return a response, or undefined for none. */
  readonly onRequest?: (
    request: RemotingCommand,
    address: string,
  ) => RemotingCommand | undefined | Promise<RemotingCommand | undefined>;
  /** Called when an established connection to `address` closes (lock holders learn of it). */
  readonly onDisconnect?: (address: string) => void;
  /** Closes a connection on which nothing arrived since a request that timed out was sent. */
  readonly dropSilentOnTimeout?: boolean;
}

export interface RequestSpec {
  code: number;
  extFields?: ExtFields;
  body?: Buffer | readonly Buffer[];
}

interface Pending {
  readonly resolve: (response: RemotingCommand) => void;
  readonly reject: (error: RemotingError) => void;
  readonly timer: NodeJS.Timeout;
  readonly address: string;
}

interface Slot {
  connection: RemotingConnection | undefined;
  /** Frames received on `connection` (a count, not a clock: read once per frame, and exact). */
  framesReceived: number;
  connecting: Promise<RemotingConnection> | undefined;
  failures: number;
  retryAt: number;
  lastError: Error | undefined;
}

export class RemotingClient {
  private readonly pending = new Map<number, Pending>();
  private readonly slots = new Map<string, Slot>();
  private nextOpaque = 1;
  private closed = false;
  private readonly serializeType: number;

  constructor(private readonly options: RemotingClientOptions = {}) {
    this.serializeType = options.serializeType ?? SERIALIZE_TYPE.msgpack;
  }

  /**
   * Sends a request and resolves with its response, or rejects on timeout or disconnect. On an
   * open connection the request is written before this returns: one promise, no await.
   */
  invoke(address: string, request: RequestSpec, timeoutMs: number): Promise<RemotingCommand> {
    const slot = this.closed ? undefined : this.slots.get(address);
    const open = slot?.connection;
    if (slot !== undefined && open !== undefined && !open.isClosed)
      return this.sendOn(open, slot, address, request, timeoutMs);
    return this.connection(address).then((connection) => {
      const connected = this.slots.get(address);
      if (connected === undefined) throw new RemotingError('CLIENT_CLOSED'); // Closed while connecting.
      return this.sendOn(connection, connected, address, request, timeoutMs);
    });
  }

  private sendOn(
    connection: RemotingConnection,
    slot: Slot,
    address: string,
    request: RequestSpec,
    timeoutMs: number,
  ): Promise<RemotingCommand> {
    const opaque = this.takeOpaque();
    const framesAtSend = slot.framesReceived;
    return new Promise<RemotingCommand>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(opaque)) return;
        reject(new RemotingError('TIMEOUT', `${timeoutMs} ms to ${address}`));
        if (
          this.options.dropSilentOnTimeout === true &&
          slot.connection === connection &&
          slot.framesReceived === framesAtSend
        )
          connection.close(
            new RemotingError('CONNECTION_CLOSED', `nothing received from ${address} for ${timeoutMs} ms`),
          );
      }, timeoutMs);
      this.pending.set(opaque, { resolve, reject, timer, address });
      connection.send(this.command(request, opaque, 0), this.serializeType);
    });
  }

  /** Sends a request that gets no response. */
  async invokeOneway(address: string, request: RequestSpec): Promise<void> {
    const connection = await this.connection(address);
    connection.send(this.command(request, this.takeOpaque(), COMMAND_FLAG.oneway), this.serializeType);
  }

  /** Requests awaiting a response. */
  get inFlight(): number {
    return this.pending.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const slot of this.slots.values()) slot.connection?.close(new RemotingError('CLIENT_CLOSED'));
    this.slots.clear();
    for (const [opaque, pending] of this.pending) {
      clearTimeout(pending.timer);
      this.pending.delete(opaque);
      pending.reject(new RemotingError('CLIENT_CLOSED'));
    }
  }

  private command(request: RequestSpec, opaque: number, flag: number): RemotingCommand {
    const { credentials } = this.options;
    return {
      code: request.code,
      language: 'NODE_JS',
      version: PROTOCOL_VERSION,
      opaque,
      flag,
      extFields:
        credentials === undefined
          ? request.extFields
          : signedExtFields(credentials, request.extFields, request.body, request.code),
      body: request.body,
    };
  }

  private takeOpaque(): number {
    const opaque = this.nextOpaque;
    this.nextOpaque = opaque >= 0x7fffffff ? 1 : opaque + 1;
    return opaque;
  }

  private connection(address: string): Promise<RemotingConnection> {
    if (this.closed) return Promise.reject(new RemotingError('CLIENT_CLOSED'));
    let slot = this.slots.get(address);
    if (slot === undefined) {
      slot = {
        connection: undefined,
        framesReceived: 0,
        connecting: undefined,
        failures: 0,
        retryAt: 0,
        lastError: undefined,
      };
      this.slots.set(address, slot);
    }
    if (slot.connection !== undefined && !slot.connection.isClosed) return Promise.resolve(slot.connection);
    if (slot.connecting !== undefined) return slot.connecting;
    if (Date.now() < slot.retryAt) {
      return Promise.reject(new RemotingError('CONNECT_FAILED', `${address} (backing off)`, { cause: slot.lastError }));
    }
    const connecting = this.connect(address, slot);
    slot.connecting = connecting;
    return connecting;
  }

  private connect(address: string, slot: Slot): Promise<RemotingConnection> {
    const [host, portText] = splitAddress(address);
    return new Promise<RemotingConnection>((resolve, reject) => {
      const port = Number(portText);
      const secure = this.options.tls;
      const socket = secure === undefined ? net.connect({ host, port }) : tls.connect({ ...secure, host, port });
      const timer = setTimeout(
        () => socket.destroy(new Error('connect timeout')),
        this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT,
      );
      socket.once(secure === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        slot.connecting = undefined;
        slot.failures = 0;
        const connection = new RemotingConnection(socket, {
          onCommand: (command, serializeType) => {
            slot.framesReceived++;
            this.onCommand(address, connection, command, serializeType);
          },
          onClose: (error) => this.onClose(address, connection, error),
        });
        slot.connection = connection;
        resolve(connection);
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        if (slot.connection !== undefined) return;
        slot.connecting = undefined;
        slot.failures++;
        slot.lastError = error;
        slot.retryAt =
          Date.now() + Math.min(RECONNECT_BACKOFF_MS_MAX, RECONNECT_BACKOFF_MS_MIN * 2 ** (slot.failures - 1));
        socket.destroy();
        reject(new RemotingError('CONNECT_FAILED', address, { cause: error }));
      });
    });
  }

  private onCommand(
    address: string,
    connection: RemotingConnection,
    command: RemotingCommand,
    serializeType: number,
  ): void {
    if (isResponse(command)) {
      const pending = this.pending.get(command.opaque);
      if (pending === undefined) return; // Late response of a timed-out request: dropped.
      this.pending.delete(command.opaque);
      clearTimeout(pending.timer);
      pending.resolve(command);
      return;
    }
    const handler = this.options.onRequest;
    const reply = (response: RemotingCommand | undefined): void => {
      if (response !== undefined && !isOneway(command)) connection.send(response, serializeType);
    };
    if (handler === undefined)
      return reply(responseTo(command, RESPONSE_CODE.REQUEST_CODE_NOT_SUPPORTED, 'no handler'));
    void Promise.resolve(handler(command, address)).then(reply, (error: unknown) =>
      reply(responseTo(command, RESPONSE_CODE.SYSTEM_ERROR, String(error))),
    );
  }

  private onClose(address: string, connection: RemotingConnection, error: Error | undefined): void {
    const slot = this.slots.get(address);
    if (slot?.connection === connection) slot.connection = undefined;
    if (!this.closed) this.options.onDisconnect?.(address);
    for (const [opaque, pending] of this.pending) {
      if (pending.address !== address) continue;
      this.pending.delete(opaque);
      clearTimeout(pending.timer);
      pending.reject(new RemotingError('CONNECTION_CLOSED', address, { cause: error }));
    }
  }
}

/** 'host:port' split at the last colon. */
export function splitAddress(address: string): [string, string] {
  const colon = address.lastIndexOf(':');
  return colon < 0 ? [address, '0'] : [address.slice(0, colon), address.slice(colon + 1)];
}
