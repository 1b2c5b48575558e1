// A broker's or name server's answer as its body, or the refusal as a typed ClientError.
import { ClientError } from './client-error.js';
import type { RemotingCommand } from '../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../protocol/response-code.js';

export function expectSuccess(response: RemotingCommand, what: string): Buffer {
  if (response.code !== RESPONSE_CODE.SUCCESS) throw ClientError.fromResponse(response.code, response.remark, what);
  return (response.body as Buffer | undefined) ?? Buffer.alloc(0);
}
