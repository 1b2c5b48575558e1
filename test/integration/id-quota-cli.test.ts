// The `tributary id` and `tributary quota` commands against a live broker.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { runCli } from '../support/run-cli.js';
import { startMessaging } from '../support/messaging-fixture.js';

test('id create, id next --count and id list hand out each id once, in order', async () => {
  const fixture = await startMessaging('id-cli');
  const namesrv = ['--namesrv', fixture.nameServer];
  try {
    const created = await runCli(['id', 'create', 'invoices', '--start', '100', '--step', '5', ...namesrv]);
    assert.equal(created.code, 0, created.stderr);
    const first = await runCli(['id', 'next', 'invoices', '--count', '3', ...namesrv]);
    const second = await runCli(['id', 'next', 'invoices', ...namesrv]);
    assert.equal(first.stdout.trim().split('\n'), ['100', '105', '110']);
    assert.equal(second.stdout.trim(), '115');
    const listed = await runCli(['id', 'list', '--json', ...namesrv]);
    assert.equal(JSON.parse(listed.stdout.trim()), { name: 'invoices', next: 120, step: 5 });
    const missing = await runCli(['id', 'next', 'nothing-here', ...namesrv]);
    assert.not.equal(missing.code, 0);
    assert.match(missing.stderr, /no such id sequence/);
  } finally {
    await fixture.close();
  }
});

test('quota set, list and delete change a topic quota at run time', async () => {
  const fixture = await startMessaging('quota-cli');
  const namesrv = ['--namesrv', fixture.nameServer];
  try {
    const set = await runCli(['quota', 'set', '--topic', 'orders', '--messages-per-s', '50', ...namesrv]);
    assert.equal(set.code, 0, set.stderr);
    const listed = await runCli(['quota', 'list', '--json', ...namesrv]);
    const row = JSON.parse(listed.stdout.trim()) as Record<string, unknown>;
    assert.equal([row.scope, row.name, row.messagesPerS], ['topic', 'orders', 50]);
    const both = await runCli(['quota', 'set', '--topic', 'orders', '--group', 'g', '--pulls-per-s', '1', ...namesrv]);
    assert.not.equal(both.code, 0);
    const deleted = await runCli(['quota', 'delete', '--topic', 'orders', ...namesrv]);
    assert.match(deleted.stdout, /deleted the topic quota of orders/);
    assert.match((await runCli(['quota', 'list', ...namesrv])).stdout, /no quotas/);
  } finally {
    await fixture.close();
  }
});

test.run();
