// A topic's route as name servers return it, and the queues it yields: writable queues of
// master brokers for producers, readable ones for consumers (RocketMQ's rules).
import { PERMISSION } from '../protocol/header-fields.js';

export interface QueueData {
  readonly brokerName: string;
  readonly readQueueNums: number;
  readonly writeQueueNums: number;
  readonly perm: number;
}

export interface BrokerData {
  readonly cluster?: string;
  readonly brokerName: string;
  readonly brokerAddrs: Readonly<Record<string, string>>;
}

export interface TopicRoute {
  readonly queueDatas: readonly QueueData[];
  readonly brokerDatas: readonly BrokerData[];
}

/** One queue of a topic on one broker. */
export interface MessageQueue {
  readonly topic: string;
  readonly brokerName: string;
  readonly queueId: number;
}

const MASTER_ID = '0';

export function masterAddress(route: TopicRoute, brokerName: string): string | undefined {
  return route.brokerDatas.find((broker) => broker.brokerName === brokerName)?.brokerAddrs[MASTER_ID];
}

/**
 * Where to read a broker set's queues (RocketMQ's findBrokerAddressInSubscribe): the broker id
 * the master suggested (suggestWhichBrokerId) when the route has it, else the master, else the
 * replica with the lowest id (the master is gone from the route).
 */
export function readAddress(route: TopicRoute, brokerName: string, preferredId = 0): string | undefined {
  const addresses = route.brokerDatas.find((broker) => broker.brokerName === brokerName)?.brokerAddrs;
  if (addresses === undefined) return undefined;
  const preferred = addresses[String(preferredId)] ?? addresses[MASTER_ID];
  if (preferred !== undefined) return preferred;
  const ids = Object.keys(addresses)
    .map(Number)
    .filter((id) => Number.isInteger(id))
    .sort((a, b) => a - b);
  return ids.length === 0 ? undefined : addresses[String(ids[0])];
}

/**
 * Writable queues of `topic` in `route`, in a stable order. A route object is never changed
 * once parsed (a refresh brings a new one), so the list is built once per route and topic
 * instead of on every send.
 */
export function writableQueues(topic: string, route: TopicRoute): readonly MessageQueue[] {
  let byTopic = WRITABLE_QUEUES.get(route);
  if (byTopic === undefined) WRITABLE_QUEUES.set(route, (byTopic = new Map()));
  let queues = byTopic.get(topic);
  if (queues === undefined) {
    queues = Object.freeze(queuesOf(topic, route, PERMISSION.write, (data) => data.writeQueueNums));
    byTopic.set(topic, queues);
  }
  return queues;
}

const WRITABLE_QUEUES = new WeakMap<TopicRoute, Map<string, readonly MessageQueue[]>>();

export function readableQueues(topic: string, route: TopicRoute): MessageQueue[] {
  return queuesOf(topic, route, PERMISSION.read, (data) => data.readQueueNums);
}

function queuesOf(
  topic: string,
  route: TopicRoute,
  permission: number,
  count: (data: QueueData) => number,
): MessageQueue[] {
  const queues: MessageQueue[] = [];
  const sorted = [...route.queueDatas].sort((a, b) => a.brokerName.localeCompare(b.brokerName));
  for (const data of sorted) {
    // Writes need the master; reads can go to a replica while the master is gone.
    const reachable =
      permission === PERMISSION.write ? masterAddress(route, data.brokerName) : readAddress(route, data.brokerName);
    if ((data.perm & permission) === 0 || reachable === undefined) continue;
    for (let queueId = 0; queueId < count(data); queueId++)
      queues.push({ topic, brokerName: data.brokerName, queueId });
  }
  return queues;
}

/**
 * The route a producer sends a topic that has none on, when brokers auto-create topics: the
 * default topic's brokers, with at most `queueCountMax` queues each (RocketMQ's producers do
 * this; the broker creates the topic at the first send that names the default topic).
 */
export function routeFromDefaultTopic(defaultRoute: TopicRoute, queueCountMax: number): TopicRoute {
  return {
    brokerDatas: defaultRoute.brokerDatas,
    queueDatas: defaultRoute.queueDatas.map((data) => ({
      ...data,
      readQueueNums: Math.min(data.readQueueNums, queueCountMax),
      writeQueueNums: Math.min(data.writeQueueNums, queueCountMax),
    })),
  };
}

/** 'topic@broker@queueId'; kept per queue object, as it is looked up for every message. */
export function queueKey(queue: MessageQueue): string {
  let key = QUEUE_KEYS.get(queue);
  if (key === undefined) {
    key = `${queue.topic}@${queue.brokerName}@${queue.queueId}`;
    QUEUE_KEYS.set(queue, key);
  }
  return key;
}

const QUEUE_KEYS = new WeakMap<MessageQueue, string>();

/** Parses a route body, accepting fastjson's unquoted numeric keys in brokerAddrs. */
export function parseRoute(body: Buffer): TopicRoute {
  const text = body.toString('utf8').replace(/([{,]\s*)(\d+)(\s*:)/g, '$1"$2"$3');
  const route = JSON.parse(text) as TopicRoute;
  if (!Array.isArray(route.queueDatas) || !Array.isArray(route.brokerDatas))
    throw new Error('route without queueDatas/brokerDatas');
  return route;
}
