// The JSON header (serialize type 0), as RocketMQ 4.x clients write it, e.g.
//   {"code":105,"language":"JAVA","opaque":1,"flag":0,"version":121,"extFields":{"topic":"T"}}
// extFields values arrive as strings, numbers or booleans (ali-ons keeps JS types); anything
// else, or a missing integer field, makes the header malformed.
import { RemotingError } from './remoting-error.js';
import type { ExtFields, RemotingCommand } from './remoting-command.js';

export function encodeJsonHeader(command: RemotingCommand): Buffer {
  const header: Record<string, unknown> = {
    code: command.code,
    language: command.language,
    version: command.version,
    opaque: command.opaque,
    flag: command.flag,
  };
  if (command.remark !== undefined) header.remark = command.remark;
  if (command.extFields !== undefined) header.extFields = command.extFields;
  header.serializeTypeCurrentRPC = 'JSON';
  return Buffer.from(JSON.stringify(header), 'utf8');
}

export function decodeJsonHeader(bytes: Buffer): RemotingCommand {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new RemotingError('MALFORMED_HEADER', 'invalid JSON', { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RemotingError('MALFORMED_HEADER', 'the header is not a JSON object');
  }
  const header = parsed as Record<string, unknown>;
  return {
    code: requireInteger(header.code, 'code'),
    language: typeof header.language === 'string' ? header.language : 'OTHER',
    version: header.version === undefined ? 0 : requireInteger(header.version, 'version'),
    opaque: requireInteger(header.opaque, 'opaque'),
    flag: header.flag === undefined ? 0 : requireInteger(header.flag, 'flag'),
    remark: typeof header.remark === 'string' ? header.remark : undefined,
    extFields:
      header.extFields === undefined || header.extFields === null ? undefined : requireExtFields(header.extFields),
  };
}

export function requireInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new RemotingError('MALFORMED_HEADER', `${name} must be an integer`);
  }
  return value;
}

/**
 * Checks extFields is a flat map of primitives and returns it as a null-prototype object,
 * made in place: `value` is a freshly decoded object nothing else holds. (Copying into a new
 * Object.create(null) turned every header into a dictionary-mode object, ~1 µs per request
 * to build and slower to read; native-bench/README.md, "Single send and end to end".)
 */
export function requireExtFields(value: unknown): ExtFields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RemotingError('MALFORMED_HEADER', 'extFields must be an object');
  }
  const fields = value as Record<string, unknown>;
  // A freshly decoded object has only own keys (a decoded "__proto__" is an own field), and
  // for-in allocates no key array as Object.keys does.
  for (const name in fields) {
    const field = fields[name];
    const type = typeof field;
    if (type === 'string' || type === 'number' || type === 'boolean') continue;
    if (field !== null && field !== undefined) {
      throw new RemotingError('MALFORMED_HEADER', `extFields.${name} must be a primitive`);
    }
    delete fields[name];
  }
  return Object.setPrototypeOf(fields, null) as ExtFields;
}
