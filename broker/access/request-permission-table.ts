// What each request needs from the access control list: admin-only requests, and for the rest
// the topics and groups it names (in header fields or in its body) with PUB or SUB on each.
// The table follows RocketMQ's PlainAccessValidator and Permission.ADMIN_CODE, with these
// choices where RocketMQ 4.x checks nothing or something odd:
//
// - A %RETRY%<group> topic counts as the group, which needs SUB: whoever may consume as the
//   group may pull its retry topic and send failed messages back to it (RocketMQ asks PUB on
//   the group for a send to %RETRY%, so a consumer account with SUB alone could not fall back
//   to that send, which ali-ons does when CONSUMER_SEND_MSG_BACK fails).
// - Offset and lookup requests (GET_MAX_OFFSET, QUERY_CONSUMER_OFFSET, QUERY_MESSAGE, stats)
//   need SUB on what they read; RocketMQ leaves several unchecked.
// - VIEW_MESSAGE_BY_ID and whole-broker listings are admin-only: an offset names no topic to
//   check, so it could read any message.
// - CONSUMER_SEND_MSG_BACK needs SUB on the group and on originTopic, not PUB on originTopic;
//   the processor then checks the message the offset points at: a user message of a topic the
//   group subscribes to (or its retry copy), with SUB on that topic (send-back-processor.ts).
// - A producer group needs PUB on the group: in a heartbeat (so only its accounts receive its
//   transaction check-backs) and in END_TRANSACTION, whose processor also asks PUB on the half
//   message's real topic (RocketMQ checks neither). RocketMQ clients announce their inner
//   producer group CLIENT_INNER_PRODUCER in every heartbeat: it needs nothing and is only
//   registered when permitted (client-manage-processor.ts).
// - GET_BROKER_RUNTIME_INFO only needs a valid signature (process health, no topic or message).
// - A code missing from the table is admin-only: new requests are closed until classified.
//
// A named field that is absent denies the request (fail closed) unless marked optional.
import { SEND_MESSAGE_V2_FIELD } from '../../protocol/header-fields.js';
import { bodyOf, type RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { NeededPermission } from './acl-permission.js';
import { CLIENT_INNER_PRODUCER_GROUP } from '../broker-constants.js';
import { RETRY_TOPIC_PREFIX } from '../../protocol/name-rules.js';
import { parseHeartbeat } from '../processors/heartbeat-body.js';

/**
 * 'lock': a distributed lock; 'ids': a unique id sequence or snowflake worker id space; 'config': a
 * config "env/namespace"; 'tccResource': a TCC participant's resource.
 */
export type ResourceKind = 'topic' | 'group' | 'lock' | 'ids' | 'config' | 'tccResource';

/** One thing a request touches and what it needs there. */
export interface ResourceNeed {
  readonly kind: ResourceKind;
  readonly name: string;
  readonly permission: NeededPermission;
}

interface FieldNeed {
  readonly field: string;
  readonly permission: NeededPermission;
  readonly optional?: boolean;
}

export interface RequestPermission {
  /** Only admin accounts may send it. */
  readonly admin?: true;
  /** Header fields naming topics (a %RETRY% topic counts as its group). */
  readonly topics?: readonly FieldNeed[];
  /** Header fields naming consumer groups. */
  readonly groups?: readonly FieldNeed[];
  /** Header fields naming id sequences or worker id spaces. */
  readonly ids?: readonly FieldNeed[];
  /** Header fields naming TCC resources (a comma-separated list names several). */
  readonly tccResources?: readonly FieldNeed[];
  /** Topics and groups the body names; throws when the body cannot be read. */
  readonly body?: (body: Buffer) => ResourceNeed[];
}

/** Why a request's needs could not be worked out; it is denied. */
export class RequestPermissionError extends Error {
  override readonly name = 'RequestPermissionError';
}

const ADMIN: RequestPermission = { admin: true };
/** A valid signature is all it takes. */
const SIGNED: RequestPermission = {};
const PUB = 'PUB';
const SUB = 'SUB';
const topic = (field: string, permission: NeededPermission, optional = false): FieldNeed => ({
  field,
  permission,
  optional,
});
const group = topic;

export const REQUEST_PERMISSION_TABLE: ReadonlyMap<number, RequestPermission> = new Map<number, RequestPermission>([
  [REQUEST_CODE.SEND_MESSAGE, { topics: [topic('topic', PUB)] }],
  [REQUEST_CODE.SEND_MESSAGE_V2, { topics: [topic(SEND_MESSAGE_V2_FIELD.topic, PUB)] }],
  [REQUEST_CODE.SEND_BATCH_MESSAGE, { topics: [topic(SEND_MESSAGE_V2_FIELD.topic, PUB)] }],
  [REQUEST_CODE.PULL_MESSAGE, { topics: [topic('topic', SUB)], groups: [group('consumerGroup', SUB)] }],
  [REQUEST_CODE.QUERY_MESSAGE, { topics: [topic('topic', SUB)] }],
  [REQUEST_CODE.QUERY_CONSUMER_OFFSET, { topics: [topic('topic', SUB)], groups: [group('consumerGroup', SUB)] }],
  [REQUEST_CODE.UPDATE_CONSUMER_OFFSET, { topics: [topic('topic', SUB)], groups: [group('consumerGroup', SUB)] }],
  [REQUEST_CODE.SEARCH_OFFSET_BY_TIMESTAMP, { topics: [topic('topic', SUB)] }],
  [REQUEST_CODE.GET_MAX_OFFSET, { topics: [topic('topic', SUB)] }],
  [REQUEST_CODE.GET_MIN_OFFSET, { topics: [topic('topic', SUB)] }],
  [REQUEST_CODE.GET_EARLIEST_MSG_STORETIME, { topics: [topic('topic', SUB)] }],
  [REQUEST_CODE.HEART_BEAT, { body: heartbeatNeeds }],
  [REQUEST_CODE.UNREGISTER_CLIENT, { groups: [group('consumerGroup', SUB, true)] }],
  [REQUEST_CODE.CONSUMER_SEND_MSG_BACK, { topics: [topic('originTopic', SUB, true)], groups: [group('group', SUB)] }],
  [REQUEST_CODE.END_TRANSACTION, { groups: [group('producerGroup', PUB)] }],
  // Process health (memory, connection counts): no topic, group or message in it.
  [REQUEST_CODE.GET_BROKER_RUNTIME_INFO, SIGNED],
  [REQUEST_CODE.GET_CONSUMER_LIST_BY_GROUP, { groups: [group('consumerGroup', SUB)] }],
  [REQUEST_CODE.LOCK_BATCH_MQ, { body: lockBatchNeeds }],
  [REQUEST_CODE.UNLOCK_BATCH_MQ, { body: lockBatchNeeds }],
  [REQUEST_CODE.GET_TOPIC_STATS_INFO, { topics: [topic('topic', SUB)] }],
  [REQUEST_CODE.GET_CONSUME_STATS, { topics: [topic('topic', SUB, true)], groups: [group('consumerGroup', SUB)] }],
  [REQUEST_CODE.GET_CONSUMER_CONNECTION_LIST, { groups: [group('consumerGroup', SUB)] }],
  [REQUEST_CODE.TRIBUTARY_QUERY_DEAD_LETTERS, { groups: [group('group', SUB)] }],
  [REQUEST_CODE.TRIBUTARY_RESEND_DEAD_LETTER, { groups: [group('group', SUB)] }],
  // Distributed locks, by the lock name in the body: PUB to take, renew or release one (the
  // owner token is checked besides), SUB to read its status; listing every lock is admin-only.
  [REQUEST_CODE.TRIBUTARY_LOCK_ACQUIRE, { body: (body) => lockNeeds(body, PUB) }],
  [REQUEST_CODE.TRIBUTARY_LOCK_RELEASE, { body: (body) => lockNeeds(body, PUB) }],
  [REQUEST_CODE.TRIBUTARY_LOCK_RENEW, { body: (body) => lockNeeds(body, PUB) }],
  [REQUEST_CODE.TRIBUTARY_LOCK_STATUS, { body: (body) => lockNeeds(body, SUB) }],
  [REQUEST_CODE.TRIBUTARY_LOCK_LIST, ADMIN],
  [REQUEST_CODE.TRIBUTARY_LOCK_KEEPALIVE, SIGNED],
  [REQUEST_CODE.TRIBUTARY_LOCK_LOST, ADMIN],
  // Config centre: PUB on config "env/namespace" changes it, SUB reads, watches and lists history.
  [REQUEST_CODE.CONFIG_PUBLISH, { body: configNeeds(PUB) }],
  [REQUEST_CODE.CONFIG_ROLLBACK, { body: configNeeds(PUB) }],
  [REQUEST_CODE.CONFIG_DELETE, { body: configNeeds(PUB) }],
  [REQUEST_CODE.CONFIG_PROMOTE, { body: configNeeds(PUB) }],
  [REQUEST_CODE.CONFIG_ABANDON, { body: configNeeds(PUB) }],
  [REQUEST_CODE.CONFIG_GET, { body: configNeeds(SUB) }],
  [REQUEST_CODE.CONFIG_HISTORY, { body: configNeeds(SUB) }],
  [REQUEST_CODE.CONFIG_WATCH, { body: configNeeds(SUB) }],
  // Where the master's HA port is: no topic, group or message in it (a replica asks it).
  [REQUEST_CODE.TRIBUTARY_REPLICATION_ADDRESS, SIGNED],
  [REQUEST_CODE.TRIBUTARY_REPLICATION_STATUS, ADMIN],
  // The whole log, every topic in it: a replica signs its HA stream with an admin account.
  [REQUEST_CODE.TRIBUTARY_REPLICATION_STREAM, ADMIN],
  // Changes to topics and groups, and views of everything (RocketMQ's ADMIN_CODE and more).
  [REQUEST_CODE.UPDATE_AND_CREATE_TOPIC, ADMIN],
  [REQUEST_CODE.DELETE_TOPIC_IN_BROKER, ADMIN],
  [REQUEST_CODE.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, ADMIN],
  [REQUEST_CODE.DELETE_SUBSCRIPTIONGROUP, ADMIN],
  [REQUEST_CODE.GET_ALL_TOPIC_CONFIG, ADMIN],
  [REQUEST_CODE.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, ADMIN],
  [REQUEST_CODE.GET_ALL_CONSUMER_OFFSET, ADMIN],
  [REQUEST_CODE.GET_ALL_DELAY_OFFSET, ADMIN],
  [REQUEST_CODE.VIEW_MESSAGE_BY_ID, ADMIN],
  [REQUEST_CODE.QUERY_TOPIC_CONSUME_BY_WHO, ADMIN],
  // Moves a group's offsets and restarts its live members there: admin-only like deletes.
  [REQUEST_CODE.INVOKE_BROKER_TO_RESET_OFFSET, ADMIN],
  // Name server requests (the name server checks no ACL) and requests a broker sends to
  // clients: a broker never serves them, so only an admin gets as far as "not supported".
  [REQUEST_CODE.PUT_KV_CONFIG, ADMIN],
  [REQUEST_CODE.REGISTER_BROKER, ADMIN],
  [REQUEST_CODE.UNREGISTER_BROKER, ADMIN],
  [REQUEST_CODE.GET_ROUTEINFO_BY_TOPIC, ADMIN],
  [REQUEST_CODE.GET_BROKER_CLUSTER_INFO, ADMIN],
  [REQUEST_CODE.DELETE_TOPIC_IN_NAMESRV, ADMIN],
  [REQUEST_CODE.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, ADMIN],
  [REQUEST_CODE.QUERY_DATA_VERSION, ADMIN],
  [REQUEST_CODE.BROKER_HEARTBEAT, ADMIN],
  [REQUEST_CODE.CHECK_TRANSACTION_STATE, ADMIN],
  [REQUEST_CODE.NOTIFY_CONSUMER_IDS_CHANGED, ADMIN],
  [REQUEST_CODE.RESET_CONSUMER_CLIENT_OFFSET, ADMIN],
  // Unique ids (broker/ids/): PUB on the sequence or worker id space (resource kind 'ids').
  [REQUEST_CODE.TRIBUTARY_ID_CREATE_SEQUENCE, { ids: [topic('sequence', PUB)] }],
  [REQUEST_CODE.TRIBUTARY_ID_TAKE_RANGE, { ids: [topic('sequence', PUB)] }],
  [REQUEST_CODE.TRIBUTARY_ID_LEASE_WORKER, { ids: [topic('space', PUB)] }],
  [REQUEST_CODE.TRIBUTARY_ID_RELEASE_WORKER, { ids: [topic('space', PUB)] }],
  [REQUEST_CODE.TRIBUTARY_ID_LIST_SEQUENCES, ADMIN],
  // Rate limits (broker/quotas/): operators' business.
  [REQUEST_CODE.TRIBUTARY_QUOTA_SET, ADMIN],
  [REQUEST_CODE.TRIBUTARY_QUOTA_DELETE, ADMIN],
  [REQUEST_CODE.TRIBUTARY_QUOTA_LIST, ADMIN],
  // TCC (broker/tcc/): PUB on a resource runs its tries, SUB serves and reports them. A global's
  // xid (a random UUID) is what commit, rollback and status need besides a signature; the
  // listing of every xid is admin-only.
  [REQUEST_CODE.TCC_BEGIN, SIGNED],
  [REQUEST_CODE.TCC_TRY, { tccResources: [topic('resource', PUB)] }],
  [REQUEST_CODE.TCC_COMMIT, SIGNED],
  [REQUEST_CODE.TCC_ROLLBACK, SIGNED],
  [REQUEST_CODE.TCC_STATUS, SIGNED],
  [REQUEST_CODE.TCC_REGISTER_PARTICIPANT, { tccResources: [topic('resources', SUB)] }],
  [REQUEST_CODE.TCC_BRANCH_REPORT, { tccResources: [topic('resource', SUB)] }],
  [REQUEST_CODE.TCC_LIST, ADMIN],
  [REQUEST_CODE.TCC_BRANCH_ACTION, ADMIN],
  // Job scheduler (broker/scheduler/): an executor serves jobs with any signed account (its work
  // is what jobs are defined to do); defining, running and reading jobs is the operators' business.
  [REQUEST_CODE.JOB_EXECUTOR_REGISTER, SIGNED],
  [REQUEST_CODE.JOB_EXECUTOR_HEARTBEAT, SIGNED],
  [REQUEST_CODE.JOB_EXECUTOR_POLL, SIGNED],
  [REQUEST_CODE.JOB_EXECUTOR_REPORT, SIGNED],
  [REQUEST_CODE.JOB_EXECUTOR_UNREGISTER, SIGNED],
  [REQUEST_CODE.JOB_PUT, ADMIN],
  [REQUEST_CODE.JOB_DELETE, ADMIN],
  [REQUEST_CODE.JOB_LIST, ADMIN],
  [REQUEST_CODE.JOB_DESCRIBE, ADMIN],
  [REQUEST_CODE.JOB_TRIGGER, ADMIN],
  [REQUEST_CODE.JOB_PAUSE, ADMIN],
  [REQUEST_CODE.JOB_RESUME, ADMIN],
  [REQUEST_CODE.JOB_CANCEL, ADMIN],
  [REQUEST_CODE.JOB_RUNS, ADMIN],
  [REQUEST_CODE.JOB_EXECUTORS, ADMIN],
]);

/** What `request` needs: admin or not, and each topic and group with its permission. */
export function requestNeeds(request: RemotingCommand): { admin: boolean; resources: ResourceNeed[] } {
  const entry = REQUEST_PERMISSION_TABLE.get(request.code) ?? ADMIN;
  if (entry.admin === true) return { admin: true, resources: [] };
  const resources: ResourceNeed[] = [];
  for (const need of entry.topics ?? []) {
    const name = fieldValue(request, need, 'topic');
    if (name !== undefined) resources.push(topicNeed(name, need.permission));
  }
  for (const need of entry.groups ?? []) {
    const name = fieldValue(request, need, 'group');
    if (name !== undefined) resources.push({ kind: 'group', name, permission: need.permission });
  }
  for (const need of entry.ids ?? []) {
    const name = fieldValue(request, need, 'ids');
    if (name !== undefined) resources.push({ kind: 'ids', name, permission: need.permission });
  }
  for (const need of entry.tccResources ?? []) {
    const names = fieldValue(request, need, 'tccResource');
    for (const name of names?.split(',') ?? [])
      resources.push({ kind: 'tccResource', name, permission: need.permission });
  }
  if (entry.body !== undefined) {
    try {
      resources.push(...entry.body(bodyOf(request)));
    } catch {
      throw new RequestPermissionError(`the body of request code ${request.code} cannot be read`);
    }
  }
  return { admin: false, resources };
}

function fieldValue(request: RemotingCommand, need: FieldNeed, kind: ResourceKind): string | undefined {
  const value = request.extFields?.[need.field];
  if (value !== undefined && value !== '') return String(value);
  if (need.optional === true) return undefined;
  throw new RequestPermissionError(`request code ${request.code} names no ${kind} (header field ${need.field})`);
}

/** A topic, or for %RETRY%<group> the group, which then needs SUB (see the top of this file). */
function topicNeed(name: string, permission: NeededPermission): ResourceNeed {
  if (name.startsWith(RETRY_TOPIC_PREFIX))
    return { kind: 'group', name: name.slice(RETRY_TOPIC_PREFIX.length), permission: SUB };
  return { kind: 'topic', name, permission };
}

/** A heartbeat: PUB on each producer group; SUB on each consumer group and topic it subscribes to. */
function heartbeatNeeds(body: Buffer): ResourceNeed[] {
  const needs: ResourceNeed[] = [];
  const heartbeat = parseHeartbeat(body);
  for (const producerGroup of heartbeat.producerGroups)
    if (producerGroup !== CLIENT_INNER_PRODUCER_GROUP)
      needs.push({ kind: 'group', name: producerGroup, permission: PUB });
  for (const consumer of heartbeat.consumers) {
    needs.push({ kind: 'group', name: consumer.group, permission: SUB });
    for (const subscription of consumer.subscriptions) needs.push(topicNeed(subscription.topic, SUB));
  }
  return needs;
}

/** LOCK_BATCH_MQ / UNLOCK_BATCH_MQ: SUB on the group and on every topic of mqSet. */
function lockBatchNeeds(body: Buffer): ResourceNeed[] {
  const data = JSON.parse(body.toString('utf8')) as { consumerGroup?: unknown; mqSet?: unknown };
  if (typeof data.consumerGroup !== 'string' || !Array.isArray(data.mqSet)) throw new Error('not a lock batch');
  const needs: ResourceNeed[] = [{ kind: 'group', name: data.consumerGroup, permission: SUB }];
  for (const queue of data.mqSet as { topic?: unknown }[]) {
    if (typeof queue?.topic !== 'string') throw new Error('mqSet entry without a topic');
    needs.push(topicNeed(queue.topic, SUB));
  }
  return needs;
}

/** The distributed lock requests: `permission` on the lock their body names. */
function lockNeeds(body: Buffer, permission: NeededPermission): ResourceNeed[] {
  const data = JSON.parse(body.toString('utf8')) as { name?: unknown } | null;
  if (typeof data?.name !== 'string') throw new Error('a lock request without a name');
  return [{ kind: 'lock', name: data.name, permission }];
}

/** Config centre requests: `permission` on "env/namespace" of the body's namespace, or each watched one. */
function configNeeds(permission: NeededPermission): (body: Buffer) => ResourceNeed[] {
  return (body) => {
    const data = JSON.parse(body.toString('utf8')) as { env?: unknown; namespace?: unknown; known?: unknown };
    if (typeof data.env !== 'string') throw new Error('no env');
    const namespaces =
      typeof data.known === 'object' && data.known !== null ? Object.keys(data.known) : [data.namespace];
    return namespaces.map((namespace) => {
      if (typeof namespace !== 'string') throw new Error('no namespace');
      return { kind: 'config', name: `${String(data.env)}/${namespace}`, permission };
    });
  };
}
