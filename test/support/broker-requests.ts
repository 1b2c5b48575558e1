// Requests integration tests make to a running broker or name server over the remoting
// protocol, with the project's own RemotingClient: create a topic, wait until a name server
// routes it, read a consumer group's committed offset or a queue's end, look messages up by key,
// read the broker's runtime info. Each throws a BrokerRequestError with the response code and
// remark when the server refuses.
import { decodeMessages, type ReceivedMessage } from '../../protocol/message-decoder.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { bodyOf, type RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE, responseCodeName } from '../../protocol/response-code.js';

const REQUEST_TIMEOUT_MS = 5000;
const POLL_INTERVAL_MS = 50;

export class BrokerRequestError extends Error {
  override readonly name = 'BrokerRequestError';

  constructor(
    readonly what: string,
    readonly response: RemotingCommand,
  ) {
    super(
      `${what}: ${responseCodeName(response.code)} (${response.code})${response.remark === undefined ? '' : `: ${response.remark}`}`,
    );
  }
}

/** UPDATE_AND_CREATE_TOPIC (17) with `queues` read and write queues. */
export async function createTopic(
  client: RemotingClient,
  brokerAddress: string,
  topic: string,
  queues: number,
): Promise<void> {
  const response = await client.invoke(
    brokerAddress,
    { code: REQUEST_CODE.UPDATE_AND_CREATE_TOPIC, extFields: { topic, readQueueNums: queues, writeQueueNums: queues } },
    REQUEST_TIMEOUT_MS,
  );
  if (response.code !== RESPONSE_CODE.SUCCESS) throw new BrokerRequestError(`creating topic ${topic}`, response);
}

/** The route of `topic` (GET_ROUTEINFO_BY_TOPIC, 105) as JSON, or undefined when not routed. */
export async function topicRoute(
  client: RemotingClient,
  nameServerAddress: string,
  topic: string,
): Promise<Record<string, unknown> | undefined> {
  const response = await client.invoke(
    nameServerAddress,
    { code: REQUEST_CODE.GET_ROUTEINFO_BY_TOPIC, extFields: { topic } },
    REQUEST_TIMEOUT_MS,
  );
  if (response.code === RESPONSE_CODE.TOPIC_NOT_EXIST) return undefined;
  if (response.code !== RESPONSE_CODE.SUCCESS) throw new BrokerRequestError(`route of ${topic}`, response);
  return JSON.parse(bodyOf(response).toString('utf8')) as Record<string, unknown>;
}

/** Polls the name server until it routes `topic`; rejects after `timeoutMs`. */
export function waitForRoute(
  client: RemotingClient,
  nameServerAddress: string,
  topic: string,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  return pollUntil(`a route for ${topic} at ${nameServerAddress}`, timeoutMs, () =>
    topicRoute(client, nameServerAddress, topic),
  );
}

/**
 * QUERY_CONSUMER_OFFSET (14): the committed offset, else RocketMQ's 0 for a young queue;
 * undefined on QUERY_NOT_FOUND (code 22).
 */
export async function queryConsumerOffset(
  client: RemotingClient,
  brokerAddress: string,
  group: string,
  topic: string,
  queueId: number,
): Promise<number | undefined> {
  const response = await client.invoke(
    brokerAddress,
    { code: REQUEST_CODE.QUERY_CONSUMER_OFFSET, extFields: { consumerGroup: group, topic, queueId } },
    REQUEST_TIMEOUT_MS,
  );
  if (response.code === RESPONSE_CODE.QUERY_NOT_FOUND) return undefined;
  if (response.code !== RESPONSE_CODE.SUCCESS)
    throw new BrokerRequestError(`offset of ${group} on ${topic}/${queueId}`, response);
  return Number(response.extFields?.offset);
}

/** GET_MAX_OFFSET (30): the queue's next offset. */
export async function maxQueueOffset(
  client: RemotingClient,
  brokerAddress: string,
  topic: string,
  queueId: number,
): Promise<number> {
  const response = await client.invoke(
    brokerAddress,
    { code: REQUEST_CODE.GET_MAX_OFFSET, extFields: { topic, queueId } },
    REQUEST_TIMEOUT_MS,
  );
  if (response.code !== RESPONSE_CODE.SUCCESS)
    throw new BrokerRequestError(`max offset of ${topic}/${queueId}`, response);
  return Number(response.extFields?.offset);
}

/** QUERY_MESSAGE (12): the messages of `topic` carrying `key`, decoded; none is an empty list. */
export async function queryMessagesByKey(
  client: RemotingClient,
  brokerAddress: string,
  topic: string,
  key: string,
): Promise<ReceivedMessage[]> {
  const response = await client.invoke(
    brokerAddress,
    {
      code: REQUEST_CODE.QUERY_MESSAGE,
      extFields: { topic, key, maxNum: 32, beginTimestamp: 0, endTimestamp: Date.now() },
    },
    REQUEST_TIMEOUT_MS,
  );
  if (response.code === RESPONSE_CODE.QUERY_NOT_FOUND) return [];
  if (response.code !== RESPONSE_CODE.SUCCESS)
    throw new BrokerRequestError(`messages of ${topic} with key ${key}`, response);
  return decodeMessages(bodyOf(response));
}

/** GET_BROKER_RUNTIME_INFO (28): the broker's KVTable (memory, connection counters), as numbers. */
export async function brokerRuntimeInfo(
  client: RemotingClient,
  brokerAddress: string,
): Promise<Record<string, number>> {
  const response = await client.invoke(
    brokerAddress,
    { code: REQUEST_CODE.GET_BROKER_RUNTIME_INFO },
    REQUEST_TIMEOUT_MS,
  );
  if (response.code !== RESPONSE_CODE.SUCCESS) throw new BrokerRequestError('broker runtime info', response);
  const { table } = JSON.parse(bodyOf(response).toString('utf8')) as { table: Record<string, string> };
  return Object.fromEntries(Object.entries(table).map(([name, value]) => [name, Number(value)]));
}

/**
 * Calls `probe` every POLL_INTERVAL_MS until it returns something other than undefined;
 * rejects with the last probe error (or a timeout) after `timeoutMs`.
 */
export async function pollUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`no ${what} within ${timeoutMs} ms${lastError === undefined ? '' : `: ${String(lastError)}`}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
