// The access control list and its decisions (broker/access/acl-config.ts, address-allow-list.ts,
// acl-permission.ts, request-permission-table.ts, access-validator.ts), without a network:
// validation of ACL documents, address patterns, the permission bits, the request table, and
// one decision per denial and per grant.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { ExtFields, RemotingCommand } from '../../protocol/remoting-command.js';
import { signedExtFields, type AccessCredentials } from '../../protocol/request-signature.js';
import { ACCESS_DENIAL, AccessValidator, type AccessDecision } from '../../broker/access/access-validator.js';
import { AclConfigError, parseAclConfig, readAclConfigFile } from '../../broker/access/acl-config.js';
import { ACL_PERMISSION, parseAclPermission, permits } from '../../broker/access/acl-permission.js';
import { AddressAllowList, AddressPatternError } from '../../broker/access/address-allow-list.js';
import { SIGNED_REQUEST_CLOCK_SKEW_MS_MAX } from '../../broker/broker-constants.js';
import { REQUEST_PERMISSION_TABLE, requestNeeds } from '../../broker/access/request-permission-table.js';
import { SignatureReplayCache } from '../../broker/access/signature-replay-cache.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const PRODUCER: AccessCredentials = { accessKey: 'producer-app', secretKey: 'producer-secret-1' };
const CONSUMER: AccessCredentials = { accessKey: 'consumer-app', secretKey: 'consumer-secret-2' };
const ADMIN: AccessCredentials = { accessKey: 'admin-user', secretKey: 'admin-secret-3' };
const LIMITED_ADMIN: AccessCredentials = { accessKey: 'limited-admin', secretKey: 'limited-secret-4' };
const OFFICE: AccessCredentials = { accessKey: 'office-app', secretKey: 'office-secret-5' };
const CLIENT_ADDRESS = '10.1.2.3';

const DOCUMENT = {
  globalWhiteRemoteAddresses: ['192.168.50.*'],
  accounts: [
    { ...keys(PRODUCER), defaultTopicPerm: 'DENY', topicPerms: ['orders=PUB', 'audit=DENY'] },
    {
      ...keys(CONSUMER),
      defaultTopicPerm: 'SUB',
      defaultGroupPerm: 'DENY',
      topicPerms: ['secret-topic=DENY'],
      groupPerms: ['billing=SUB'],
    },
    { ...keys(ADMIN), admin: true },
    { ...keys(LIMITED_ADMIN), admin: true, topicPerms: ['orders=SUB'] },
    { ...keys(OFFICE), whiteRemoteAddress: '10.9.0.1-10', defaultTopicPerm: 'PUB|SUB' },
  ],
};

function keys(credentials: AccessCredentials): { accessKey: string; secretKey: string } {
  return { accessKey: credentials.accessKey, secretKey: credentials.secretKey };
}

const validator = new AccessValidator(() => parseAclConfig(DOCUMENT));

function command(code: number, extFields: ExtFields, body?: Buffer): RemotingCommand {
  return { code, language: 'JAVA', version: 401, opaque: 1, flag: 0, extFields, body };
}

function signed(credentials: AccessCredentials, code: number, extFields: ExtFields, body?: Buffer): RemotingCommand {
  return command(code, signedExtFields(credentials, extFields, body), body);
}

function expectDenied(decision: AccessDecision, denial: string, remark: RegExp): void {
  assert.equal(decision.allowed, false, 'expected a denial');
  if (decision.allowed) return;
  assert.equal(decision.denial, denial);
  assert.match(decision.remark, remark);
}

const send = (topic: string): ExtFields => ({ a: 'pg', b: topic, e: 0 });
const pull = (topic: string, group: string): ExtFields => ({ topic, consumerGroup: group, queueId: 0, queueOffset: 0 });

// ---- documents -------------------------------------------------------------------------------

test('acl-config: a RocketMQ-shaped document parses to accounts with their permissions', () => {
  const config = parseAclConfig({ ...DOCUMENT, dataVersion: [{ counter: 1 }] });
  const producer = config.accounts.get('producer-app')!;
  assert.equal(producer.topicPermissions.get('orders'), ACL_PERMISSION.PUB);
  assert.equal(producer.defaultGroupPermission, ACL_PERMISSION.DENY, 'absent defaults are DENY');
  assert.equal(config.accounts.get('admin-user')!.admin, true);
  assert.equal(config.globalAllowList.matches('192.168.50.7'), true);
});

test('acl-config: every malformed document is refused with the place named and no secret echoed', () => {
  const secret = 'do-not-echo-me';
  const account = { accessKey: 'valid-key', secretKey: secret };
  const cases: [unknown, RegExp][] = [
    [[], /the ACL document must be an object/],
    [{}, /accounts must be a list/],
    [{ accounts: [], extra: 1 }, /unknown key\(s\) 'extra'/],
    [{ accounts: [{ ...account, topicPrems: [] }] }, /accounts\[0\] has unknown key\(s\) 'topicPrems'/],
    [{ accounts: [{ ...account, accessKey: 'short' }] }, /accounts\[0\]\.accessKey must be .* at least 6/],
    [{ accounts: [{ accessKey: 'valid-key', secretKey: 'tiny' }] }, /accounts\[0\]\.secretKey must be .* at least 6/],
    [{ accounts: [account, account] }, /accessKey 'valid-key' is listed twice/],
    [{ accounts: [{ ...account, defaultTopicPerm: 'READ' }] }, /defaultTopicPerm must be DENY, PUB, SUB or PUB\|SUB/],
    [{ accounts: [{ ...account, topicPerms: ['orders'] }] }, /topicPerms\[0\] must look like name=PUB\|SUB/],
    [{ accounts: [{ ...account, groupPerms: ['g=SUB', 'g=PUB'] }] }, /groupPerms\[1\]: 'g' is listed twice/],
    [{ accounts: [{ ...account, admin: 'yes' }] }, /admin must be true or false/],
    [{ accounts: [{ ...account, whiteRemoteAddress: '10.0.0.300' }] }, /malformed octet '300'/],
    [{ globalWhiteRemoteAddresses: 5, accounts: [] }, /globalWhiteRemoteAddresses must be a list of strings/],
  ];
  for (const [document, message] of cases) {
    assert.throws(
      () => parseAclConfig(document),
      (error: unknown) =>
        error instanceof AclConfigError && message.test(error.message) && !error.message.includes(secret),
      `expected ${message}`,
    );
  }
});

test('acl-config: a file that is not JSON is refused without quoting the text around the fault', () => {
  const directory = temporaryDirectory('acl-config');
  try {
    const file = path.join(directory.path, 'acl.json');
    fs.writeFileSync(file, '{"accounts": [{"accessKey": "valid-key", "secretKey": "hunter2-secret" oops}]}');
    assert.throws(
      () => readAclConfigFile(file),
      (error: unknown) =>
        error instanceof AclConfigError &&
        /is not valid JSON/.test(error.message) &&
        !error.message.includes('hunter2'),
    );
    assert.throws(() => readAclConfigFile(path.join(directory.path, 'missing.json')), /cannot read ACL file .*ENOENT/);
  } finally {
    directory.remove();
  }
});

// ---- addresses and permission bits -------------------------------------------------------------

test('address-allow-list: exact, *, wildcard octets, ranges, lists, CIDR and IPv6 match as RocketMQ does', () => {
  const cases: [string, string[], string[]][] = [
    ['*', ['1.2.3.4', '::1'], []],
    ['192.168.0.5', ['192.168.0.5', '::ffff:192.168.0.5'], ['192.168.0.6']],
    ['192.168.0.*', ['192.168.0.0', '192.168.0.255'], ['192.168.1.1']],
    ['192.168.*', ['192.168.7.9'], ['192.169.0.1']],
    ['192.168.1.1-10', ['192.168.1.1', '192.168.1.10'], ['192.168.1.11', '192.168.1.0']],
    ['10.0.{1,3}.*', ['10.0.1.5', '10.0.3.5'], ['10.0.2.5']],
    ['10.0.0.0/8', ['10.255.1.1'], ['11.0.0.1']],
    ['172.16.4.0/22', ['172.16.7.255'], ['172.16.8.0']],
    ['0.0.0.0/0', ['8.8.8.8'], ['::1']],
    ['::1', ['::1', '0:0:0:0:0:0:0:1'], ['127.0.0.1']],
  ];
  for (const [pattern, matching, other] of cases) {
    const list = AddressAllowList.parse([pattern]);
    for (const address of matching) assert.equal(list.matches(address), true, `${pattern} matches ${address}`);
    for (const address of other) assert.equal(list.matches(address), false, `${pattern} does not match ${address}`);
  }
  for (const bad of ['10.0.0', '10.0.0.256', '10.0.0.9-2', '10.0.0.0/33', 'host.example', '10.0.{}.1'])
    assert.throws(() => AddressAllowList.parse([bad]), AddressPatternError, bad);
});

test('acl-permission: spellings parse to bits; DENY grants nothing, PUB|SUB grants both', () => {
  assert.equal(parseAclPermission('pub | sub'), ACL_PERMISSION.PUB | ACL_PERMISSION.SUB);
  assert.equal(parseAclPermission('SUB|PUB'), ACL_PERMISSION.PUB | ACL_PERMISSION.SUB);
  assert.equal(parseAclPermission('ALL'), undefined);
  assert.equal(permits(ACL_PERMISSION.DENY, 'SUB'), false);
  assert.equal(permits(ACL_PERMISSION.PUB, 'SUB'), false);
  assert.equal(permits(ACL_PERMISSION.SUB, 'SUB'), true);
  assert.equal(permits(ACL_PERMISSION.PUB | ACL_PERMISSION.SUB, 'PUB'), true);
});

// ---- the request table ----------------------------------------------------------------------

test('request-permission-table: every request code has an entry (an unlisted one would be admin-only)', () => {
  const missing = Object.entries(REQUEST_CODE).filter(([, code]) => !REQUEST_PERMISSION_TABLE.has(code));
  assert.deepEqual(missing, []);
  assert.deepEqual(requestNeeds(command(12345, {})), { admin: true, resources: [] });
});

test('request-permission-table: topics, groups, retry topics and bodies map to what they need', () => {
  const needs = (code: number, extFields: ExtFields, body?: Buffer): string[] =>
    requestNeeds(command(code, extFields, body)).resources.map((r) => `${r.permission} ${r.kind} ${r.name}`);
  assert.deepEqual(needs(REQUEST_CODE.SEND_MESSAGE_V2, send('orders')), ['PUB topic orders']);
  assert.deepEqual(needs(REQUEST_CODE.SEND_MESSAGE_V2, send('%RETRY%billing')), ['SUB group billing']);
  assert.deepEqual(needs(REQUEST_CODE.PULL_MESSAGE, pull('orders', 'billing')), [
    'SUB topic orders',
    'SUB group billing',
  ]);
  assert.deepEqual(needs(REQUEST_CODE.CONSUMER_SEND_MSG_BACK, { group: 'billing', offset: 1 }), ['SUB group billing']);
  const heartbeat = {
    clientID: 'c1',
    producerDataSet: [{ groupName: 'pg' }, { groupName: 'CLIENT_INNER_PRODUCER' }],
    consumerDataSet: [
      { groupName: 'billing', subscriptionDataSet: [{ topic: 'orders' }, { topic: '%RETRY%billing' }] },
    ],
  };
  // A producer group needs PUB; RocketMQ's inner producer group needs nothing.
  assert.deepEqual(needs(REQUEST_CODE.HEART_BEAT, {}, Buffer.from(JSON.stringify(heartbeat))), [
    'PUB group pg',
    'SUB group billing',
    'SUB topic orders',
    'SUB group billing',
  ]);
  const lock = { consumerGroup: 'billing', clientId: 'c1', mqSet: [{ topic: 'orders', brokerName: 'b', queueId: 0 }] };
  assert.deepEqual(needs(REQUEST_CODE.LOCK_BATCH_MQ, {}, Buffer.from(JSON.stringify(lock))), [
    'SUB group billing',
    'SUB topic orders',
  ]);
  assert.equal(requestNeeds(command(REQUEST_CODE.UPDATE_AND_CREATE_TOPIC, { topic: 'x' })).admin, true);
  const end = { producerGroup: 'pg', tranStateTableOffset: 0, commitLogOffset: 0, commitOrRollback: 8 };
  assert.deepEqual(needs(REQUEST_CODE.END_TRANSACTION, end), ['PUB group pg']);
});

// ---- decisions --------------------------------------------------------------------------------

test('access-validator: requests without AccessKey, from unknown keys or with bad signatures are denied', () => {
  expectDenied(
    validator.decide(command(REQUEST_CODE.SEND_MESSAGE_V2, send('orders')), CLIENT_ADDRESS),
    ACCESS_DENIAL.unsigned,
    /request code 310 \(SEND_MESSAGE_V2\) is not signed/,
  );
  const stranger = { accessKey: 'stranger-key', secretKey: 'whatever-secret' };
  expectDenied(
    validator.decide(signed(stranger, REQUEST_CODE.SEND_MESSAGE_V2, send('orders')), CLIENT_ADDRESS),
    ACCESS_DENIAL.unknownAccessKey,
    /unknown AccessKey 'stranger-key'/,
  );
  const wrongSecret = { ...PRODUCER, secretKey: 'not-the-secret' };
  const forged = validator.decide(signed(wrongSecret, REQUEST_CODE.SEND_MESSAGE_V2, send('orders')), CLIENT_ADDRESS);
  expectDenied(
    forged,
    ACCESS_DENIAL.badSignature,
    /signature of request code 310 .* does not match AccessKey 'producer-app'/,
  );
  const request = signed(PRODUCER, REQUEST_CODE.SEND_MESSAGE_V2, send('orders'), Buffer.from('body'));
  const tampered = { ...request, body: Buffer.from('BODY') };
  expectDenied(validator.decide(tampered, CLIENT_ADDRESS), ACCESS_DENIAL.badSignature, /does not match/);
  for (const decision of [forged, validator.decide(tampered, CLIENT_ADDRESS)]) {
    assert.equal(decision.allowed || decision.remark.includes(PRODUCER.secretKey), false);
  }
});

test('access-validator: PUB and SUB are granted per topic and group, with defaults and DENY entries', () => {
  const decide = (credentials: AccessCredentials, code: number, fields: ExtFields): AccessDecision =>
    validator.decide(signed(credentials, code, fields), CLIENT_ADDRESS);
  assert.equal(decide(PRODUCER, REQUEST_CODE.SEND_MESSAGE_V2, send('orders')).allowed, true);
  expectDenied(
    decide(PRODUCER, REQUEST_CODE.SEND_MESSAGE_V2, send('payments')),
    ACCESS_DENIAL.permissionDenied,
    /AccessKey 'producer-app' has no PUB permission on topic 'payments'/,
  );
  expectDenied(
    decide(PRODUCER, REQUEST_CODE.SEND_MESSAGE_V2, send('audit')),
    ACCESS_DENIAL.permissionDenied,
    /'audit'/,
  );
  expectDenied(
    decide(PRODUCER, REQUEST_CODE.PULL_MESSAGE, pull('orders', 'billing')),
    ACCESS_DENIAL.permissionDenied,
    /no SUB permission on topic 'orders'/,
  );
  assert.equal(decide(CONSUMER, REQUEST_CODE.PULL_MESSAGE, pull('orders', 'billing')).allowed, true);
  assert.equal(decide(CONSUMER, REQUEST_CODE.PULL_MESSAGE, pull('%RETRY%billing', 'billing')).allowed, true);
  assert.equal(decide(CONSUMER, REQUEST_CODE.SEND_MESSAGE_V2, send('%RETRY%billing')).allowed, true);
  expectDenied(
    decide(CONSUMER, REQUEST_CODE.PULL_MESSAGE, pull('orders', 'analytics')),
    ACCESS_DENIAL.permissionDenied,
    /no SUB permission on group 'analytics'/,
  );
  expectDenied(
    decide(CONSUMER, REQUEST_CODE.PULL_MESSAGE, pull('secret-topic', 'billing')),
    ACCESS_DENIAL.permissionDenied,
    /topic 'secret-topic'/,
  );
  expectDenied(
    decide(CONSUMER, REQUEST_CODE.SEND_MESSAGE_V2, send('orders')),
    ACCESS_DENIAL.permissionDenied,
    /no PUB permission on topic 'orders'/,
  );
});

test('access-validator: admin-only requests need an admin; an admin without perms may touch everything', () => {
  const create = { topic: 'new-topic', readQueueNums: 4, writeQueueNums: 4 };
  expectDenied(
    validator.decide(signed(PRODUCER, REQUEST_CODE.UPDATE_AND_CREATE_TOPIC, create), CLIENT_ADDRESS),
    ACCESS_DENIAL.adminRequired,
    /request code 17 \(UPDATE_AND_CREATE_TOPIC\) needs an admin account; AccessKey 'producer-app' is not one/,
  );
  expectDenied(
    validator.decide(signed(PRODUCER, 12345, {}), CLIENT_ADDRESS),
    ACCESS_DENIAL.adminRequired,
    /request code 12345 needs an admin/,
  );
  assert.equal(
    validator.decide(signed(ADMIN, REQUEST_CODE.UPDATE_AND_CREATE_TOPIC, create), CLIENT_ADDRESS).allowed,
    true,
  );
  assert.equal(
    validator.decide(signed(ADMIN, REQUEST_CODE.PULL_MESSAGE, pull('x', 'y')), CLIENT_ADDRESS).allowed,
    true,
  );
  // An admin listing permissions is held to them (RocketMQ's rule).
  assert.equal(
    validator.decide(signed(LIMITED_ADMIN, REQUEST_CODE.UPDATE_AND_CREATE_TOPIC, create), CLIENT_ADDRESS).allowed,
    true,
  );
  expectDenied(
    validator.decide(signed(LIMITED_ADMIN, REQUEST_CODE.SEND_MESSAGE_V2, send('orders')), CLIENT_ADDRESS),
    ACCESS_DENIAL.permissionDenied,
    /no PUB permission on topic 'orders'/,
  );
});

test('access-validator: an account is refused outside its allow-list; the global list skips every check', () => {
  const request = signed(OFFICE, REQUEST_CODE.SEND_MESSAGE_V2, send('orders'));
  assert.equal(validator.decide(request, '10.9.0.4').allowed, true);
  assert.equal(validator.decide(request, '::ffff:10.9.0.10').allowed, true);
  expectDenied(
    validator.decide(request, '10.9.0.11'),
    ACCESS_DENIAL.addressNotAllowed,
    /AccessKey 'office-app' may not be used from 10\.9\.0\.11/,
  );
  const unsigned = command(REQUEST_CODE.UPDATE_AND_CREATE_TOPIC, { topic: 'x' });
  assert.deepEqual(validator.decide(unsigned, '192.168.50.20'), { allowed: true, via: 'global_allow_list' });
  assert.equal(validator.decide(unsigned, '192.168.51.20').allowed, false);
});

test('access-validator: a request missing the topic or group its code needs, or with an unreadable body, is denied', () => {
  expectDenied(
    validator.decide(signed(CONSUMER, REQUEST_CODE.PULL_MESSAGE, { topic: 'orders' }), CLIENT_ADDRESS),
    ACCESS_DENIAL.unreadableRequest,
    /names no group \(header field consumerGroup\)/,
  );
  const garbage = Buffer.from('{not json');
  expectDenied(
    validator.decide(signed(CONSUMER, REQUEST_CODE.HEART_BEAT, {}, garbage), CLIENT_ADDRESS),
    ACCESS_DENIAL.unreadableRequest,
    /body of request code 34 cannot be read/,
  );
});

test('access-validator: a signed request replayed under a code its fields cannot belong to is denied', () => {
  const maxOffset = signedExtFields(ADMIN, { topic: 'orders', queueId: 0 }, undefined);
  assert.equal(validator.decide(command(REQUEST_CODE.GET_MAX_OFFSET, maxOffset), CLIENT_ADDRESS).allowed, true);
  expectDenied(
    validator.decide(command(REQUEST_CODE.DELETE_TOPIC_IN_BROKER, maxOffset), CLIENT_ADDRESS),
    ACCESS_DENIAL.fieldsNotOfCode,
    /carries field\(s\) queueId that do not belong to it/,
  );
  const query = signedExtFields(CONSUMER, { consumerGroup: 'billing', topic: 'orders', queueId: 0 }, undefined);
  expectDenied(
    validator.decide(command(REQUEST_CODE.UPDATE_CONSUMER_OFFSET, query), CLIENT_ADDRESS),
    ACCESS_DENIAL.fieldsNotOfCode,
    /lacks field\(s\) commitOffset/,
  );
  const coded = signedExtFields(ADMIN, { topic: 'orders' }, undefined, REQUEST_CODE.GET_TOPIC_STATS_INFO);
  assert.equal(validator.decide(command(REQUEST_CODE.GET_TOPIC_STATS_INFO, coded), CLIENT_ADDRESS).allowed, true);
  expectDenied(
    validator.decide(command(REQUEST_CODE.DELETE_TOPIC_IN_BROKER, coded), CLIENT_ADDRESS),
    ACCESS_DENIAL.fieldsNotOfCode,
    /was signed as request code/,
  );
});

test('access-validator: requireSignedCode refuses unsigned codes, times outside the window and replays', () => {
  const strict = { accessKey: 'strict-app', secretKey: 'strict-secret-6' };
  let now = 1_000_000_000_000;
  const strictValidator = new AccessValidator(
    () => parseAclConfig({ accounts: [{ ...strict, requireSignedCode: true, defaultTopicPerm: 'SUB' }] }),
    () => now,
  );
  const fields = { topic: 'orders', queueId: 0 };
  const decide = (extFields: ExtFields): AccessDecision =>
    strictValidator.decide(command(REQUEST_CODE.GET_MAX_OFFSET, extFields), CLIENT_ADDRESS);
  expectDenied(decide(signedExtFields(strict, fields, undefined)), ACCESS_DENIAL.codeNotSigned, /requires signed/);
  const realNow = Date.now();
  now = realNow + SIGNED_REQUEST_CLOCK_SKEW_MS_MAX + 1000;
  const late = signedExtFields(strict, fields, undefined, REQUEST_CODE.GET_MAX_OFFSET);
  expectDenied(decide(late), ACCESS_DENIAL.staleSignature, /at most 300 s/);
  now = realNow;
  const fresh = signedExtFields(strict, fields, undefined, REQUEST_CODE.GET_MAX_OFFSET);
  assert.equal(decide(fresh).allowed, true);
  expectDenied(decide(fresh), ACCESS_DENIAL.replayedSignature, /already received \(a replay\)/);
  assert.equal(decide(signedExtFields(strict, fields, undefined, REQUEST_CODE.GET_MAX_OFFSET)).allowed, true);
  assert.throws(
    () => parseAclConfig({ accounts: [{ ...strict, requireSignedCode: 'yes' }] }),
    /accounts\[0\]\.requireSignedCode must be true or false/,
  );
});

test('signature-replay-cache: bounded, forgetting the oldest and what left the window', () => {
  const cache = new SignatureReplayCache(3);
  for (const signature of ['a', 'b', 'c', 'd']) assert.equal(cache.seen(signature, 0, 0), false);
  assert.equal(cache.size, 3);
  assert.equal(cache.seen('a', 0, 0), false, 'the oldest was forgotten past the bound');
  assert.equal(cache.seen('d', 0, 0), true);
  assert.equal(cache.seen('x', 0, SIGNED_REQUEST_CLOCK_SKEW_MS_MAX + 1), false);
  assert.equal(cache.size, 1, 'entries past the window are dropped');
});

test.run();
