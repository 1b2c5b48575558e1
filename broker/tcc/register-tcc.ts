// The TCC coordinator's requests (TCC_* in protocol/request-code.ts), registered on the broker's
// server. Header fields:
//
//   TCC_BEGIN                 timeoutMs?                       -> extFields xid
//   TCC_TRY                   xid, resource, timeoutMs?; body = try payload
//   TCC_COMMIT / TCC_ROLLBACK xid
//   TCC_REGISTER_PARTICIPANT  resources (comma separated)
//   TCC_BRANCH_REPORT         xid, resource, action, ok, empty?, reason?
//   TCC_STATUS                xid                              -> body TccGlobalStatus (JSON)
//   TCC_LIST                  finished? (count)                -> body { globals } (JSON)
import { ExtFieldReader, HeaderFieldError } from '../../protocol/ext-field-reader.js';
import { bodyOf, responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { isTccAction } from '../../protocol/tcc-status.js';
import type { Channel, RemotingServer } from '../../server/remoting-server.js';
import type { BrokerContext } from '../broker-context.js';
import {
  TCC_FINISHED_GLOBALS_KEPT_MAX,
  TCC_GLOBAL_TIMEOUT_MS_DEFAULT,
  TCC_PAYLOAD_BYTES_MAX,
  TCC_RESOURCE_NAME_LENGTH_MAX,
  TCC_TRY_TIMEOUT_MS_DEFAULT,
} from './tcc-constants.js';
import { TccCoordinator } from './tcc-coordinator.js';
import { TccRefusal } from './tcc-refusal.js';

const RESOURCE_NAME_PATTERN = /^[A-Za-z0-9_.:-]+$/;
const LIST_FINISHED_DEFAULT = 20;

type Handler = (fields: ExtFieldReader, request: RemotingCommand, channel: Channel) => Promise<RemotingCommand>;

/** Starts the coordinator on the broker's TCC log and serves its requests; returns its stop. */
export function registerTcc(server: RemotingServer, context: BrokerContext): { stop(): void } {
  const coordinator = new TccCoordinator(context.tcc, context.options.onError);
  const ok = (request: RemotingCommand, extFields?: Record<string, string>, body?: Buffer): RemotingCommand =>
    responseTo(request, RESPONSE_CODE.SUCCESS, undefined, extFields, body);
  const json = (request: RemotingCommand, value: unknown): RemotingCommand =>
    ok(request, undefined, Buffer.from(JSON.stringify(value)));
  const handlers: [number, Handler][] = [
    [
      REQUEST_CODE.TCC_BEGIN,
      async (f, r) =>
        ok(r, { xid: await coordinator.begin(f.optionalInteger('timeoutMs') ?? TCC_GLOBAL_TIMEOUT_MS_DEFAULT) }),
    ],
    [
      REQUEST_CODE.TCC_TRY,
      async (f, r) => {
        const payload = bodyOf(r);
        if (payload.length > TCC_PAYLOAD_BYTES_MAX)
          throw new HeaderFieldError(`payload over ${TCC_PAYLOAD_BYTES_MAX} bytes`);
        const timeoutMs = f.optionalInteger('timeoutMs') ?? TCC_TRY_TIMEOUT_MS_DEFAULT;
        await coordinator.tryBranch(f.string('xid'), resourceName(f.string('resource')), payload, timeoutMs);
        return ok(r);
      },
    ],
    [REQUEST_CODE.TCC_COMMIT, async (f, r) => (await coordinator.commit(f.string('xid')), ok(r))],
    [REQUEST_CODE.TCC_ROLLBACK, async (f, r) => (await coordinator.rollback(f.string('xid')), ok(r))],
    [
      REQUEST_CODE.TCC_REGISTER_PARTICIPANT,
      async (f, r, channel) => {
        coordinator.registerParticipant(channel, f.string('resources').split(',').map(resourceName));
        return ok(r);
      },
    ],
    [
      REQUEST_CODE.TCC_BRANCH_REPORT,
      async (f, r) => {
        const action = f.string('action');
        if (!isTccAction(action)) throw new HeaderFieldError(`action must be try, confirm or cancel`);
        const report = { xid: f.string('xid'), resource: f.string('resource'), action };
        coordinator.report({
          ...report,
          ok: f.boolean('ok', false),
          empty: f.boolean('empty', false),
          reason: f.optionalString('reason') ?? '',
        });
        return ok(r);
      },
    ],
    [REQUEST_CODE.TCC_STATUS, async (f, r) => json(r, coordinator.status(f.string('xid')))],
    [
      REQUEST_CODE.TCC_LIST,
      async (f, r) => {
        const finished = Math.min(
          f.optionalInteger('finished') ?? LIST_FINISHED_DEFAULT,
          TCC_FINISHED_GLOBALS_KEPT_MAX,
        );
        return json(r, { globals: coordinator.list(Math.max(0, finished)) });
      },
    ],
  ];
  for (const [code, handler] of handlers)
    server.register(code, (request, channel) =>
      answer(request, () => handler(new ExtFieldReader(request.extFields), request, channel)),
    );
  server.onChannelClosed((channel) => coordinator.channelClosed(channel));
  coordinator.start();
  return { stop: () => coordinator.stop() };
}

async function answer(request: RemotingCommand, run: () => Promise<RemotingCommand>): Promise<RemotingCommand> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof TccRefusal) return responseTo(request, error.responseCode, error.message);
    if (error instanceof HeaderFieldError) return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, error.message);
    throw error;
  }
}

function resourceName(name: string): string {
  if (name.length === 0 || name.length > TCC_RESOURCE_NAME_LENGTH_MAX || !RESOURCE_NAME_PATTERN.test(name))
    throw new HeaderFieldError(`resource name must be 1..${TCC_RESOURCE_NAME_LENGTH_MAX} of [A-Za-z0-9_.:-]`);
  return name;
}
