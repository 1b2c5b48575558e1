// Admin: a consumer group's dead letters (%DLQ%<group>) across brokers, and re-sending one to
// the group's %RETRY% topic (TRIBUTARY_QUERY_DEAD_LETTERS, TRIBUTARY_RESEND_DEAD_LETTER).
import type { ClientInstance } from '../client-instance.js';
import { expectSuccess } from '../expect-success.js';
import { decodeRecords, isUndecodable, type ReceivedMessage } from '../../protocol/message-decoder.js';
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { DEAD_LETTER_PAGE_COUNT_DEFAULT } from '../client-constants.js';

/** A message in a consumer group's dead-letter queue, with where it came from. */
export interface DeadLetter {
  readonly brokerName: string;
  /** Its position in that broker's %DLQ%<group> queue; the next page starts one past it. */
  readonly queueOffset: number;
  /** The topic it was first sent to, and the producer's id of it. */
  readonly originTopic: string;
  readonly originMsgId: string;
  /** How many deliveries failed. */
  readonly reconsumeTimes: number;
  readonly message: ReceivedMessage;
}

/** Which page of a group's dead letters Admin.dlqMessages returns. */
export interface DeadLetterQuery {
  /** First position in each broker's DLQ queue (default 0: the oldest kept). */
  offset?: number;
  /** Most dead letters returned (default 32). */
  maxCount?: number;
}

/**
 * A dead letter given back to its group by Admin.resendDeadLetter: stored in %RETRY%<group> with a
 * fresh retry count.
 */
export interface ResentDeadLetter {
  readonly brokerName: string;
  /** The producer's id, unchanged: consumers see the same msgId again. */
  readonly msgId: string;
  /** The new record in %RETRY%<group>. */
  readonly offsetMsgId: string;
  readonly originTopic: string;
}

export async function deadLettersOf(
  client: ClientInstance,
  brokers: readonly string[],
  group: string,
  query: DeadLetterQuery,
): Promise<DeadLetter[]> {
  const maxCount = query.maxCount ?? DEAD_LETTER_PAGE_COUNT_DEFAULT;
  const found: DeadLetter[] = [];
  for (const address of brokers) {
    const response = await client.invoke(address, {
      code: REQUEST_CODE.TRIBUTARY_QUERY_DEAD_LETTERS,
      extFields: { group, offset: query.offset ?? 0, maxCount },
    });
    const body = expectSuccess(response, `dead letters of ${group}`);
    const brokerName = String(response.extFields?.brokerName ?? address);
    const { records, broken } = decodeRecords(body);
    if (broken !== undefined) throw broken;
    for (const record of records) {
      // A dead letter whose body does not inflate (a poison record) is listed as stored.
      if (!isUndecodable(record)) found.push(deadLetterOf(brokerName, record));
      else if (record.asStored !== undefined) found.push(deadLetterOf(brokerName, record.asStored));
      else throw record.error;
    }
  }
  found.sort((a, b) => a.brokerName.localeCompare(b.brokerName) || a.queueOffset - b.queueOffset);
  return found.slice(0, maxCount);
}

export async function resendDeadLetter(
  client: ClientInstance,
  brokers: readonly string[],
  group: string,
  msgId: string,
): Promise<ResentDeadLetter | undefined> {
  for (const address of brokers) {
    const response = await client.invoke(address, {
      code: REQUEST_CODE.TRIBUTARY_RESEND_DEAD_LETTER,
      extFields: { group, msgId },
    });
    if (response.code === RESPONSE_CODE.QUERY_NOT_FOUND) continue;
    expectSuccess(response, `resend ${msgId} of ${group}`);
    const fields = response.extFields ?? {};
    return {
      brokerName: String(fields.brokerName ?? address),
      msgId: String(fields.msgId ?? msgId),
      offsetMsgId: String(fields.offsetMsgId ?? ''),
      originTopic: String(fields.originTopic ?? ''),
    };
  }
  return undefined;
}

function deadLetterOf(brokerName: string, message: ReceivedMessage): DeadLetter {
  const properties = message.properties;
  return {
    brokerName,
    queueOffset: message.queueOffset,
    originTopic: properties[PROPERTY.dlqOriginTopic] ?? properties[PROPERTY.retryTopic] ?? '',
    originMsgId: properties[PROPERTY.dlqOriginMessageId] ?? properties[PROPERTY.originMessageId] ?? message.msgId,
    reconsumeTimes: Number(properties[PROPERTY.dlqReconsumeTimes] ?? message.reconsumeTimes),
    message,
  };
}
