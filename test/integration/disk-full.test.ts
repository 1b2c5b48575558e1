// A broker whose data directory's file system fills up: on a small tmpfs, with a ballast file
// taking most of it, sends fail with SERVICE_NOT_AVAILABLE and a [DISK_FULL] remark; the broker
// stays up, every message acknowledged before is still delivered intact; once the ballast is
// removed, sends succeed again without a restart. Mounting needs root (CAP_SYS_ADMIN); without
// it the test says so and checks nothing (the simulated-disk unit tests still cover the store).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { Admin, ClientError, Producer, type ReceivedMessage } from '../../client/index.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { recordingConsumer, waitFor } from '../support/messaging-fixture.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const TMPFS_BYTES = 16 * 1024 * 1024;
/** What the ballast leaves free: a few segments' worth, so the disk fills after some sends. */
const LEFT_FREE_BYTES = 4 * 1024 * 1024;
const BODY_BYTES = 1024;
const SENDS_MAX = 20_000;
const TOPIC = 'disk-full';

/** Mounts a tmpfs of `bytes` at `directory`; false when this process may not mount. */
function mountTmpfs(directory: string, bytes: number): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tributary-disk-full', directory], { stdio: 'pipe' });
    return true;
  } catch (error) {
    console.log(`  SKIPPED disk-full: cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})`);
    return false;
  }
}

/** Fills the file system holding `directory` until `leaveBytes` remain, with one file. */
function writeBallast(file: string, leaveBytes: number): void {
  const free = fs.statfsSync(path.dirname(file));
  const bytes = free.bavail * free.bsize - leaveBytes;
  execFileSync('fallocate', ['-l', String(bytes), file]);
}

function isDiskFull(error: unknown): boolean {
  const cause = error instanceof ClientError ? (error.cause ?? error) : undefined;
  return (
    cause instanceof ClientError &&
    cause.responseCode === RESPONSE_CODE.SERVICE_NOT_AVAILABLE &&
    cause.message.includes('[DISK_FULL]')
  );
}

/** Sends numbered bodies until the broker refuses one; returns the acknowledged ones. */
async function sendUntilFull(producer: Producer): Promise<{ acknowledged: string[]; refusal: unknown }> {
  const acknowledged: string[] = [];
  for (let i = 0; i < SENDS_MAX; i++) {
    const body = `${i}:`.padEnd(BODY_BYTES, 'x');
    try {
      await producer.send({ topic: TOPIC, body });
      acknowledged.push(body);
    } catch (error) {
      return { acknowledged, refusal: error };
    }
  }
  throw new Error(`the disk never filled in ${SENDS_MAX} sends`);
}

/** A broker with its data (small files, no retention by disk use) on the tmpfs at `mountPath`. */
function startBrokerOn(mountPath: string): Promise<BrokerProcess> {
  return startBrokerProcess({
    dataDirectory: path.join(mountPath, 'data'),
    flush: 'sync',
    store: {
      segmentBytes: 1024 * 1024,
      consumeQueueEntriesPerFile: 4096,
      indexSlotCount: 1024,
      indexEntryCount: 4096,
      diskRetentionRatio: 1,
    },
    label: 'disk-full-broker',
  });
}

/** A consumer from the first message receives every acknowledged body, intact. */
async function expectDelivered(broker: BrokerProcess, acknowledged: readonly string[]): Promise<void> {
  const consumer = await recordingConsumer({
    nameServer: broker.nameServerAddress!,
    group: 'disk-full-group',
    subscriptions: { [TOPIC]: '*' },
    consumeFrom: 'first',
  });
  try {
    const bodies = (): Set<string> => new Set(consumer.received.map((m: ReceivedMessage) => m.body.toString('utf8')));
    await waitFor('every acknowledged message delivered', 30_000, () => bodies().size >= acknowledged.length).catch(
      (error: unknown) => {
        throw new Error(`${bodies().size} of ${acknowledged.length} delivered; broker said: ${broker.outputTail}`, {
          cause: error,
        });
      },
    );
    const delivered = bodies();
    assert.deepEqual(
      acknowledged.filter((body) => !delivered.has(body)),
      [],
      'acknowledged messages lost or damaged',
    );
  } finally {
    await consumer.consumer.shutdown();
  }
}

test('disk full: sends fail with [DISK_FULL], stored messages stay intact, sends resume when space returns', async () => {
  const mountPoint = temporaryDirectory('disk-full-mount');
  if (!mountTmpfs(mountPoint.path, TMPFS_BYTES)) {
    mountPoint.remove();
    return;
  }
  let broker: BrokerProcess | undefined;
  const ballast = path.join(mountPoint.path, 'ballast');
  let admin: Admin | undefined;
  try {
    broker = await startBrokerOn(mountPoint.path);
    const nameServer = broker.nameServerAddress!;
    admin = new Admin({ nameServer });
    await admin.createTopic(TOPIC, { queues: 2 });
    await pollUntil('the topic route', 10_000, async () =>
      (await admin!.listTopics()).includes(TOPIC) ? true : undefined,
    );
    const sender = new Producer({ nameServer, group: 'disk-full-producer', retries: 0 });
    await sender.start();
    try {
      writeBallast(ballast, LEFT_FREE_BYTES);
      const { acknowledged, refusal } = await sendUntilFull(sender);
      console.log(`  disk full after ${acknowledged.length} acknowledged sends: ${(refusal as Error).message}`);
      assert.ok(isDiskFull(refusal), `refused with ${String(refusal)}`);
      assert.ok(acknowledged.length > 0, 'some sends fit before the disk filled');
      assert.ok(broker.running, 'the broker survived the full disk');
      await expectDelivered(broker, acknowledged);
      fs.rmSync(ballast);
      await pollUntil('sends accepted again', 20_000, async () => {
        try {
          await sender.send({ topic: TOPIC, body: 'after the ballast went' });
          return true;
        } catch {
          return undefined;
        }
      });
      assert.ok(broker.running, 'the broker stayed up throughout');
    } finally {
      await sender.shutdown();
    }
  } finally {
    await admin?.close();
    await broker?.stop();
    execFileSync('umount', [mountPoint.path]);
    mountPoint.remove();
  }
});

test.run();
