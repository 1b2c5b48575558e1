// The disk's own sequential write rate, measured in the same run as the trials it bounds:
// `dd if=/dev/zero bs=1M count=N conv=fdatasync` into the trial's directory, timed from start to
// exit (the final fdatasync included), so it counts what reached the disk, not the page cache.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

import { num, type Params, type RunnerOutput } from '../lib/trial-types.js';

const run = promisify(execFile);
const BYTES_PER_MIB = 1024 * 1024;
const MS_PER_SECOND = 1000;

export async function ddWrite(params: Params, directory: string): Promise<RunnerOutput> {
  const mib = num(params, 'ddMiB');
  const file = path.join(directory, 'dd.bin');
  const started = performance.now();
  const { stderr } = await run('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${mib}`, 'conv=fdatasync']);
  const elapsedMs = performance.now() - started;
  const bytes = mib * BYTES_PER_MIB;
  return {
    metrics: { bodyBytesPerSec: (bytes / elapsedMs) * MS_PER_SECOND, bytes, elapsedMs },
    details: { ddReport: stderr.trim().split('\n').at(-1) },
  };
}
