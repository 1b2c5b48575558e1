// The TCC fault matrix, on the worked example (examples/tcc-transfer/): transfers between two
// account services, each its own process with its own durable store, while faults hit every
// step: the services SIGKILL themselves before a call, between changing and writing their store,
// and after writing it before reporting; tries are delayed past their timeout; calls are
// duplicated and replayed out of order; initiators vanish before deciding, repeat commits and
// send tries after the decision; and the coordinator (the broker) is SIGKILLed and restarted.
// Whatever happens, once the coordinator has finished every global: no money is created or lost
// (the sum of balances is unchanged), nothing stays frozen, and each store agrees with the
// coordinator's outcome of every global. Seeded: the seed is printed, SEED=<n> replays it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import { TccCoordinatorClient, TccError, type TccGlobalStatus } from '../../client/index.js';
import { transfer } from '../../examples/tcc-transfer/transfer.js';
import type { FaultyAccountConfig } from './children/faulty-account-service.js';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { JsonLineChild } from '../support/json-line-child.js';
import { seededRandom, type SeededRandom } from '../support/seeded-random.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./children/faulty-account-service.js', import.meta.url));
const TRANSFERS = 40;
const WORKERS = 4;
const INITIAL_BALANCE = 1000;
const TRY_TIMEOUT_MS = 400;
const GLOBAL_TIMEOUT_MS = 2500;
const BROKER_KILLS = 3;
const SETTLE_MS = 60_000;
const RESTART_ATTEMPTS_MAX = 20;
const RESTART_RETRY_MS = 500;

/** An account service kept running: respawned (with a fresh seed of its own) whenever it dies. */
class SupervisedService {
  child: JsonLineChild | undefined;
  crashes = 0;
  private generation = 0;
  private stopped = false;

  constructor(
    private readonly base: Omit<FaultyAccountConfig, 'seed'>,
    private readonly seed: number,
  ) {}

  async start(): Promise<void> {
    const config: FaultyAccountConfig = { ...this.base, seed: this.seed + this.generation++ };
    const child = JsonLineChild.spawn(CHILD_SCRIPT, [JSON.stringify(config)], { label: this.base.resource });
    this.child = child;
    void child.exited.then(() => {
      if (this.stopped) return;
      this.crashes++;
      // A respawn that dies before ready is respawned in turn; one cut short by stop() is over.
      this.start().catch(() => undefined);
    });
    await child.waitFor('ready', 30_000, (lines) => lines.find((l) => l.event === 'ready'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.child?.terminate('SIGTERM', 5000);
  }
}

interface Tally {
  committed: number;
  failed: number;
  abandoned: number;
  /** Failures by TccError code. */
  reasons: Record<string, number>;
}

async function oneTransfer(coordinator: TccCoordinatorClient, random: SeededRandom, tally: Tally): Promise<void> {
  const forward = random.next() < 0.5;
  const a = { resource: 'account-a', account: 'alice' };
  const b = { resource: 'account-b', account: 'bob' };
  const amount = random.between(1, 400);
  const options = { timeoutMs: GLOBAL_TIMEOUT_MS, tryTimeoutMs: TRY_TIMEOUT_MS };
  try {
    if (random.next() < 0.1) {
      // The initiator vanishes after its tries: the coordinator times the global out.
      const xid = await coordinator.begin(GLOBAL_TIMEOUT_MS);
      await coordinator.tryBranch(
        xid,
        a.resource,
        Buffer.from(JSON.stringify({ account: 'alice', delta: -amount })),
        TRY_TIMEOUT_MS,
      );
      tally.abandoned++;
      return;
    }
    const xid = await transfer(coordinator, forward ? a : b, forward ? b : a, amount, options);
    tally.committed++;
    if (random.next() < 0.3) await coordinator.commit(xid); // A duplicated commit: a no-op.
    if (random.next() < 0.3) {
      // A try reordered after the decision: refused.
      const late = coordinator.tryBranch(xid, a.resource, Buffer.from('{}'), TRY_TIMEOUT_MS);
      const error = await late.then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(
        error instanceof TccError && ['WRONG_STATE', 'UNAVAILABLE', 'GLOBAL_NOT_FOUND'].includes(error.code),
        String(error),
      );
    }
  } catch (error) {
    if (!(error instanceof TccError)) throw error;
    tally.failed++;
    tally.reasons[error.code] = (tally.reasons[error.code] ?? 0) + 1;
    if (process.env.TCC_FAULTS_VERBOSE !== undefined) console.log(`  ${error.message}`);
  }
}

function readStore(file: string): {
  accounts: Record<string, { balance: number; frozen: number; incoming: number }>;
  branches: Record<string, { state: string }>;
} {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/**
 * Restarts the killed broker on its ports. A client reconnecting to a loopback port nothing
 * listens on can be handed that very port as its own (a TCP self-connect), holding it until its
 * request times out; the restart then meets EADDRINUSE and is tried again.
 */
async function restartBroker(broker: BrokerProcess): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await broker.restart();
      return;
    } catch (error) {
      if (attempt >= RESTART_ATTEMPTS_MAX || !String(error).includes('EADDRINUSE')) throw error;
      console.log(`  broker restart attempt ${attempt}: port busy, again`);
      await new Promise((resolve) => setTimeout(resolve, RESTART_RETRY_MS));
    }
  }
}

async function runTransfers(
  coordinator: TccCoordinatorClient,
  broker: BrokerProcess,
  random: SeededRandom,
): Promise<Tally> {
  const tally: Tally = { committed: 0, failed: 0, abandoned: 0, reasons: {} };
  const killAt = new Set(
    Array.from(
      { length: BROKER_KILLS },
      (_, i) => Math.floor(((i + 1) * TRANSFERS) / (BROKER_KILLS + 1)) + random.int(3),
    ),
  );
  let started = 0;
  // One crash at a time: the other workers' transfers meet it wherever they are.
  let crashing: Promise<void> = Promise.resolve();
  const worker = async (): Promise<void> => {
    while (started < TRANSFERS) {
      const n = started++;
      if (killAt.has(n))
        crashing = crashing.then(async () => {
          await broker.kill();
          await restartBroker(broker);
        });
      else await crashing; // New transfers start once the broker is back; those in flight meet the crash.
      await oneTransfer(coordinator, random, tally);
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  await crashing;
  return tally;
}

test('transfers under every fault end consistent: no money created or lost, stores agree with the coordinator', async () => {
  const random = seededRandom('tcc transfer faults');
  const directory = temporaryDirectory('tcc-faults');
  const broker = await startBrokerProcess({
    dataDirectory: path.join(directory.path, 'broker'),
    label: 'tcc-coordinator',
  });
  const faults = {
    crashChance: 0.03,
    delayChance: 0.1,
    delayMs: TRY_TIMEOUT_MS + 300,
    duplicateChance: 0.2,
    duplicateDelayMsMax: 300,
  };
  const files = { a: path.join(directory.path, 'a.json'), b: path.join(directory.path, 'b.json') };
  const base = { coordinatorAddress: broker.address, ...faults };
  const services = [
    new SupervisedService(
      { ...base, resource: 'account-a', storeFile: files.a, initial: { alice: INITIAL_BALANCE } },
      random.seed,
    ),
    new SupervisedService(
      { ...base, resource: 'account-b', storeFile: files.b, initial: { bob: INITIAL_BALANCE } },
      random.seed + 1000,
    ),
  ];
  const coordinator = new TccCoordinatorClient({ coordinatorAddress: broker.address });
  try {
    for (const service of services) await service.start();
    const tally = await runTransfers(coordinator, broker, random);
    const globals = await pollUntil<TccGlobalStatus[]>('every global finished', SETTLE_MS, async () => {
      const listed = await coordinator.list(1000);
      return listed.every((g) => g.state === 'committed' || g.state === 'rolled_back') ? listed : undefined;
    });
    for (const service of services) await service.stop();
    const a = readStore(files.a);
    const b = readStore(files.b);
    const alice = a.accounts.alice!;
    const bob = b.accounts.bob!;
    console.log(
      `  tally ${JSON.stringify(tally)}, crashes ${services.map((s) => s.crashes)}, alice ${alice.balance}, bob ${bob.balance}`,
    );
    assert.equal(alice.balance + bob.balance, 2 * INITIAL_BALANCE, 'money created or lost');
    assert.deepEqual([alice.frozen, alice.incoming, bob.frozen, bob.incoming], [0, 0, 0, 0], 'money left frozen');
    assert.ok(alice.balance >= 0 && bob.balance >= 0);
    for (const global of globals) {
      const states = [a.branches[global.xid]?.state, b.branches[global.xid]?.state];
      if (global.state === 'committed') assert.deepEqual(states, ['confirmed', 'confirmed'], global.xid);
      else assert.ok(!states.includes('confirmed') && !states.includes('tried'), `${global.xid}: ${states}`);
    }
    assert.ok(tally.committed > 0, 'no transfer committed at all');
  } finally {
    coordinator.close();
    for (const service of services) await service.stop();
    await broker.stop();
    directory.remove();
  }
});

test.run();
