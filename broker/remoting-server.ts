// The server side of the remoting protocol, shared by the broker and the name server. It
// accepts connections, decodes requests and hands each to the processor registered for its
// code. Unknown codes get REQUEST_CODE_NOT_SUPPORTED. Each connection may have at most
// `maxInFlightPerConnection` requests being processed (held long polls included); beyond
// that the server answers SYSTEM_BUSY at once instead of queueing without bound. Responses
// use the request's header encoding.
import net from 'node:net';

import {
  COMMAND_FLAG,
  PROTOCOL_VERSION,
  isOneway,
  isResponse,
  responseTo,
  type RemotingCommand,
} from '../client/remoting/remoting-command.js';
import { RemotingConnection } from '../client/remoting/remoting-connection.js';
import { RESPONSE_CODE } from '../client/remoting/response-code.js';

export const MAX_IN_FLIGHT_PER_CONNECTION_DEFAULT = 4096;

/** A connected client as processors see it. */
export class Channel {
  inFlight = 0;
  private nextOpaque = 1;
  /** Header encoding of the last request, used for requests we send to this client. */
  serializeType = 0;

  constructor(
    readonly id: number,
    readonly connection: RemotingConnection,
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
    return this.connection.send(command, this.serializeType);
  }
}

export type Processor = (
  request: RemotingCommand,
  channel: Channel,
) => RemotingCommand | undefined | Promise<RemotingCommand | undefined>;

export interface RemotingServerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxInFlightPerConnection?: number;
  readonly maxFrameBytes?: number;
  readonly writeHighWaterBytes?: number;
  /** Called when a processor throws: the server answers SYSTEM_ERROR and reports it here. */
  readonly onProcessorError?: (error: unknown, request: RemotingCommand) => void;
  /** Called when a connection is closed for a protocol error (a malformed frame or header). */
  readonly onConnectionError?: (error: Error, remoteAddress: string) => void;
}

export class RemotingServer {
  private readonly processors = new Map<number, Processor>();
  private readonly server: net.Server;
  readonly channels = new Set<Channel>();
  private nextChannelId = 1;
  private readonly channelClosedListeners: ((channel: Channel) => void)[] = [];

  constructor(private readonly options: RemotingServerOptions) {
    this.server = net.createServer((socket) => this.accept(socket));
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
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const channel of this.channels) channel.connection.close();
    await closed;
  }

  private accept(socket: net.Socket): void {
    let channel: Channel | undefined;
    const connection = new RemotingConnection(
      socket,
      {
        onCommand: (command, serializeType) => this.dispatch(channel!, command, serializeType),
        onClose: (error) => {
          if (error !== undefined && !isPeerReset(error))
            this.options.onConnectionError?.(error, channel!.remoteAddress);
          this.channels.delete(channel!);
          for (const listener of this.channelClosedListeners) listener(channel!);
        },
      },
      { maxFrameBytes: this.options.maxFrameBytes, writeHighWaterBytes: this.options.writeHighWaterBytes },
    );
    channel = new Channel(this.nextChannelId++, connection);
    this.channels.add(channel);
  }

  private dispatch(channel: Channel, request: RemotingCommand, serializeType: number): void {
    if (isResponse(request)) return; // Responses to our oneway notifications: none expected.
    channel.serializeType = serializeType;
    const respond = (response: RemotingCommand | undefined): void => {
      if (response !== undefined && !isOneway(request)) channel.connection.send(response, serializeType);
    };
    const processor = this.processors.get(request.code);
    if (processor === undefined) {
      return respond(
        responseTo(request, RESPONSE_CODE.REQUEST_CODE_NOT_SUPPORTED, `request code ${request.code} not supported`),
      );
    }
    const limit = this.options.maxInFlightPerConnection ?? MAX_IN_FLIGHT_PER_CONNECTION_DEFAULT;
    if (channel.inFlight >= limit) {
      return respond(
        responseTo(
          request,
          RESPONSE_CODE.SYSTEM_BUSY,
          `[TOO_MANY_REQUESTS] over ${limit} in flight on this connection`,
        ),
      );
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
      outcome.then(respond, (error: unknown) => respond(fail(error))).finally(() => channel.inFlight--);
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
