// `tributary start --config broker.json`: every key is a flag, flags on the command line win,
// and the broker runs with the result (read back through `tributary broker status --json`).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import type { BrokerStatus } from '../../client/index.js';
import { pollUntil } from '../support/broker-requests.js';
import { cliJson, runCli } from '../support/run-cli.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const CLI_SCRIPT = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const BYTES_PER_MIB = 1024 * 1024;

test('config file keys become flags, command line flags override them', async () => {
  const directory = temporaryDirectory('config-file');
  const configPath = path.join(directory.path, 'broker.json');
  fs.writeFileSync(
    configPath,
    JSON.stringify({
      'segment-mb': 2,
      'retention-hours': 5,
      'disk-full-percent': 95,
      'transaction-timeout-ms': 4321,
      'transaction-check-interval-ms': 1234,
      'auto-create-topics': true,
      host: '127.0.0.1',
    }),
  );
  const args = ['start', '--config', configPath, '--data', path.join(directory.path, 'data')];
  const server = spawn(process.execPath, [
    CLI_SCRIPT,
    ...args,
    '--port',
    '0',
    '--namesrv-port',
    '0',
    '--retention-hours',
    '7',
  ]);
  let stdout = '';
  let stderr = '';
  server.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  server.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => server.on('close', resolve));
  try {
    const nameServerPort = await pollUntil(`ready line (stderr: ${stderr})`, START_TIMEOUT_MS, async () => {
      if (server.exitCode !== null) throw new Error(`start exited ${server.exitCode}: ${stderr}`);
      return /name server port (\d+)/.exec(stdout)?.[1];
    });
    const status = await cliJson<{ brokers: BrokerStatus[] }>([
      'broker',
      'status',
      '--namesrv',
      `127.0.0.1:${nameServerPort}`,
    ]);
    const table = status.brokers[0]!.table;
    assert.equal(table.retentionHours, '7', 'the flag wins over the file');
    assert.equal(table.segmentBytes, String(2 * BYTES_PER_MIB));
    assert.equal(table.diskFullRatio, '0.95');
    assert.equal(table.transactionTimeoutMs, '4321');
    assert.equal(table.transactionCheckIntervalMs, '1234');
  } finally {
    server.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    directory.remove();
  }
});

test('a config file with an unknown key or a wrongly typed value is a usage error (exit 2)', async () => {
  const directory = temporaryDirectory('config-file-bad');
  try {
    const unknown = path.join(directory.path, 'unknown.json');
    fs.writeFileSync(unknown, JSON.stringify({ 'segment-mb': 2, retention: 5 }));
    const wrongType = path.join(directory.path, 'wrong.json');
    fs.writeFileSync(wrongType, JSON.stringify({ 'segment-mb': 'big' }));
    const notJson = path.join(directory.path, 'broken.json');
    fs.writeFileSync(notJson, '{');
    const runs = await Promise.all(
      [unknown, wrongType, notJson].map((file) => runCli(['broker', '--config', file, '--data', directory.path])),
    );
    assert.deepEqual(
      runs.map((run) => run.code),
      [2, 2, 2],
    );
    assert.match(runs[0]!.stderr, /unknown key 'retention'/);
    assert.match(runs[1]!.stderr, /'segment-mb' must be an integer/);
    assert.match(runs[2]!.stderr, /is not JSON/);
  } finally {
    directory.remove();
  }
});

test.run();
