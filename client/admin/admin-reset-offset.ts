// Admin: moves a consumer group's committed offsets (mqadmin resetOffsetByTime,
// kafka-consumer-groups --reset-offsets) through INVOKE_BROKER_TO_RESET_OFFSET on every broker
// serving the topic. Live members are restarted at the new offsets by their brokers.
import { ClientError } from '../client-error.js';
import type { ClientInstance } from '../client-instance.js';
import { expectSuccess } from '../expect-success.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { decodeResetOffsetBody, type QueueOffset } from '../../protocol/reset-offset-body.js';
import { masterAddress } from '../topic-route.js';

/** Where to move the offsets: a time (ms since the epoch), either end, or an absolute offset. */
export type ResetTarget =
  { readonly timestamp: number } | { readonly position: 'earliest' | 'latest' } | { readonly offset: number };

/** What Admin.resetOffset did: the new offset of each queue, and how many live members were told. */
export interface ResetResult {
  readonly offsets: QueueOffset[];
  /** Live members told to restart at the new offsets (summed over brokers). */
  readonly notifiedClients: number;
}

export async function resetTopicOffsets(
  client: ClientInstance,
  group: string,
  topic: string,
  target: ResetTarget,
): Promise<ResetResult> {
  const route = await client.route(topic, true);
  const extFields = { topic, group, isForce: true, ...targetFields(target) };
  const offsets: QueueOffset[] = [];
  let notifiedClients = 0;
  for (const broker of route.brokerDatas) {
    const address = masterAddress(route, broker.brokerName);
    if (address === undefined) continue;
    const response = await client.invoke(address, { code: REQUEST_CODE.INVOKE_BROKER_TO_RESET_OFFSET, extFields });
    offsets.push(...decodeResetOffsetBody(expectSuccess(response, `reset ${group} on ${topic}`)));
    notifiedClients += Number(response.extFields?.notifiedClients ?? 0);
  }
  return { offsets, notifiedClients };
}

function targetFields(target: ResetTarget): Record<string, string | number> {
  if ('timestamp' in target) return { position: 'time', timestamp: checked(target.timestamp, 'timestamp') };
  if ('offset' in target) return { position: 'offset', offset: checked(target.offset, 'offset'), timestamp: 0 };
  return { position: target.position, timestamp: 0 };
}

function checked(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new ClientError('INVALID_ARGUMENT', `${what} must be >= 0`);
  return value;
}
