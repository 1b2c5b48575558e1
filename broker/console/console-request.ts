// Runs a processor's handler on a request built from a console form, so the console's
// actions take the same path (validation, state machine commands, notifications) as the
// Admin API's requests over the remoting port.
import { ExtFieldReader } from '../../protocol/ext-field-reader.js';
import { PROTOCOL_VERSION, type ExtFieldValue, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';

export type ProcessorHandler = (
  request: RemotingCommand,
  fields: ExtFieldReader,
) => RemotingCommand | Promise<RemotingCommand>;

export interface ConsoleOutcome {
  readonly ok: boolean;
  /** The response's remark, or its code when it has none. */
  readonly remark: string;
  readonly extFields: Readonly<Record<string, ExtFieldValue>>;
}

export async function runConsoleRequest(
  code: number,
  handler: ProcessorHandler,
  extFields: Record<string, ExtFieldValue>,
): Promise<ConsoleOutcome> {
  const request: RemotingCommand = {
    code,
    language: 'NODE_JS',
    version: PROTOCOL_VERSION,
    opaque: 0,
    flag: 0,
    extFields,
  };
  const response = await handler(request, new ExtFieldReader(extFields));
  return {
    ok: response.code === RESPONSE_CODE.SUCCESS,
    remark: response.remark ?? `response code ${response.code}`,
    extFields: response.extFields ?? {},
  };
}
