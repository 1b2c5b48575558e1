// The config centre's state machine (broker/state/config-store.ts) on a real message store:
// versions and history, gray releases, revisions, and what a snapshot plus the commands logged
// after it rebuild on reopening.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { ConfigCentreError } from '../../broker/config-centre/config-centre-error.js';
import { ConfigStore, configGrayBucket, type ConfigAddress } from '../../broker/state/config-store.js';
import { MessageStore } from '../../storage/index.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const KEEP = 4;
const address: ConfigAddress = { env: 'prod', namespace: 'app', group: 'DEFAULT_GROUP', key: 'k' };
const meta = (time: number): { author: string; time: number; comment: string } => ({
  author: 'tester',
  time,
  comment: '',
});

async function configStore(
  label: string,
): Promise<{ config: () => ConfigStore; reopen(): Promise<void>; close(): Promise<void> }> {
  const directory = temporaryDirectory(label);
  const stateDirectory = path.join(directory.path, 'state');
  fs.mkdirSync(stateDirectory);
  const open = async (): Promise<{ store: MessageStore; config: ConfigStore }> => {
    const store = await MessageStore.open(path.join(directory.path, 'store'), {
      segmentBytes: 1 << 20,
      indexSlotCount: 1024,
      indexEntryCount: 4096,
    });
    return { store, config: new ConfigStore(store, stateDirectory, KEEP) };
  };
  let current = await open();
  return {
    config: () => current.config,
    reopen: async () => {
      await current.store.close();
      current = await open();
    },
    close: async () => {
      await current.store.close();
      directory.remove();
    },
  };
}

/** Everything a reader can see of the item and its namespace. */
function view(config: ConfigStore, clientId: string): unknown {
  return {
    ...config.history(address),
    revision: config.revision('prod', 'app'),
    items: config.namespace('prod', 'app', clientId),
  };
}

test('config-store: a snapshot plus the commands after it rebuild the same versions, gray release and revisions', async () => {
  const table = await configStore('config-store-snapshot');
  try {
    const grayClient = 'gray-client';
    for (let i = 1; i <= 3; i++) await table.config().publish(address, `v${i}`, meta(i));
    await table.config().stateMachine.snapshot();
    for (let i = 4; i <= 6; i++) await table.config().publish(address, `v${i}`, meta(i));
    await table.config().delete(address, meta(7));
    await table.config().rollback(address, 5, meta(8));
    await table.config().gray(address, 'g', { clientIds: [grayClient], percent: 0 }, meta(9));
    const before = [view(table.config(), grayClient), view(table.config(), 'other')];
    await table.reopen();
    assert.deepEqual([view(table.config(), grayClient), view(table.config(), 'other')], before);
    const { versions } = table.config().history(address);
    assert.deepEqual(
      versions.map((v) => [v.version, v.kind, v.value]),
      [
        [5, 'publish', 'v5'],
        [6, 'publish', 'v6'],
        [7, 'delete', null],
        [8, 'rollback', 'v5'],
      ],
    );
    assert.equal((await table.config().promote(address, meta(10))).version, 10, 'the gray took version 9');
  } finally {
    await table.close();
  }
});

test('config-store: refusals change nothing: delete of a deleted item, rollback past history, promote without gray', async () => {
  const table = await configStore('config-store-refusals');
  try {
    const config = table.config();
    const refused = (action: () => unknown, code: string): void =>
      assert.throws(action, (error: unknown) => error instanceof ConfigCentreError && error.code === code);
    refused(() => config.delete(address, meta(1)), 'CONFIG_NOT_FOUND');
    refused(() => config.promote(address, meta(1)), 'CONFIG_NO_GRAY');
    for (let i = 1; i <= KEEP + 2; i++) await config.publish(address, `v${i}`, meta(i));
    const revision = config.revision('prod', 'app');
    refused(() => config.rollback(address, 1, meta(9)), 'CONFIG_VERSION_NOT_KEPT');
    assert.equal(config.revision('prod', 'app'), revision);
    assert.equal(config.history(address).versions.length, KEEP);
  } finally {
    await table.close();
  }
});

test('config-store: the gray bucket of a client id is stable and spreads over 0-99', () => {
  const buckets = Array.from({ length: 1000 }, (_, i) => configGrayBucket(`client-${i}`));
  assert.deepEqual(
    buckets,
    Array.from({ length: 1000 }, (_, i) => configGrayBucket(`client-${i}`)),
  );
  assert.ok(buckets.every((bucket) => bucket >= 0 && bucket < 100));
  const under50 = buckets.filter((bucket) => bucket < 50).length;
  assert.ok(under50 > 400 && under50 < 600, `${under50} of 1000 under 50`);
});

test.run();
