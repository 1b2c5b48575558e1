// The config centre's access rules (broker/access/: configPerms in acl-config.ts, the config
// codes in request-permission-table.ts, config resources in access-validator.ts), without a
// network: SUB reads, PUB changes, per env/namespace or env/*, and anything not granted denied.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { ACCESS_DENIAL, AccessValidator, type AccessDecision } from '../../broker/access/access-validator.js';
import { AclConfigError, parseAclConfig } from '../../broker/access/acl-config.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import { signedExtFields, type AccessCredentials } from '../../protocol/request-signature.js';

const READER: AccessCredentials = { accessKey: 'config-reader', secretKey: 'reader-secret-1' };
const RELEASER: AccessCredentials = { accessKey: 'config-releaser', secretKey: 'releaser-secret-2' };
const TOPIC_ONLY: AccessCredentials = { accessKey: 'topic-only', secretKey: 'topic-secret-3' };

const validator = new AccessValidator(() =>
  parseAclConfig({
    accounts: [
      { ...READER, configPerms: ['prod/orders=SUB'] },
      { ...RELEASER, configPerms: ['prod/*=PUB|SUB', 'prod/payments=DENY'] },
      { ...TOPIC_ONLY, defaultTopicPerm: 'PUB|SUB', defaultGroupPerm: 'PUB|SUB' },
    ],
  }),
);

function decide(credentials: AccessCredentials, code: number, body: object): AccessDecision {
  const bytes = Buffer.from(JSON.stringify(body));
  const request: RemotingCommand = {
    code,
    language: 'NODE_JS',
    version: 401,
    opaque: 1,
    flag: 0,
    extFields: signedExtFields(credentials, {}, bytes),
    body: bytes,
  };
  return validator.decide(request, '10.0.0.1');
}

const item = (namespace: string, env = 'prod'): object => ({ env, namespace, key: 'k', value: 'v' });

test('config access: SUB reads and watches but cannot publish, roll back, delete or promote', () => {
  assert.equal(decide(READER, REQUEST_CODE.CONFIG_GET, item('orders')).allowed, true);
  assert.equal(decide(READER, REQUEST_CODE.CONFIG_HISTORY, item('orders')).allowed, true);
  assert.equal(decide(READER, REQUEST_CODE.CONFIG_WATCH, { env: 'prod', known: { orders: 0 } }).allowed, true);
  for (const code of [
    REQUEST_CODE.CONFIG_PUBLISH,
    REQUEST_CODE.CONFIG_ROLLBACK,
    REQUEST_CODE.CONFIG_DELETE,
    REQUEST_CODE.CONFIG_PROMOTE,
    REQUEST_CODE.CONFIG_ABANDON,
  ]) {
    const decision = decide(READER, code, item('orders'));
    assert.equal(decision.allowed, false, `code ${code}`);
    if (!decision.allowed) {
      assert.equal(decision.denial, ACCESS_DENIAL.permissionDenied);
      assert.match(decision.remark, /no PUB permission on config 'prod\/orders'/);
    }
  }
});

test('config access: env/* grants the environment, an exact entry overrides it, other envs are denied', () => {
  assert.equal(decide(RELEASER, REQUEST_CODE.CONFIG_PUBLISH, item('anything')).allowed, true);
  assert.equal(decide(RELEASER, REQUEST_CODE.CONFIG_PUBLISH, item('payments')).allowed, false);
  assert.equal(decide(RELEASER, REQUEST_CODE.CONFIG_GET, item('anything', 'dev')).allowed, false);
});

test('config access: a watch needs SUB on every namespace it names; no configPerms means no config at all', () => {
  const watch = { env: 'prod', known: { orders: 0, payments: 3 } };
  assert.equal(decide(READER, REQUEST_CODE.CONFIG_WATCH, watch).allowed, false);
  assert.equal(decide(TOPIC_ONLY, REQUEST_CODE.CONFIG_GET, item('orders')).allowed, false);
  const unreadable = decide(READER, REQUEST_CODE.CONFIG_GET, { namespace: 'orders' });
  assert.equal(unreadable.allowed ? undefined : unreadable.denial, ACCESS_DENIAL.unreadableRequest);
});

test('config access: a misspelled configPerms entry refuses the whole ACL document', () => {
  assert.throws(
    () => parseAclConfig({ accounts: [{ ...READER, configPerms: ['prod/orders=READ'] }] }),
    (error: unknown) => error instanceof AclConfigError && /accounts\[0\]\.configPerms\[0\]/.test(error.message),
  );
});

test.run();
