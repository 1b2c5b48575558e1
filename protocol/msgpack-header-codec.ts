// The msgpack header (serialize type 2), used between Tributary's own client and broker. It
// carries the JSON header's fields under one-letter keys, with the language as its number:
//
// | key | field     | type                                  |
// |-----|-----------|---------------------------------------|
// | c   | code      | integer                               |
// | l   | language  | integer (LANGUAGE_CODE)               |
// | v   | version   | integer                               |
// | o   | opaque    | integer                               |
// | f   | flag      | integer                               |
// | r   | remark    | string, absent when none              |
// | x   | extFields | map of string to string/number/bool   |
import { Packr } from 'msgpackr';

import { requireExtFields, requireInteger } from './json-header-codec.js';
import { LANGUAGE_CODE, type RemotingCommand } from './remoting-command.js';
import { RemotingError } from './remoting-error.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number', variableMapSize: true });
const LANGUAGE_NAMES = new Map<number, string>(Object.entries(LANGUAGE_CODE).map(([name, code]) => [code, name]));

interface PackedHeader {
  c: number;
  l: number;
  v: number;
  o: number;
  f: number;
  r?: string;
  x?: Record<string, unknown>;
}

export function encodeMsgpackHeader(command: RemotingCommand): Buffer {
  const header: PackedHeader = {
    c: command.code,
    l: (LANGUAGE_CODE as Record<string, number>)[command.language] ?? LANGUAGE_CODE.OTHER,
    v: command.version,
    o: command.opaque,
    f: command.flag,
  };
  if (command.remark !== undefined) header.r = command.remark;
  if (command.extFields !== undefined) header.x = command.extFields;
  return packr.pack(header);
}

export function decodeMsgpackHeader(bytes: Buffer): RemotingCommand {
  let parsed: unknown;
  try {
    parsed = packr.unpack(bytes);
  } catch (error) {
    throw new RemotingError('MALFORMED_HEADER', 'invalid msgpack', { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RemotingError('MALFORMED_HEADER', 'the header is not a map');
  }
  const header = parsed as Partial<Record<keyof PackedHeader, unknown>>;
  const language = header.l === undefined ? LANGUAGE_CODE.OTHER : requireInteger(header.l, 'language');
  return {
    code: requireInteger(header.c, 'code'),
    language: LANGUAGE_NAMES.get(language) ?? 'OTHER',
    version: header.v === undefined ? 0 : requireInteger(header.v, 'version'),
    opaque: requireInteger(header.o, 'opaque'),
    flag: header.f === undefined ? 0 : requireInteger(header.f, 'flag'),
    remark: typeof header.r === 'string' ? header.r : undefined,
    extFields: header.x === undefined || header.x === null ? undefined : requireExtFields(header.x),
  };
}
