// Seeded random requests for the socket fuzzer: every request code the broker serves, with the
// header fields its processor reads, each field usually plausible and sometimes hostile
// (negative, huge, fractional, empty, a wrong type), and random bodies where a body is read.
// Names come from a fuzz-only pool, so the fuzzer never touches the well-behaved client's
// topic or groups: what it may break is the broker, not the test's own bookkeeping.
import { encodeBatch } from '../../protocol/batch-message-codec.js';
import { encodeMessageProperties } from '../../protocol/message-properties-codec.js';
import type { ExtFields, ExtFieldValue, RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { SeededRandom } from '../support/seeded-random.js';
import { randomBody, randomJsonValue, randomName, randomProperties, randomText } from './fuzz-samples.js';

/** Topics the fuzzer may create, write, read and delete (never the good client's). */
export const FUZZ_TOPICS = ['fuzz-t0', 'fuzz-t1', 'fuzz-t2', '%RETRY%fuzz-g0', 'TBW102', 'SCHEDULE_TOPIC_XXXX'];
const FUZZ_GROUPS = ['fuzz-g0', 'fuzz-g1', 'fuzz-g2'];
const HOSTILE_INTEGERS: ExtFieldValue[] = [0, -1, 1, 2 ** 31 - 1, -(2 ** 31), 2 ** 53, 1e300, 0.5, '', 'x', '-0', true];
/** Codes that exist nowhere, or belong to the name server, or were never assigned. */
const STRAY_CODES = [0, 1, 99, 103, 105, 999, 20_000, 32_767, -1];

const topic = (random: SeededRandom): string =>
  random.int(8) === 0 ? randomName(random, 20) : random.pick(FUZZ_TOPICS);
const group = (random: SeededRandom): string =>
  random.int(8) === 0 ? randomName(random, 20) : random.pick(FUZZ_GROUPS);

/** Usually an integer in [min, max], sometimes anything. */
function integer(random: SeededRandom, min: number, max: number): ExtFieldValue {
  if (random.int(6) === 0) return random.pick(HOSTILE_INTEGERS);
  const value = random.between(min, max);
  return random.int(2) === 0 ? value : String(value);
}

type FieldsOf = (random: SeededRandom) => ExtFields;

const sendFields: FieldsOf = (random) => ({
  a: group(random),
  b: topic(random),
  c: 'TBW102',
  d: integer(random, 1, 8),
  e: integer(random, -1, 4),
  f: integer(random, 0, 15),
  g: Date.now(),
  h: integer(random, 0, 10),
  i: random.int(4) === 0 ? randomText(random, 40) : encodeMessageProperties(randomProperties(random)),
  j: integer(random, 0, 20),
  k: false,
  l: integer(random, -1, 20),
  m: random.int(8) === 0,
});

const pullFields: FieldsOf = (random) => ({
  consumerGroup: group(random),
  topic: topic(random),
  queueId: integer(random, -1, 4),
  queueOffset: integer(random, -1, 1000),
  maxMsgNums: integer(random, -1, 64),
  sysFlag: integer(random, 0, 31),
  commitOffset: integer(random, -1, 1000),
  suspendTimeoutMillis: integer(random, 0, 1000),
  subscription: random.pick(['*', 'a || b', '', randomText(random, 20)]),
  subVersion: 0,
  expressionType: random.pick(['TAG', 'SQL92', randomText(random, 8)]),
});

const offsetFields: FieldsOf = (random) => ({
  consumerGroup: group(random),
  topic: topic(random),
  queueId: integer(random, -1, 4),
  commitOffset: integer(random, -1, 1000),
});

const queueFields: FieldsOf = (random) => ({
  topic: topic(random),
  queueId: integer(random, -1, 4),
  timestamp: integer(random, 0, Date.now()),
});

const FIELDS_BY_CODE: ReadonlyMap<number, FieldsOf> = new Map<number, FieldsOf>([
  [REQUEST_CODE.SEND_MESSAGE_V2, sendFields],
  [REQUEST_CODE.SEND_BATCH_MESSAGE, (random) => ({ ...sendFields(random), m: true })],
  [
    REQUEST_CODE.SEND_MESSAGE,
    (random) => {
      const v2 = sendFields(random);
      return { producerGroup: v2.a!, topic: v2.b!, queueId: v2.e!, sysFlag: v2.f!, bornTimestamp: v2.g!, flag: v2.h! };
    },
  ],
  [REQUEST_CODE.PULL_MESSAGE, pullFields],
  [REQUEST_CODE.QUERY_CONSUMER_OFFSET, offsetFields],
  [REQUEST_CODE.UPDATE_CONSUMER_OFFSET, offsetFields],
  [REQUEST_CODE.GET_MAX_OFFSET, queueFields],
  [REQUEST_CODE.GET_MIN_OFFSET, queueFields],
  [REQUEST_CODE.SEARCH_OFFSET_BY_TIMESTAMP, queueFields],
  [REQUEST_CODE.GET_EARLIEST_MSG_STORETIME, queueFields],
  [REQUEST_CODE.VIEW_MESSAGE_BY_ID, (random) => ({ offset: integer(random, -1, 1 << 20) })],
  [
    REQUEST_CODE.QUERY_MESSAGE,
    (random) => ({
      topic: topic(random),
      key: randomName(random, 10),
      maxNum: integer(random, -1, 64),
      beginTimestamp: 0,
      endTimestamp: integer(random, 0, Date.now()),
    }),
  ],
  [REQUEST_CODE.HEART_BEAT, () => ({})],
  [
    REQUEST_CODE.UNREGISTER_CLIENT,
    (random) => ({ clientID: randomName(random, 20), producerGroup: group(random), consumerGroup: group(random) }),
  ],
  [REQUEST_CODE.GET_CONSUMER_LIST_BY_GROUP, (random) => ({ consumerGroup: group(random) })],
  [
    REQUEST_CODE.CONSUMER_SEND_MSG_BACK,
    (random) => ({
      offset: integer(random, -1, 1 << 20),
      group: group(random),
      delayLevel: integer(random, -1, 20),
      originMsgId: randomName(random, 32),
      originTopic: topic(random),
      maxReconsumeTimes: integer(random, -1, 20),
    }),
  ],
  [
    REQUEST_CODE.END_TRANSACTION,
    (random) => ({
      producerGroup: group(random),
      tranStateTableOffset: integer(random, -1, 1000),
      commitLogOffset: integer(random, -1, 1 << 20),
      commitOrRollback: random.pick([0, 4, 8, 12, -1, 7]),
      fromTransactionCheck: random.int(2) === 0,
      msgId: randomName(random, 32),
    }),
  ],
  [REQUEST_CODE.LOCK_BATCH_MQ, () => ({})],
  [REQUEST_CODE.UNLOCK_BATCH_MQ, () => ({})],
  [
    REQUEST_CODE.UPDATE_AND_CREATE_TOPIC,
    (random) => ({
      topic: topic(random),
      readQueueNums: integer(random, 0, 8),
      writeQueueNums: integer(random, 0, 8),
      perm: integer(random, 0, 16),
    }),
  ],
  [REQUEST_CODE.DELETE_TOPIC_IN_BROKER, (random) => ({ topic: topic(random) })],
  [REQUEST_CODE.GET_ALL_TOPIC_CONFIG, () => ({})],
  [REQUEST_CODE.GET_TOPIC_STATS_INFO, (random) => ({ topic: topic(random) })],
  [REQUEST_CODE.GET_CONSUME_STATS, (random) => ({ consumerGroup: group(random), topic: topic(random) })],
  [REQUEST_CODE.GET_ALL_CONSUMER_OFFSET, () => ({})],
  [REQUEST_CODE.GET_ALL_DELAY_OFFSET, () => ({})],
  [REQUEST_CODE.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, () => ({})],
  [REQUEST_CODE.DELETE_SUBSCRIPTIONGROUP, (random) => ({ groupName: group(random) })],
  [
    REQUEST_CODE.TRIBUTARY_QUERY_DEAD_LETTERS,
    (random) => ({ group: group(random), offset: integer(random, -1, 100), maxCount: integer(random, -1, 64) }),
  ],
  [REQUEST_CODE.TRIBUTARY_RESEND_DEAD_LETTER, (random) => ({ group: group(random), msgId: randomName(random, 32) })],
]);
const CODES = [...FIELDS_BY_CODE.keys()];

/** A request body for `code`: what its processor parses, sometimes damaged, else random. */
function bodyFor(random: SeededRandom, code: number): Buffer | undefined {
  const roll = random.int(8);
  if (roll === 0) return random.int(2) === 0 ? undefined : random.bytes(random.int(256));
  if (roll === 1) return Buffer.from(JSON.stringify(randomJsonValue(random)), 'utf8');
  switch (code) {
    case REQUEST_CODE.SEND_MESSAGE:
    case REQUEST_CODE.SEND_MESSAGE_V2:
      return randomBody(random);
    case REQUEST_CODE.SEND_BATCH_MESSAGE:
      return encodeBatch(
        Array.from({ length: random.between(1, 4) }, () => ({
          flag: 0,
          body: randomBody(random),
          properties: encodeMessageProperties(randomProperties(random)),
        })),
      );
    case REQUEST_CODE.HEART_BEAT:
      return json({
        clientID: randomName(random, 16),
        producerDataSet: [{ groupName: group(random) }],
        consumerDataSet: [
          {
            groupName: group(random),
            consumeType: 'CONSUME_PASSIVELY',
            messageModel: random.pick(['CLUSTERING', 'BROADCASTING', randomText(random, 8)]),
            consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
            subscriptionDataSet: [{ topic: topic(random), subString: random.pick(['*', 'a || b']) }],
          },
        ],
      });
    case REQUEST_CODE.LOCK_BATCH_MQ:
    case REQUEST_CODE.UNLOCK_BATCH_MQ:
      return json({
        consumerGroup: group(random),
        clientId: randomName(random, 16),
        mqSet: [{ topic: topic(random), brokerName: randomName(random, 8), queueId: integer(random, -1, 4) }],
      });
    case REQUEST_CODE.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP:
      return json({ groupName: group(random), retryMaxTimes: integer(random, -1, 32), consumeEnable: true });
    default:
      return undefined;
  }
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** A request as a client would send it, with plausible-to-hostile fields. */
export function randomRequest(random: SeededRandom, opaque: number): RemotingCommand {
  const code = random.int(16) === 0 ? random.pick(STRAY_CODES) : random.pick(CODES);
  const fields = FIELDS_BY_CODE.get(code)?.(random) ?? {};
  if (random.int(8) === 0) delete fields[random.pick(Object.keys(fields).concat('none'))];
  return {
    code,
    language: random.pick(['JAVA', 'NODE_JS', 'OTHER']),
    version: 401,
    opaque,
    flag: random.int(16) === 0 ? 2 : 0,
    extFields: fields,
    body: bodyFor(random, code),
  };
}
