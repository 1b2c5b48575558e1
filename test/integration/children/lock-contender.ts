// Child process of test/integration/distributed-locks.test.ts. argv[2] is a JSON
// LockContenderConfig.
//
// mode 'count': `rounds` times, acquires the lock, reads the shared counter file
// {"value", "lastFence"}, checks its fence is above lastFence, yields to the event loop (so a
// second holder, if the lock let one in, would interleave), writes value + 1 with its fence,
// and releases. Prints {"event":"done","fences":[..],"staleFences":n} and exits 0.
// mode 'hold': acquires once, prints {"event":"granted","fence":..} and holds forever (no
// renewal needed: the lease is long), so the parent can SIGKILL it while it holds the lock.
// Failures print {"event":"failed","message":..} and exit 1. If stdin closes, it exits 3.
import fs from 'node:fs';

import { LockClient } from '../../../client/index.js';

export interface LockContenderConfig {
  readonly mode: 'count' | 'hold';
  readonly broker: string;
  readonly name: string;
  readonly ttlMs: number;
  readonly rounds?: number;
  readonly counterFile?: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as LockContenderConfig;

function report(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function countRounds(locks: LockClient): Promise<void> {
  const file = config.counterFile!;
  const fences: number[] = [];
  let staleFences = 0;
  for (let round = 0; round < config.rounds!; round++) {
    const lock = await locks.acquire(config.name, { ttlMs: config.ttlMs });
    const counter = JSON.parse(fs.readFileSync(file, 'utf8')) as { value: number; lastFence: number };
    if (lock.fence <= counter.lastFence) staleFences++;
    await new Promise((resolve) => setImmediate(resolve));
    fs.writeFileSync(file, JSON.stringify({ value: counter.value + 1, lastFence: lock.fence }));
    fences.push(lock.fence);
    await lock.release();
  }
  report({ event: 'done', fences, staleFences });
}

async function main(): Promise<void> {
  const locks = new LockClient({ broker: config.broker });
  if (config.mode === 'hold') {
    const lock = await locks.acquire(config.name, { ttlMs: config.ttlMs });
    report({ event: 'granted', fence: lock.fence });
    return;
  }
  await countRounds(locks);
  locks.close();
  process.exit(0);
}

process.stdin.on('end', () => process.exit(3));
process.stdin.resume();

main().catch((error: unknown) => {
  report({ event: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  process.exit(1);
});
