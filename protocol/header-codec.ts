// Picks the header codec by serialize type, in both directions.
import { decodeJsonHeader, encodeJsonHeader } from './json-header-codec.js';
import { decodeMsgpackHeader, encodeMsgpackHeader } from './msgpack-header-codec.js';
import { SERIALIZE_TYPE, type RemotingCommand } from './remoting-command.js';
import { RemotingError } from './remoting-error.js';
import { decodeRocketmqHeader, encodeRocketmqHeader } from './rocketmq-header-codec.js';
import { encodeFrame, type RawFrame } from './remoting-frame.js';

export const HeaderCodec = {
  encode(command: RemotingCommand, serializeType: number): Buffer {
    switch (serializeType) {
      case SERIALIZE_TYPE.json:
        return encodeJsonHeader(command);
      case SERIALIZE_TYPE.msgpack:
        return encodeMsgpackHeader(command);
      case SERIALIZE_TYPE.rocketmq:
        return encodeRocketmqHeader(command);
      default:
        throw new RemotingError('UNSUPPORTED_SERIALIZE_TYPE', String(serializeType));
    }
  },

  /** Decodes a frame's header; the frame's body becomes the command's body. */
  decode(frame: RawFrame): RemotingCommand {
    let command: RemotingCommand;
    switch (frame.serializeType) {
      case SERIALIZE_TYPE.json:
        command = decodeJsonHeader(frame.header);
        break;
      case SERIALIZE_TYPE.msgpack:
        command = decodeMsgpackHeader(frame.header);
        break;
      case SERIALIZE_TYPE.rocketmq:
        command = decodeRocketmqHeader(frame.header);
        break;
      default:
        throw new RemotingError('UNSUPPORTED_SERIALIZE_TYPE', String(frame.serializeType));
    }
    if (frame.body.length > 0) command.body = frame.body;
    return command;
  },

  /** The buffers of a whole frame for `command`. */
  frame(command: RemotingCommand, serializeType: number): Buffer[] {
    return encodeFrame(serializeType, HeaderCodec.encode(command, serializeType), command.body);
  },
};
