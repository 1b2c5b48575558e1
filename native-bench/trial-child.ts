// Runs one trial in this process: `node dist/native-bench/trial-child.js <trial id> <empty dir> [params json]`.
// Forked by storage.bench.js (one process per trial, so JIT state and GC pressure never leak
// from one trial into the next); the result goes back over IPC, or to stdout when run by hand.
import { RUNNERS } from './runners/index.js';
import type { Params, RunnerOutput } from './lib/trial-types.js';
import { findTrial } from './trials.js';

export type ChildMessage = { ok: true; output: RunnerOutput } | { ok: false; error: string };

const [id, directory, overridesJson] = process.argv.slice(2);
if (id === undefined || directory === undefined) {
  console.error('usage: trial-child.js <trial id> <empty directory> [params json]');
  process.exit(2);
}
const trial = findTrial(id);
const runner = RUNNERS[trial.kind];
let message: ChildMessage;
try {
  if (runner === undefined) throw new Error(`no runner for kind '${trial.kind}'`);
  const params: Params = { ...trial.params, ...(overridesJson ? (JSON.parse(overridesJson) as Params) : {}) };
  message = { ok: true, output: await runner(params, directory) };
} catch (error) {
  message = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}
if (process.send !== undefined) {
  process.send(message, () => process.exit(0));
} else {
  console.log(JSON.stringify(message, null, 2));
  process.exit(message.ok ? 0 : 1);
}
