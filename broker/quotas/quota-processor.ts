// The quota requests (TRIBUTARY_QUOTA_*, 21300-21399), admin-only under ACL (they are not in the
// request permission table). Set takes a JSON body:
//
//   {"scope": "topic" | "account" | "group", "name": "...",
//    "messagesPerS": n, "bytesPerS": n}     (topic, account: at least one)
//    "pullsPerS": n}                         (group)
//
// Delete takes extFields scope and name; list answers a JSON array of the same objects.
import { bodyOf, responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { isValidTopic } from '../../storage/index.js';
import { ACL_REMARK_NAME_CHARS_MAX, QUOTA_RATE_PER_S_MAX, QUOTAS_MAX } from '../broker-constants.js';
import { groupName, HeartbeatError } from '../processors/heartbeat-body.js';
import { QUOTA_SCOPES, quotaKey, type Quota, type QuotaScope, type QuotaTable } from '../state/quota-table.js';

const RATES_BY_SCOPE: Record<QuotaScope, readonly (keyof Quota)[]> = {
  topic: ['messagesPerS', 'bytesPerS'],
  account: ['messagesPerS', 'bytesPerS'],
  group: ['pullsPerS'],
};

export class QuotaProcessor {
  constructor(private readonly table: QuotaTable) {}

  async set(request: RemotingCommand): Promise<RemotingCommand> {
    const quota = parseQuota(bodyOf(request));
    if (typeof quota === 'string') return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, quota);
    const known = this.table.all().some((q) => quotaKey(q.scope, q.name) === quotaKey(quota.scope, quota.name));
    if (!known && this.table.size >= QUOTAS_MAX)
      return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, `at most ${QUOTAS_MAX} quotas`);
    await this.table.set(quota);
    return responseTo(request, RESPONSE_CODE.SUCCESS);
  }

  async delete(request: RemotingCommand): Promise<RemotingCommand> {
    const scope = request.extFields?.scope;
    const name = request.extFields?.name;
    if (!QUOTA_SCOPES.includes(scope as QuotaScope) || typeof name !== 'string')
      return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, 'scope (topic, account, group) and name are required');
    const deleted = await this.table.delete(scope as QuotaScope, name);
    return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, { deleted: String(deleted) });
  }

  list(request: RemotingCommand): RemotingCommand {
    return responseTo(
      request,
      RESPONSE_CODE.SUCCESS,
      undefined,
      undefined,
      Buffer.from(JSON.stringify(this.table.all())),
    );
  }
}

/** The quota, or a sentence saying what is wrong with the body. */
function parseQuota(body: Buffer): Quota | string {
  let data: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed === null || typeof parsed !== 'object') return 'the quota body must be a JSON object';
    data = parsed as Record<string, unknown>;
  } catch {
    return 'the quota body is not JSON';
  }
  const scope = data.scope as QuotaScope;
  if (!QUOTA_SCOPES.includes(scope)) return `scope must be one of ${QUOTA_SCOPES.join(', ')}`;
  const problem = nameProblem(scope, data.name);
  if (problem !== undefined) return problem;
  const quota: Record<string, unknown> = { scope, name: data.name };
  for (const key of Object.keys(data)) {
    if (key === 'scope' || key === 'name') continue;
    if (!RATES_BY_SCOPE[scope].includes(key as keyof Quota))
      return `a ${scope} quota takes ${RATES_BY_SCOPE[scope].join(', ')}, not ${key.slice(0, ACL_REMARK_NAME_CHARS_MAX)}`;
    const rate = data[key];
    if (typeof rate !== 'number' || !(rate > 0) || rate > QUOTA_RATE_PER_S_MAX)
      return `${key} must be a number in (0, ${QUOTA_RATE_PER_S_MAX}]`;
    quota[key] = rate;
  }
  if (Object.keys(quota).length === 2) return `a ${scope} quota needs ${RATES_BY_SCOPE[scope].join(' or ')}`;
  return quota as unknown as Quota;
}

function nameProblem(scope: QuotaScope, name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'name is required';
  if (scope === 'topic') return isValidTopic(name) ? undefined : 'invalid topic name';
  if (scope === 'account') return name.length <= ACL_REMARK_NAME_CHARS_MAX ? undefined : 'account name too long';
  try {
    groupName(name, 'consumer');
    return undefined;
  } catch (error) {
    if (error instanceof HeartbeatError) return error.message;
    throw error;
  }
}
