// Recovery after SIGKILL: a child process (recovery-filler.js) fills a store with appendBatch
// and keeps appending; once the log passes `fillBytes` it reports, and is SIGKILLed mid-append.
// This process then times MessageStore.open on the crashed directory. The page cache is hot
// (a process crash leaves it so); a cold-cache figure would need dropping caches machine-wide.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

import { MessageStore } from '../../storage/index.js';
import { num, str, type Params, type RunnerOutput } from '../lib/trial-types.js';

const FILLER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'recovery-filler.js');
/** recoveryVerifySegments large enough to make recovery validate every segment. */
const ALL_SEGMENTS = 1_000_000;

export async function recovery(params: Params, directory: string): Promise<RunnerOutput> {
  const storeDirectory = path.join(directory, 'store');
  const segmentBytes = num(params, 'segmentBytes');
  const fillStarted = performance.now();
  const filled = await fillAndKill(storeDirectory, params);
  const fillSeconds = (performance.now() - fillStarted) / 1000;
  const verify = str(params, 'verifySegments');
  const options = { segmentBytes, ...(verify === 'all' ? { recoveryVerifySegments: ALL_SEGMENTS } : {}) };
  const started = performance.now();
  const store = await MessageStore.open(storeDirectory, options);
  const openMs = performance.now() - started;
  try {
    const report = store.recovery;
    const scanned = report.logEnd - report.scannedFrom;
    return {
      metrics: {
        scanBytesPerSec: scanned / (report.elapsedMs / 1000),
        scannedBytes: scanned,
        recoveryMs: report.elapsedMs,
        openMs,
        openScanBytesPerSec: scanned / (openMs / 1000),
        logBytes: report.logEnd,
        redispatchedRecords: report.redispatchedRecords,
        fillBytesPerSec: filled.maxOffset / fillSeconds,
      },
      details: { recovery: report, killedAt: filled, verifySegments: verify },
    };
  } finally {
    await store.close();
  }
}

interface FillReport {
  maxOffset: number;
  flushedOffset: number;
  appended: number;
}

function fillAndKill(storeDirectory: string, params: Params): Promise<FillReport> {
  return new Promise((resolve, reject) => {
    const child = fork(FILLER, [storeDirectory, JSON.stringify(params)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: FillReport | undefined;
    child.on('message', (message: FillReport) => {
      report = message;
      child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (report !== undefined && signal === 'SIGKILL') resolve(report);
      else reject(new Error(`filler exited with code ${code} signal ${signal} before filling`));
    });
  });
}
