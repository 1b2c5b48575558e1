// A remoting command: a request or a response, as both sides of the wire see it.

export type ExtFieldValue = string | number | boolean;
export type ExtFields = Record<string, ExtFieldValue>;

/** Header serialize types: the high byte of the frame's header-length word. */
export const SERIALIZE_TYPE = {
  /** What RocketMQ 4.x clients send; a response uses the request's type. */
  json: 0,
  /** RocketMQ's binary header (RocketMQ's RocketMQSerializable). Decoded, never sent. */
  rocketmq: 1,
  /** Tributary's own client: the same fields packed with msgpackr. */
  msgpack: 2,
} as const;

export type SerializeType = (typeof SERIALIZE_TYPE)[keyof typeof SERIALIZE_TYPE];

/** Bits of `flag`. */
export const COMMAND_FLAG = { response: 1, oneway: 2 } as const;

/** RocketMQ's LanguageCode names; JSON headers carry the name. */
export const LANGUAGE_CODE = {
  JAVA: 0,
  CPP: 1,
  DOTNET: 2,
  PYTHON: 3,
  DELPHI: 4,
  ERLANG: 5,
  RUBY: 6,
  OTHER: 7,
  HTTP: 8,
  GO: 9,
  PHP: 10,
  OMS: 11,
  RUST: 12,
  NODE_JS: 13,
} as const;

/** MQVersion ordinal we report: V4_9_4. Clients only compare it against small thresholds. */
export const PROTOCOL_VERSION = 401;

export interface RemotingCommand {
  code: number;
  language: string;
  version: number;
  opaque: number;
  flag: number;
  remark?: string | undefined;
  extFields?: ExtFields | undefined;
  /** One buffer, or several written back to back (a pull response's records). */
  body?: Buffer | readonly Buffer[] | undefined;
  /**
   * Local only, never encoded: called once the frame has been handed to the kernel (or the
   * connection is gone), so a sender can release memory the body's buffers point into.
   */
  afterWrite?: (() => void) | undefined;
  /**
   * Local only, never encoded: written at once, with whatever this tick wrote before it,
   * instead of at the end of the tick (a held pull answered: a consumer waits for it).
   */
  urgent?: boolean | undefined;
}

export function isResponse(command: RemotingCommand): boolean {
  return (command.flag & COMMAND_FLAG.response) !== 0;
}

export function isOneway(command: RemotingCommand): boolean {
  return (command.flag & COMMAND_FLAG.oneway) !== 0;
}

/** The body as one buffer (joining parts if needed); empty when absent. */
export function bodyOf(command: RemotingCommand): Buffer {
  const { body } = command;
  if (body === undefined) return EMPTY_BODY;
  return Buffer.isBuffer(body) ? body : Buffer.concat(body as Buffer[]);
}

const EMPTY_BODY = Buffer.alloc(0);

/** The response to `request`: same opaque, the response flag, and the given outcome. */
export function responseTo(
  request: RemotingCommand,
  code: number,
  remark?: string,
  extFields?: ExtFields,
  body?: Buffer | readonly Buffer[],
): RemotingCommand {
  return {
    code,
    language: 'JAVA',
    version: PROTOCOL_VERSION,
    opaque: request.opaque,
    flag: COMMAND_FLAG.response,
    remark,
    extFields,
    body,
  };
}
