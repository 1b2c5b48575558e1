// Access control over unique ids and quotas: an account takes ids and leases worker ids only in
// the sequences and spaces its idPerms grant (PUB), and quotas are admin-only. An account's
// bytes-per-second quota paces that account's producer.
import fs from 'node:fs';
import path from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { Admin, ClientError, IdClient, Producer } from '../../client/index.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { startBrokerProcess } from '../support/broker-processes.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const ADMIN = { accessKey: 'ids-admin', secretKey: 'ids-admin-secret' };
const USER = { accessKey: 'ids-user', secretKey: 'ids-user-secret' };

async function refusal(promise: Promise<unknown>): Promise<ClientError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(error, ClientError, 'the request was not refused');
  return error as ClientError;
}

test('an account takes ids and leases worker ids only where its idPerms grant PUB; quotas are admin-only; an account bytes quota paces its producer', async () => {
  const directory = temporaryDirectory('ids-acl');
  const aclFile = path.join(directory.path, 'acl.json');
  fs.writeFileSync(
    aclFile,
    JSON.stringify({
      accounts: [
        { ...ADMIN, admin: true },
        { ...USER, idPerms: ['orders=PUB'], topicPerms: ['paced=PUB'], groupPerms: ['paced-producer=PUB'] },
      ],
    }),
  );
  const broker = await startBrokerProcess({ dataDirectory: path.join(directory.path, 'data'), acl: aclFile });
  const user = new IdClient({ nameServer: broker.nameServerAddress!, credentials: USER });
  const userAdmin = new Admin({ nameServer: broker.nameServerAddress!, credentials: USER });
  const admin = new Admin({ nameServer: broker.nameServerAddress!, credentials: ADMIN });
  try {
    await user.createSequence('orders');
    assert.equal((await user.takeRange('orders', 2)).first, 1);
    assert.ok((await user.snowflake('orders')).next() > 0n);
    const denied = await refusal(user.createSequence('payroll'));
    assert.equal(denied.responseCode, RESPONSE_CODE.NO_PERMISSION);
    assert.match(denied.message, /no PUB permission on ids 'payroll'/);
    assert.equal((await refusal(user.snowflake('payroll'))).responseCode, RESPONSE_CODE.NO_PERMISSION);
    const quota = { scope: 'topic', name: 'orders', messagesPerS: 10 } as const;
    assert.equal((await refusal(userAdmin.setQuota(quota))).responseCode, RESPONSE_CODE.NO_PERMISSION);
    await admin.setQuota(quota);

    // 20,000 bytes/s for the account, 500-byte bodies: 40 messages a second.
    await admin.createTopic('paced', { queues: 2 });
    await admin.setQuota({ scope: 'account', name: USER.accessKey, bytesPerS: 20_000 });
    const producer = new Producer({
      nameServer: broker.nameServerAddress!,
      group: 'paced-producer',
      credentials: USER,
    });
    try {
      await producer.start();
      const started = performance.now();
      const body = 'x'.repeat(500);
      await Promise.all(Array.from({ length: 100 }, () => producer.send({ topic: 'paced', body })));
      const rate = 100 / ((performance.now() - started) / 1000);
      console.log(`ids-acl: account quota of 40 messages/s: measured ${rate.toFixed(1)}/s`);
      assert.ok(rate >= 40 * 0.7 && rate <= 40 * 1.3, `${rate.toFixed(1)}/s against 40/s`);
    } finally {
      await producer.shutdown();
    }
  } finally {
    await user.close();
    await userAdmin.close();
    await admin.close();
    await broker.stop();
    directory.remove();
  }
});

test.run();
