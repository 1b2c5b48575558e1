// The answer to a request over a quota: SYSTEM_BUSY, as RocketMQ answers an overloaded broker
// (clients already back off on it), with the ext field retryAfterMs saying when the quota will
// admit it. Tributary's producer and consumer wait that long before retrying.
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { RETRY_AFTER_FIELD } from '../../protocol/retry-after-field.js';
import { ACL_FIELD } from '../../protocol/request-signature.js';
import type { QuotaEnforcer } from './quota-enforcer.js';

export function quotaBusyResponse(request: RemotingCommand, what: string, retryAfterMs: number): RemotingCommand {
  return responseTo(
    request,
    RESPONSE_CODE.SYSTEM_BUSY,
    `[QUOTA] ${what} is over its quota; retry after ${retryAfterMs} ms`,
    {
      [RETRY_AFTER_FIELD]: retryAfterMs,
    },
  );
}

/** The refusal of a send over a topic or account quota, or undefined when it is admitted (and counted). */
export function produceQuotaBusyResponse(
  quotas: QuotaEnforcer,
  request: RemotingCommand,
  topic: string,
  messages: number,
  bytes: number,
): RemotingCommand | undefined {
  const account = request.extFields?.[ACL_FIELD.accessKey];
  const wait = quotas.admitProduce(topic, typeof account === 'string' ? account : undefined, messages, bytes);
  return wait === 0 ? undefined : quotaBusyResponse(request, `a send to ${topic}`, wait);
}

/** The refusal of a pull over its group's quota, or undefined when it is admitted (and counted). */
export function pullQuotaBusyResponse(
  quotas: QuotaEnforcer,
  request: RemotingCommand,
  group: string,
): RemotingCommand | undefined {
  const wait = quotas.admitPull(group);
  return wait === 0 ? undefined : quotaBusyResponse(request, `a pull of group ${group}`, wait);
}
