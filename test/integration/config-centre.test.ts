// The config centre on real broker processes: watch, gray release, rollback, bounded history,
// environments, start from the disk cache with no broker, ACL, and state surviving SIGKILL.
import fs from 'node:fs';
import path from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { ConfigClient, ConfigError, type ConfigChange, type ConfigClientOptions } from '../../client/index.js';
import { CONFIG_VALUE_BYTES_MAX } from '../../broker/config-centre/config-centre-constants.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { CliProcess } from '../support/cli-process.js';
import { runCli } from '../support/run-cli.js';
import { pollUntil } from '../support/broker-requests.js';
import { waitFor } from '../support/messaging-fixture.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const STEP_TIMEOUT_MS = 15_000;
const HISTORY_KEPT = 3;
/** Short holds, so a poll cut by a broker restart is retried soon. */
const WATCH_HOLD_MS = 2_000;
const READER = { accessKey: 'cfg-reader', secretKey: 'reader-secret-1a2b' };
const PUBLISHER = { accessKey: 'cfg-publisher', secretKey: 'publisher-secret-3c4d' };
const STRANGER = { accessKey: 'cfg-stranger', secretKey: 'stranger-secret-5e6f' };

const directory = temporaryDirectory('config-centre');
let broker: BrokerProcess;
const clients: ConfigClient[] = [];

function client(options: Partial<ConfigClientOptions> = {}): ConfigClient {
  const created = new ConfigClient({ broker: broker.address, env: 'prod', watchHoldMs: WATCH_HOLD_MS, ...options });
  created.on('watchError', () => undefined); // Polls cut by the restarts below are retried.
  clients.push(created);
  return created;
}

/** Records the changes a client's watch of `namespace` reports. */
async function recorder(watcher: ConfigClient, namespace: string): Promise<ConfigChange[]> {
  const seen: ConfigChange[] = [];
  await watcher.watch(namespace, undefined, (change) => seen.push(change));
  return seen;
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, ConfigError);
    assert.equal((error as ConfigError).code, code, (error as Error).message);
    return error as ConfigError;
  }
  assert.unreachable(`expected ${code}, but it succeeded`);
  throw new Error('unreachable');
}

test.before(async () => {
  broker = await startBrokerProcess({
    dataDirectory: path.join(directory.path, 'data'),
    configHistoryVersionsMax: HISTORY_KEPT,
    label: 'config broker',
  });
});

test.after(async () => {
  for (const created of clients) created.close();
  await broker?.stop();
  directory.remove();
});

test('config: a watcher receives a publish promptly, and a delete as an absent value', async () => {
  const watcher = client();
  const publisher = client();
  const seen = await recorder(watcher, 'watch-ns');
  const { version } = await publisher.publish('watch-ns', 'timeout.ms', '250', { comment: 'first' });
  await waitFor('the watcher to see the publish', STEP_TIMEOUT_MS, () => seen.length === 1);
  assert.equal(seen[0], {
    namespace: 'watch-ns',
    group: 'DEFAULT_GROUP',
    key: 'timeout.ms',
    value: '250',
    previous: undefined,
    version,
    gray: false,
  });
  assert.equal(await watcher.get('watch-ns', 'timeout.ms'), '250');
  await publisher.delete('watch-ns', 'timeout.ms');
  await waitFor('the watcher to see the delete', STEP_TIMEOUT_MS, () => seen.length === 2);
  assert.equal(seen[1]!.value, undefined);
  assert.equal(await watcher.get('watch-ns', 'timeout.ms'), undefined);
  await rejectsWith(publisher.delete('watch-ns', 'timeout.ms'), 'CONFIG_NOT_FOUND');
});

test('config: a client that only reads stays current: get sees a later publish without a watch', async () => {
  const reader = client();
  const publisher = client();
  await publisher.publish('read-ns', 'k', 'old');
  assert.equal(await reader.get('read-ns', 'k'), 'old');
  await publisher.publish('read-ns', 'k', 'new');
  await pollUntil('the reader to see the new value', STEP_TIMEOUT_MS, async () =>
    (await reader.get('read-ns', 'k')) === 'new' ? true : undefined,
  );
});

test('config: the async iterator yields each change and ends when the client closes', async () => {
  const watcher = client();
  const publisher = client();
  const iterator = await watcher.changes('iter-ns', 'k');
  const first = iterator.next();
  await publisher.publish('iter-ns', 'k', 'v1');
  assert.equal((await first).value?.value, 'v1');
  const second = iterator.next();
  watcher.close();
  assert.equal((await second).done, true);
});

test('config: environments are isolated: a dev publish is invisible to a prod client', async () => {
  const dev = client({ env: 'dev' });
  const prod = client({ env: 'prod' });
  await dev.publish('env-ns', 'url', 'dev-db');
  assert.equal(await dev.get('env-ns', 'url'), 'dev-db');
  assert.equal(await prod.get('env-ns', 'url'), undefined);
});

test('config: gray to a client id reaches only that client; promote reaches all; abandon reverts', async () => {
  const admin = client();
  await admin.publish('gray-ns', 'pool', '10');
  const a = client({ clientId: 'gray-client-a' });
  const b = client({ clientId: 'gray-client-b' });
  const seenA = await recorder(a, 'gray-ns');
  const seenB = await recorder(b, 'gray-ns');
  await admin.publish('gray-ns', 'pool', '20', { grayClientIds: ['gray-client-a'] });
  await waitFor('client a to see the gray value', STEP_TIMEOUT_MS, () => seenA.some((c) => c.value === '20'));
  assert.equal(seenA.at(-1)!.gray, true);
  // A barrier: b sees a later change of the namespace, so it has had the gray step too.
  await admin.publish('gray-ns', 'barrier', '1');
  await waitFor('client b to see the barrier', STEP_TIMEOUT_MS, () => seenB.some((c) => c.key === 'barrier'));
  assert.equal(await b.get('gray-ns', 'pool'), '10');
  assert.equal(
    seenB.filter((c) => c.key === 'pool'),
    [],
  );

  await admin.promote('gray-ns', 'pool');
  await waitFor('client b to see the promoted value', STEP_TIMEOUT_MS, () => seenB.some((c) => c.value === '20'));
  assert.equal(await a.get('gray-ns', 'pool'), '20');
  assert.equal((await admin.history('gray-ns', 'pool')).versions.at(-1)!.kind, 'promote');

  await admin.publish('gray-ns', 'pool', '30', { grayClientIds: ['gray-client-b'] });
  await waitFor('client b to see the second gray', STEP_TIMEOUT_MS, () => seenB.some((c) => c.value === '30'));
  await admin.abandon('gray-ns', 'pool');
  await waitFor('client b to revert', STEP_TIMEOUT_MS, () => seenB.at(-1)!.value === '20');
  assert.equal(await b.get('gray-ns', 'pool'), '20');
  await rejectsWith(admin.promote('gray-ns', 'pool'), 'CONFIG_NO_GRAY');
});

test('config: a gray percentage reaches exactly the clients whose stable bucket is under it', async () => {
  const admin = client();
  await admin.publish('pct-ns', 'flag', 'off');
  await admin.publish('pct-ns', 'flag', 'on', { grayPercent: 50 });
  const readers = Array.from({ length: 20 }, (_, i) => client({ clientId: `pct-client-${i}` }));
  const values = await Promise.all(readers.map((reader) => reader.get('pct-ns', 'flag')));
  const on = values.filter((value) => value === 'on').length;
  assert.ok(on > 0 && on < readers.length, `50% gray reached ${on} of ${readers.length}`);
  // Stable: the same client id sees the same side on a fresh client.
  assert.equal(await client({ clientId: 'pct-client-0' }).get('pct-ns', 'flag'), values[0]);
});

test('config: rollback makes a new version equal to the kept one it names', async () => {
  const admin = client();
  const first = await admin.publish('rb-ns', 'mode', 'safe');
  await admin.publish('rb-ns', 'mode', 'fast');
  const rolled = await admin.rollback('rb-ns', 'mode', first.version, { comment: 'fast broke it' });
  assert.equal(rolled.version, first.version + 2);
  assert.equal(await client().get('rb-ns', 'mode'), 'safe');
  const last = (await admin.history('rb-ns', 'mode')).versions.at(-1)!;
  assert.equal([last.kind, last.from, last.value, last.comment], ['rollback', first.version, 'safe', 'fast broke it']);
});

test('config: history keeps the newest N versions; rolling back to a dropped one is refused', async () => {
  const admin = client({ author: 'ops-alice' });
  for (let i = 1; i <= 5; i++) await admin.publish('hist-ns', 'k', `v${i}`);
  const { versions } = await admin.history('hist-ns', 'k');
  assert.equal(
    versions.map((v) => v.version),
    [3, 4, 5],
  );
  assert.equal(
    versions.map((v) => v.author),
    ['ops-alice', 'ops-alice', 'ops-alice'],
  );
  await rejectsWith(admin.rollback('hist-ns', 'k', 1), 'CONFIG_VERSION_NOT_KEPT');
  await rejectsWith(admin.publish('hist-ns', 'k', 'x', { group: 'a\u0000b' }), 'CONFIG_INVALID');
  await rejectsWith(client({ env: 'a/b' }).get('hist-ns', 'k'), 'CONFIG_INVALID');
});

test('config CLI: publish, get, watch (a line per change), history, rollback, gray and promote, delete', async () => {
  const at = ['--env', 'prod', '--broker', broker.address];
  const cli = async (...args: string[]): Promise<string> => {
    const run = await runCli(['config', ...args, ...at]);
    assert.equal(run.code, 0, `config ${args.join(' ')}: ${run.stderr}`);
    return run.stdout.trim();
  };
  const watcher = CliProcess.tributary(['config', 'watch', 'cli-ns', '--key', 'k', '--count', '3', ...at]);
  try {
    await watcher.waitFor('the watch to start', STEP_TIMEOUT_MS, () =>
      watcher.stderr.includes('watching') ? true : undefined,
    );
    assert.equal(await cli('publish', 'cli-ns', 'k', '--value', 'one'), 'published cli-ns k version 1');
    const valueFile = path.join(directory.path, 'value.txt');
    fs.writeFileSync(valueFile, 'two');
    await cli('publish', 'cli-ns', 'k', '--file', valueFile, '--comment', 'from a file');
    assert.equal(await cli('get', 'cli-ns', 'k'), 'two');
    assert.equal(
      await cli('rollback', 'cli-ns', 'k', '--to-version', '1'),
      'rolled cli-ns k back to version 1 as version 3',
    );
    await watcher.waitFor('three change lines', STEP_TIMEOUT_MS, () =>
      watcher.stdout.trim().split('\n').length === 3 ? true : undefined,
    );
    assert.equal((await watcher.exited).code, 0);
  } finally {
    watcher.child.kill('SIGKILL');
  }
  const lines = watcher.stdout
    .trim()
    .split('\n')
    .map((text) => JSON.parse(text) as ConfigChange);
  assert.equal(
    lines.map((change) => [change.value, change.version]),
    [
      ['one', 1],
      ['two', 2],
      ['one', 3],
    ],
  );
  const history = JSON.parse(await cli('history', 'cli-ns', 'k', '--json')) as { versions: { kind: string }[] };
  assert.equal(
    history.versions.map((v) => v.kind),
    ['publish', 'publish', 'rollback'],
  );
  assert.match(
    await cli('publish', 'cli-ns', 'k', '--value', 'g', '--gray-clients', 'cli-a,cli-b'),
    /version 4 \(gray\)/,
  );
  assert.equal(await cli('get', 'cli-ns', 'k', '--client-id', 'cli-b'), 'g');
  assert.equal(await cli('get', 'cli-ns', 'k', '--client-id', 'cli-c'), 'one');
  assert.equal(await cli('promote', 'cli-ns', 'k'), 'promoted cli-ns k (version 5)');
  assert.equal(await cli('delete', 'cli-ns', 'k'), 'deleted cli-ns k (version 6)');
  const absent = await runCli(['config', 'get', 'cli-ns', 'k', ...at]);
  assert.equal([absent.code, absent.stderr.trim()], [1, "tributary: no key 'k' in cli-ns (env prod)"]);
  const usage = await runCli(['config', 'publish', 'cli-ns', 'k', ...at]);
  assert.equal(usage.code, 2, usage.stderr);
});

test('config: malformed requests are refused CONFIG_INVALID with the field named, and store nothing', async () => {
  const raw = new RemotingClient();
  try {
    const ask = async (code: number, body: string): Promise<[number, string, string]> => {
      const response = await raw.invoke(broker.address, { code, body: Buffer.from(body) }, STEP_TIMEOUT_MS);
      return [response.code, String(response.extFields?.configError ?? ''), response.remark ?? ''];
    };
    const refusals = [
      await ask(REQUEST_CODE.CONFIG_PUBLISH, 'not json'),
      await ask(REQUEST_CODE.CONFIG_PUBLISH, JSON.stringify({ env: 'prod', namespace: 'bad-ns', key: 'k', value: 7 })),
      await ask(
        REQUEST_CODE.CONFIG_PUBLISH,
        JSON.stringify({ env: 'prod', namespace: 'bad-ns', key: 'k', value: 'x'.repeat(CONFIG_VALUE_BYTES_MAX + 1) }),
      ),
      await ask(
        REQUEST_CODE.CONFIG_PUBLISH,
        JSON.stringify({ env: 'prod', namespace: 'bad-ns', key: 'k', value: 'v', grayPercent: 101 }),
      ),
      await ask(REQUEST_CODE.CONFIG_WATCH, JSON.stringify({ env: 'prod', clientId: 'c', known: {} })),
      await ask(
        REQUEST_CODE.CONFIG_WATCH,
        JSON.stringify({ env: 'prod', clientId: 'c', known: { a: 0 }, holdMs: 10 ** 9 }),
      ),
    ];
    for (const [code, error] of refusals) assert.equal([code, error], [RESPONSE_CODE.SYSTEM_ERROR, 'CONFIG_INVALID']);
    assert.match(refusals[1]![2], /value must be a string/);
    assert.match(refusals[5]![2], /holdMs must be an integer/);
  } finally {
    raw.close();
  }
  assert.equal(await client().items('bad-ns'), []);
});

test('config: state survives a broker SIGKILL and restart, versions and history intact', async () => {
  const admin = client();
  for (const value of ['one', 'two', 'three']) await admin.publish('kill-ns', 'k', value);
  await admin.publish('kill-ns', 'k', 'gray-four', { grayClientIds: ['kill-gray'] });
  const before = await admin.history('kill-ns', 'k');
  await broker.kill();
  await broker.restart();
  const after = client();
  assert.equal(await after.history('kill-ns', 'k'), before);
  assert.equal(await after.get('kill-ns', 'k'), 'three');
  assert.equal(await client({ clientId: 'kill-gray' }).get('kill-ns', 'k'), 'gray-four');
  assert.equal((await after.publish('kill-ns', 'k', 'five')).version, 5);
});

test('config: a client starts from its disk cache with no broker, says so, and goes live again', async () => {
  const cacheDirectory = path.join(directory.path, 'cache');
  const first = client({ cacheDirectory });
  await first.publish('cache-ns', 'db.url', 'postgres://a');
  assert.equal(await first.get('cache-ns', 'db.url'), 'postgres://a');
  await waitFor('the cache file', STEP_TIMEOUT_MS, () =>
    fs.existsSync(path.join(cacheDirectory, 'prod', 'cache-ns.json')),
  );
  first.close();
  await broker.stop();

  const second = client({ cacheDirectory });
  const cachedEvents: string[] = [];
  second.on('cached', (namespace: string) => cachedEvents.push(namespace));
  assert.equal(await second.get('cache-ns', 'db.url'), 'postgres://a');
  assert.equal(second.servingCached, true);
  assert.equal(cachedEvents, ['cache-ns']);
  await rejectsWith(client().get('cache-ns', 'db.url'), 'CONFIG_UNAVAILABLE');

  const live = new Promise<void>((resolve) => second.once('live', () => resolve()));
  await second.watch('cache-ns', 'db.url', () => undefined);
  await broker.restart();
  await live;
  assert.equal(second.servingCached, false);
});

test('config: ACL refuses a reader publishing and a stranger reading; the author is the account', async () => {
  const aclDirectory = path.join(directory.path, 'acl');
  fs.mkdirSync(aclDirectory, { recursive: true });
  const aclFile = path.join(aclDirectory, 'acl.json');
  const accounts = [
    { ...READER, configPerms: ['prod/app=SUB'] },
    { ...PUBLISHER, configPerms: ['prod/*=PUB|SUB'] },
    { ...STRANGER, configPerms: ['dev/app=PUB|SUB'] },
  ];
  fs.writeFileSync(aclFile, JSON.stringify({ accounts }));
  const aclBroker = await startBrokerProcess({
    dataDirectory: path.join(aclDirectory, 'data'),
    acl: aclFile,
    label: 'config acl broker',
  });
  try {
    const open = (credentials: typeof READER): ConfigClient => {
      const created = new ConfigClient({ broker: aclBroker.address, env: 'prod', credentials, author: 'spoofed' });
      clients.push(created);
      return created;
    };
    const publisher = open(PUBLISHER);
    await publisher.publish('app', 'limit', '5');
    const reader = open(READER);
    assert.equal(await reader.get('app', 'limit'), '5');
    const refused = await rejectsWith(reader.publish('app', 'limit', '6'), 'CONFIG_REFUSED');
    assert.equal(refused.responseCode, RESPONSE_CODE.NO_PERMISSION);
    await rejectsWith(reader.rollback('app', 'limit', 1), 'CONFIG_REFUSED');
    await rejectsWith(open(STRANGER).get('app', 'limit'), 'CONFIG_REFUSED');
    await rejectsWith(reader.get('other', 'limit'), 'CONFIG_REFUSED');
    const { versions } = await publisher.history('app', 'limit');
    assert.equal(
      versions.map((v) => [v.value, v.author]),
      [['5', PUBLISHER.accessKey]],
    );
  } finally {
    await aclBroker.stop();
  }
});

test.run();
