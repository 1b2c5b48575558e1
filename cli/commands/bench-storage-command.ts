// `tributary bench storage`: the storage engine's benchmarks (native-bench/storage.bench.ts,
// `npm run bench:storage`), run as their own process with the flags passed through. They live in
// the source tree's native-bench/, compiled to dist/native-bench/; an installed package built
// without them says so.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

import { cliCommand } from './cli-command.js';
import { CliFailure } from '../cli-failure.js';

/** dist/cli/bench-storage-command.js -> dist/native-bench/storage.bench.js. */
const STORAGE_BENCH_SCRIPT = fileURLToPath(new URL('../../native-bench/storage.bench.js', import.meta.url));

export const benchStorageCommand = cliCommand(
  'storage',
  {
    name: 'bench storage',
    summary: 'Runs the storage engine benchmarks against lmdb, SQLite and plain files (npm run bench:storage).',
    flags: {
      only: { type: 'string', placeholder: 'id[,id]', description: 'trial ids or group prefixes to run' },
      rounds: {
        type: 'integer',
        min: 1,
        description: 'run the selection this many times, interleaved',
        defaultText: '1',
      },
      quick: { type: 'boolean', description: 'short sampling and small fills (a smoke test)' },
      list: { type: 'boolean', description: 'list the trials' },
      profile: { type: 'string', placeholder: 'trial', description: 'run one trial under the CPU profiler' },
      'no-save': { type: 'boolean', description: 'do not write results/' },
    },
    examples: ['tributary bench storage --only append-100b --rounds 3', 'tributary bench storage --list'],
  },
  async (line) => {
    if (!fs.existsSync(STORAGE_BENCH_SCRIPT)) {
      throw new CliFailure(`the storage benchmarks are not built (${STORAGE_BENCH_SCRIPT}); run npm run build`);
    }
    const args: string[] = [];
    for (const name of ['only', 'profile']) {
      const value = line.string(name);
      if (value !== undefined) args.push(`--${name}`, value);
    }
    if (line.has('rounds')) args.push('--rounds', String(line.integer('rounds')));
    for (const name of ['quick', 'list', 'no-save']) if (line.boolean(name)) args.push(`--${name}`);
    const child = spawn(process.execPath, [STORAGE_BENCH_SCRIPT, ...args], { stdio: 'inherit' });
    const code = await new Promise<number>((resolve) =>
      child.once('exit', (exit, signal) => resolve(exit ?? (signal ? 1 : 0))),
    );
    if (code !== 0) throw new CliFailure(`the storage benchmarks exited with status ${code}`);
  },
);
