// Rate limit quotas (TRIBUTARY_QUOTA_*): set, delete and list on every broker. Each broker
// enforces a quota on what reaches it, so a topic spread over N brokers may take N times its
// quota in all; set it per broker accordingly.
import type { ClientInstance } from '../client-instance.js';
import { expectSuccess } from '../expect-success.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';

/** What a quota is keyed by: a topic, an ACL account, or a consumer group. */
export type QuotaScope = 'topic' | 'account' | 'group';

/**
 * A rate limit quota as set on each broker. Each broker enforces it on what reaches that broker
 * alone, so a topic on N brokers may take N times it in all. A rate left out is not limited.
 */
export interface QuotaSpec {
  readonly scope: QuotaScope;
  readonly name: string;
  readonly messagesPerS?: number;
  readonly bytesPerS?: number;
  readonly pullsPerS?: number;
}

export async function setQuota(client: ClientInstance, brokers: readonly string[], quota: QuotaSpec): Promise<void> {
  const body = Buffer.from(JSON.stringify(quota));
  for (const address of brokers) {
    expectSuccess(
      await client.invoke(address, { code: REQUEST_CODE.TRIBUTARY_QUOTA_SET, body }),
      `set the ${quota.scope} quota of ${quota.name} on ${address}`,
    );
  }
}

/** True when some broker had the quota. */
export async function deleteQuota(
  client: ClientInstance,
  brokers: readonly string[],
  scope: QuotaScope,
  name: string,
): Promise<boolean> {
  let deleted = false;
  for (const address of brokers) {
    const response = await client.invoke(address, {
      code: REQUEST_CODE.TRIBUTARY_QUOTA_DELETE,
      extFields: { scope, name },
    });
    expectSuccess(response, `delete the ${scope} quota of ${name} on ${address}`);
    if (response.extFields?.deleted === 'true') deleted = true;
  }
  return deleted;
}

export async function listQuotas(
  client: ClientInstance,
  brokers: readonly string[],
): Promise<{ broker: string; quotas: QuotaSpec[] }[]> {
  const lists: { broker: string; quotas: QuotaSpec[] }[] = [];
  for (const address of brokers) {
    const body = expectSuccess(
      await client.invoke(address, { code: REQUEST_CODE.TRIBUTARY_QUOTA_LIST }),
      `list quotas on ${address}`,
    );
    lists.push({ broker: address, quotas: JSON.parse(body.toString('utf8')) as QuotaSpec[] });
  }
  return lists;
}
