// Unique ids with real processes: four client processes take ids without pause while the broker
// is SIGKILLed and restarted; no id is handed out twice (segment and snowflake mode). Worker id
// leases are exclusive while live, and reusable only after expiry plus the reuse margin.
import { fileURLToPath } from 'node:url';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { ClientError, IdClient } from '../../client/index.js';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { JsonLineChild } from '../support/json-line-child.js';
import { temporaryDirectory } from '../support/temporary-directory.js';
import type { IdTakerConfig } from './children/id-taker.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./children/id-taker.js', import.meta.url));
const CLIENT_PROCESSES = 4;
/** Ids each client hands out before the crash, and again after the restart. */
const IDS_PER_PHASE = 3_000;
const WAIT_MS = 30_000;

function idsOf(child: JsonLineChild): string[] {
  return child.lines.filter((line) => line.event === 'ids').flatMap((line) => line.ids as string[]);
}

function countOf(child: JsonLineChild): number {
  let count = 0;
  for (const line of child.lines) if (line.event === 'ids') count += (line.ids as string[]).length;
  return count;
}

async function reachCount(children: readonly JsonLineChild[], counts: readonly number[]): Promise<void> {
  await Promise.all(
    children.map((child, i) =>
      child.waitFor(`${counts[i]} ids`, WAIT_MS, () => (countOf(child) >= counts[i]! ? true : undefined)),
    ),
  );
}

/** Runs the clients through a broker SIGKILL and restart; returns every id they handed out. */
async function idsAcrossCrash(broker: BrokerProcess, config: Omit<IdTakerConfig, 'nameServer'>): Promise<string[]> {
  const children = Array.from({ length: CLIENT_PROCESSES }, (_, i) =>
    JsonLineChild.spawn(CHILD_SCRIPT, [JSON.stringify({ ...config, nameServer: broker.nameServerAddress! })], {
      label: `id-taker-${i}`,
    }),
  );
  try {
    await Promise.all(
      children.map((child) => child.waitFor('ready', WAIT_MS, (l) => l.find((x) => x.event === 'ready'))),
    );
    await reachCount(
      children,
      children.map(() => IDS_PER_PHASE),
    );
    await broker.kill();
    await broker.restart();
    await reachCount(
      children,
      children.map((child) => countOf(child) + IDS_PER_PHASE),
    );
    for (const child of children) child.send('stop');
    await Promise.all(
      children.map((child) => child.waitFor('done', WAIT_MS, (l) => l.find((x) => x.event === 'done'))),
    );
    return children.flatMap(idsOf);
  } finally {
    await Promise.all(children.map((child) => child.terminate('SIGKILL', WAIT_MS)));
  }
}

function assertUnique(ids: readonly string[]): void {
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const id of ids) {
    if (seen.has(id)) duplicates.push(id);
    seen.add(id);
  }
  assert.equal(duplicates.slice(0, 10), [], `${duplicates.length} duplicate ids of ${ids.length}`);
}

test('segment ids stay unique across 4 client processes and a broker SIGKILL mid-run', async () => {
  const directory = temporaryDirectory('unique-ids-segment');
  const broker = await startBrokerProcess({ dataDirectory: directory.path });
  const ids = new IdClient({ nameServer: broker.nameServerAddress! });
  try {
    await ids.createSequence('orders', { start: 1000, step: 3 });
    const all = await idsAcrossCrash(broker, { mode: 'segment', name: 'orders', rangeSize: 200, idsPerTick: 100 });
    assert.ok(all.length >= CLIENT_PROCESSES * IDS_PER_PHASE * 2);
    assertUnique(all);
    for (const id of all)
      assert.ok(Number(id) >= 1000 && (Number(id) - 1000) % 3 === 0, `id ${id} is off the sequence`);
  } finally {
    await ids.close();
    await broker.stop();
    directory.remove();
  }
});

test('snowflake ids stay unique across 4 client processes and a broker SIGKILL mid-run', async () => {
  const directory = temporaryDirectory('unique-ids-snowflake');
  const broker = await startBrokerProcess({ dataDirectory: directory.path });
  try {
    const all = await idsAcrossCrash(broker, { mode: 'snowflake', name: 'orders', leaseTtlMs: 1500, idsPerTick: 100 });
    assertUnique(all);
  } finally {
    await broker.stop();
    directory.remove();
  }
});

test('a live worker id lease is never given to a second holder, and an expired one only after the reuse margin', async () => {
  const directory = temporaryDirectory('unique-ids-lease');
  const broker = await startBrokerProcess({ dataDirectory: directory.path });
  const first = new IdClient({ nameServer: broker.nameServerAddress! });
  const second = new IdClient({ nameServer: broker.nameServerAddress! });
  try {
    const a = await first.snowflake('exclusive', { layout: { workerBits: 1 } });
    const b = await second.snowflake('exclusive', { layout: { workerBits: 1 } });
    assert.not.equal(a.workerId, b.workerId, 'two live holders of one worker id');
    const refused = await second.snowflake('exclusive', { layout: { workerBits: 1 } }).catch((error: unknown) => error);
    assert.instance(refused, ClientError);
    assert.equal((refused as ClientError).code, 'ID_WORKERS_EXHAUSTED');
    // A killed broker keeps the leases (they are logged).
    await broker.kill();
    await broker.restart();
    const afterRestart = await second
      .snowflake('exclusive', { layout: { workerBits: 1 } })
      .catch((error: unknown) => error);
    assert.equal((afterRestart as ClientError).code, 'ID_WORKERS_EXHAUSTED', 'a restart forgot a live lease');
    // Released: still not reusable within the reuse margin (10 s).
    await first.close();
    const withinMargin = await second
      .snowflake('exclusive', { layout: { workerBits: 1 } })
      .catch((error: unknown) => error);
    assert.equal((withinMargin as ClientError).code, 'ID_WORKERS_EXHAUSTED', 'reused within the margin');
  } finally {
    await second.close();
    await broker.stop();
    directory.remove();
  }
});

test.run();
