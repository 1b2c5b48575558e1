// The orderly consumer's side of queue locks, against a stub broker: what a lock request
// carries, how granted, refused, unanswered and expired locks change the queues' state.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import type { ClientInstance } from '../../client/client-instance.js';
import { ProcessQueue } from '../../client/consumer/process-queue.js';
import { QueueLockKeeper } from '../../client/consumer/queue-lock-keeper.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';

const EXPIRY_MS = 30_000;

interface LockBody {
  consumerGroup: string;
  clientId: string;
  mqSet: { topic: string; brokerName: string; queueId: number }[];
}

/** A broker that grants the queue ids in `grant` (or fails when `down`), recording requests. */
function stubClient(state: { grant: Set<number>; down: boolean; requests: { code: number; body: LockBody }[] }) {
  return {
    clientId: 'client-1',
    brokerAddress: (brokerName: string) => (brokerName === 'broker-a' ? '127.0.0.1:10911' : undefined),
    invoke: async (_address: string, request: { code: number; body: Buffer }): Promise<RemotingCommand> => {
      if (state.down) throw new Error('unreachable');
      const body = JSON.parse(request.body.toString('utf8')) as LockBody;
      state.requests.push({ code: request.code, body });
      const lockOKMQSet = body.mqSet.filter((queue) => state.grant.has(queue.queueId));
      return {
        code: RESPONSE_CODE.SUCCESS,
        language: 'JAVA',
        version: 0,
        opaque: 0,
        flag: 1,
        body: Buffer.from(JSON.stringify({ lockOKMQSet })),
      };
    },
  } as unknown as ClientInstance;
}

const queue = (queueId: number) => ({ topic: 'orders', brokerName: 'broker-a', queueId });

test('queue-lock-keeper: lock asks the broker once for all its queues and returns the granted ones with their expiry', async () => {
  const state = { grant: new Set([0, 2]), down: false, requests: [] as { code: number; body: LockBody }[] };
  const keeper = new QueueLockKeeper(
    stubClient(state),
    'g',
    EXPIRY_MS,
    () => [],
    () => undefined,
  );
  const before = Date.now();
  const granted = await keeper.lock([queue(0), queue(1), queue(2)]);
  assert.deepEqual([...granted.keys()], ['orders@broker-a@0', 'orders@broker-a@2']);
  for (const until of granted.values()) assert.ok(until >= before + EXPIRY_MS && until <= Date.now() + EXPIRY_MS);
  assert.equal(state.requests.length, 1);
  assert.equal(state.requests[0]!.code, REQUEST_CODE.LOCK_BATCH_MQ);
  assert.deepEqual(state.requests[0]!.body.consumerGroup, 'g');
  assert.deepEqual(state.requests[0]!.body.clientId, 'client-1');
  assert.deepEqual(
    state.requests[0]!.body.mqSet.map((q) => q.queueId),
    [0, 1, 2],
  );
});

test('queue-lock-keeper: renew extends granted locks, reports refused and expired ones, and leaves unanswered ones to expire', async () => {
  const state = { grant: new Set([0]), down: false, requests: [] as { code: number; body: LockBody }[] };
  const held = new ProcessQueue(queue(0), 0);
  const refused = new ProcessQueue(queue(1), 0);
  const expired = new ProcessQueue(queue(2), 0);
  for (const pq of [held, refused]) pq.lockedUntilMs = Date.now() + 1000;
  expired.lockedUntilMs = Date.now() - 1;
  const lost: string[] = [];
  const keeper = new QueueLockKeeper(
    stubClient(state),
    'g',
    EXPIRY_MS,
    () => [held, refused, expired],
    (pq, reason) => {
      pq.lockLost = true;
      lost.push(`${pq.queue.queueId}:${reason}`);
    },
  );
  await keeper.renew();
  assert.deepEqual(lost, ['2:expired', '1:refused']);
  assert.ok(held.lockedUntilMs > Date.now() + EXPIRY_MS - 1000, 'the granted lock was extended');
  assert.deepEqual(
    state.requests[0]!.body.mqSet.map((q) => q.queueId),
    [0, 1],
    'an expired lock is not renewed: its queue is given up',
  );
  const until = held.lockedUntilMs;
  state.down = true;
  await keeper.renew();
  assert.equal(held.lockedUntilMs, until, 'no answer changes nothing');
  assert.ok(held.isLocked());
  assert.equal(refused.isLocked(), false);
});

test.run();
