// RocketMQ's binary header (serialize type 1), big-endian. Java clients may be configured to
// send it; a response must then use it too.
//
// | bytes | field      | notes                                                |
// |-------|------------|------------------------------------------------------|
// |     2 | code       | int16                                                |
// |     1 | language   | int8, LANGUAGE_CODE                                  |
// |     2 | version    | int16                                                |
// |     4 | opaque     | int32                                                |
// |     4 | flag       | int32                                                |
// | 4 + n | remark     | int32 length (0 = none), UTF-8                       |
// | 4 + m | extFields  | int32 length, then { int16 keyLength, key, int32     |
// |       |            | valueLength, value }*, all UTF-8 strings             |
import { LANGUAGE_CODE, type ExtFields, type RemotingCommand } from './remoting-command.js';
import { RemotingError } from './remoting-error.js';

const LANGUAGE_NAMES = new Map<number, string>(Object.entries(LANGUAGE_CODE).map(([name, code]) => [code, name]));

export function encodeRocketmqHeader(command: RemotingCommand): Buffer {
  const remark = command.remark === undefined ? undefined : Buffer.from(command.remark, 'utf8');
  const pairs: Buffer[] = [];
  for (const [name, value] of Object.entries(command.extFields ?? {})) {
    const key = Buffer.from(name, 'utf8');
    const text = Buffer.from(String(value), 'utf8');
    const pair = Buffer.allocUnsafe(2 + key.length + 4 + text.length);
    pair.writeInt16BE(key.length, 0);
    key.copy(pair, 2);
    pair.writeInt32BE(text.length, 2 + key.length);
    text.copy(pair, 6 + key.length);
    pairs.push(pair);
  }
  const ext = Buffer.concat(pairs);
  const fixed = Buffer.allocUnsafe(13 + 4);
  fixed.writeInt16BE(command.code, 0);
  fixed.writeInt8((LANGUAGE_CODE as Record<string, number>)[command.language] ?? LANGUAGE_CODE.OTHER, 2);
  fixed.writeInt16BE(command.version, 3);
  fixed.writeInt32BE(command.opaque, 5);
  fixed.writeInt32BE(command.flag, 9);
  fixed.writeInt32BE(remark?.length ?? 0, 13);
  const extLength = Buffer.allocUnsafe(4);
  extLength.writeInt32BE(ext.length, 0);
  return Buffer.concat([fixed, remark ?? Buffer.alloc(0), extLength, ext]);
}

export function decodeRocketmqHeader(bytes: Buffer): RemotingCommand {
  let at = 0;
  const need = (count: number): void => {
    if (count < 0 || at + count > bytes.length) throw new RemotingError('MALFORMED_HEADER', 'binary header truncated');
  };
  need(17);
  const code = bytes.readInt16BE(0);
  const language = LANGUAGE_NAMES.get(bytes.readInt8(2)) ?? 'OTHER';
  const version = bytes.readInt16BE(3);
  const opaque = bytes.readInt32BE(5);
  const flag = bytes.readInt32BE(9);
  const remarkLength = bytes.readInt32BE(13);
  at = 17;
  need(remarkLength);
  const remark = remarkLength > 0 ? bytes.toString('utf8', at, at + remarkLength) : undefined;
  at += remarkLength;
  need(4);
  const extLength = bytes.readInt32BE(at);
  at += 4;
  need(extLength);
  const extEnd = at + extLength;
  const extFields: ExtFields = Object.create(null) as ExtFields;
  while (at < extEnd) {
    need(2);
    const keyLength = bytes.readInt16BE(at);
    at += 2;
    // Negative lengths would walk backwards and could loop forever.
    if (keyLength < 0) throw new RemotingError('MALFORMED_HEADER', `negative extFields key length ${keyLength}`);
    need(keyLength + 4);
    const key = bytes.toString('utf8', at, at + keyLength);
    at += keyLength;
    const valueLength = bytes.readInt32BE(at);
    at += 4;
    if (valueLength < 0) throw new RemotingError('MALFORMED_HEADER', `negative extFields value length ${valueLength}`);
    need(valueLength);
    if (at + valueLength > extEnd) throw new RemotingError('MALFORMED_HEADER', 'extFields overrun');
    extFields[key] = bytes.toString('utf8', at, at + valueLength);
    at += valueLength;
  }
  return { code, language, version, opaque, flag, remark, extFields: extLength > 0 ? extFields : undefined };
}
