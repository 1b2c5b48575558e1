// Which member of a shared client instance a broker's request is for (client/broker-request-owner.ts):
// a check-back by the producer group in its half message, consumer requests by their group field.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { brokerRequestOwner } from '../../client/broker-request-owner.js';
import { encodeMessage } from '../../protocol/message-encoder.js';
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import { PROTOCOL_VERSION, type ExtFields, type RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';

const request = (code: number, extFields: ExtFields, body?: Buffer): RemotingCommand => ({
  code,
  language: 'JAVA',
  version: PROTOCOL_VERSION,
  opaque: 1,
  flag: 0,
  extFields,
  body,
});

const halfMessage = (properties: Record<string, string>): Buffer =>
  encodeMessage({
    topic: 'RMQ_SYS_TRANS_HALF_TOPIC',
    queueId: 0,
    queueOffset: 5,
    commitLogOffset: 1024,
    flag: 0,
    sysFlag: 4,
    bornTimestamp: 1_700_000_000_000,
    bornHost: '127.0.0.1:40000',
    storeTimestamp: 1_700_000_000_001,
    storeHost: '127.0.0.1:10911',
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body: Buffer.from('order 17'),
    properties,
  });

test('broker-request-owner: a check-back belongs to the producer group its half message names', () => {
  const check = request(
    REQUEST_CODE.CHECK_TRANSACTION_STATE,
    { commitLogOffset: 1024 },
    halfMessage({ [PROPERTY.producerGroup]: 'Payments', [PROPERTY.uniqueKey]: 'AB' }),
  );
  assert.deepEqual(brokerRequestOwner(check), { role: 'producer', group: 'Payments' });
});

test('broker-request-owner: a check-back without a group, or with an undecodable body, is a producer request of no group', () => {
  const unnamed = request(REQUEST_CODE.CHECK_TRANSACTION_STATE, {}, halfMessage({ [PROPERTY.uniqueKey]: 'AB' }));
  assert.deepEqual(brokerRequestOwner(unnamed), { role: 'producer', group: undefined });
  const broken = request(REQUEST_CODE.CHECK_TRANSACTION_STATE, {}, Buffer.from('not a record'));
  assert.deepEqual(brokerRequestOwner(broken), { role: 'producer', group: undefined });
});

test('broker-request-owner: consumer requests belong to the group they name', () => {
  const notify = request(REQUEST_CODE.NOTIFY_CONSUMER_IDS_CHANGED, { consumerGroup: 'Billing' });
  assert.deepEqual(brokerRequestOwner(notify), { role: 'consumer', group: 'Billing' });
  const reset = request(REQUEST_CODE.RESET_CONSUMER_CLIENT_OFFSET, { topic: 'T', group: 'Audit' });
  assert.deepEqual(brokerRequestOwner(reset), { role: 'consumer', group: 'Audit' });
  // RocketMQ's GET_CONSUMER_RUNNING_INFO (307), which Tributary's broker does not send.
  const runningInfo = request(307, { consumerGroup: 'Billing', clientId: 'x' });
  assert.deepEqual(brokerRequestOwner(runningInfo), { role: 'consumer', group: 'Billing' });
});

test('broker-request-owner: a request naming no group has no owner', () => {
  assert.equal(brokerRequestOwner(request(REQUEST_CODE.RESET_CONSUMER_CLIENT_OFFSET, { topic: 'T' })), undefined);
  assert.equal(brokerRequestOwner(request(9999, {})), undefined);
});

test.run();
