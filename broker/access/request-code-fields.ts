// The header fields a request of each state-changing code must carry, and for the destructive
// admin codes the only fields it may carry. RocketMQ's ACL 1.0 signature covers the header
// fields and body but not the request code, so a captured signed request can be sent again
// under another code: an admin's GET_MAX_OFFSET {topic, queueId} replayed as
// DELETE_TOPIC_IN_BROKER would delete the topic. A signed request whose fields cannot belong
// to its code is refused before anything runs; what stays possible (a replay as the same code,
// or as a code whose fields happen to match) is said in README's access control section.
//
// `required`: each must be present. `only`: when given, no other field may be present, except
// the fields any request may carry (ALWAYS_ALLOWED: signing fields, ali-ons' OnsChannel,
// RocketMQ 5's RPC header fields).
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import { ACL_FIELD, TRIBUTARY_SIGNED_FIELD } from '../../protocol/request-signature.js';
import { ACL_REMARK_NAME_CHARS_MAX } from '../broker-constants.js';

export interface RequestCodeFields {
  readonly required: readonly string[];
  readonly only?: readonly string[];
}

const ALWAYS_ALLOWED: ReadonlySet<string> = new Set([
  ...Object.values(ACL_FIELD),
  ...Object.values(TRIBUTARY_SIGNED_FIELD),
  '_UNIQUE_KEY_QUERY',
  'OnsChannel',
  // RocketMQ 5.x RpcRequestHeader / TopicRequestHeader: namespace, broker name, oneway, logic.
  'ns',
  'nsd',
  'bname',
  'oway',
  'lo',
]);

const CREATE_TOPIC_FIELDS = [
  'topic',
  'defaultTopic',
  'readQueueNums',
  'writeQueueNums',
  'perm',
  'topicFilterType',
  'topicSysFlag',
  'order',
  'attributes',
  'force',
];

export const REQUEST_CODE_FIELDS: ReadonlyMap<number, RequestCodeFields> = new Map<number, RequestCodeFields>([
  [REQUEST_CODE.DELETE_TOPIC_IN_BROKER, { required: ['topic'], only: ['topic'] }],
  [REQUEST_CODE.UPDATE_AND_CREATE_TOPIC, { required: ['topic'], only: CREATE_TOPIC_FIELDS }],
  [REQUEST_CODE.DELETE_SUBSCRIPTIONGROUP, { required: ['groupName'], only: ['groupName', 'removeOffset'] }],
  [REQUEST_CODE.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, { required: [], only: [] }],
  [REQUEST_CODE.TRIBUTARY_RESEND_DEAD_LETTER, { required: ['group', 'msgId'], only: ['group', 'msgId'] }],
  [REQUEST_CODE.UPDATE_CONSUMER_OFFSET, { required: ['consumerGroup', 'topic', 'queueId', 'commitOffset'] }],
  [REQUEST_CODE.CONSUMER_SEND_MSG_BACK, { required: ['offset', 'group'] }],
  [
    REQUEST_CODE.END_TRANSACTION,
    { required: ['producerGroup', 'tranStateTableOffset', 'commitLogOffset', 'commitOrRollback'] },
  ],
  // Unique ids and quotas: a captured request cannot pass for another of them.
  [
    REQUEST_CODE.TRIBUTARY_ID_CREATE_SEQUENCE,
    { required: ['sequence', 'start', 'step'], only: ['sequence', 'start', 'step'] },
  ],
  [REQUEST_CODE.TRIBUTARY_ID_TAKE_RANGE, { required: ['sequence', 'count'], only: ['sequence', 'count'] }],
  [
    REQUEST_CODE.TRIBUTARY_ID_LEASE_WORKER,
    {
      required: ['space', 'holder', 'ttlMs', 'workerCount'],
      only: ['space', 'holder', 'ttlMs', 'workerCount', 'workerId'],
    },
  ],
  [
    REQUEST_CODE.TRIBUTARY_ID_RELEASE_WORKER,
    { required: ['space', 'holder', 'workerId'], only: ['space', 'holder', 'workerId'] },
  ],
  [REQUEST_CODE.TRIBUTARY_QUOTA_SET, { required: [], only: [] }],
  [REQUEST_CODE.TRIBUTARY_QUOTA_DELETE, { required: ['scope', 'name'], only: ['scope', 'name'] }],
]);

/** Why the request's fields cannot belong to its code, or undefined when they can. */
export function fieldsMismatch(request: RemotingCommand): string | undefined {
  const entry = REQUEST_CODE_FIELDS.get(request.code);
  if (entry === undefined) return undefined;
  const fields = request.extFields ?? {};
  const missing = entry.required.filter((name) => fields[name] === undefined || fields[name] === null);
  if (missing.length > 0) return `it lacks field(s) ${missing.join(', ')}`;
  if (entry.only === undefined) return undefined;
  const allowed = new Set(entry.only);
  const foreign = Object.keys(fields).filter((name) => !allowed.has(name) && !ALWAYS_ALLOWED.has(name));
  if (foreign.length === 0) return undefined;
  const named = foreign.slice(0, 5).map((name) => name.slice(0, ACL_REMARK_NAME_CHARS_MAX));
  return `it carries field(s) ${named.join(', ')} that do not belong to it`;
}
