// The code examples in README.md run as written: each js block is extracted, written next to
// the compiled package (so `tributary` and `tributary/storage` resolve to this package by
// self-reference) and run in a child process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'uvu';

import { Admin, Producer } from '../../client/index.js';
import { startBrokerProcess } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const EXAMPLE_TIMEOUT_MS = 30_000;

/** The first ```<language> block (js unless told) after the heading `## <title>`. */
function example(title: string, language = 'js'): string {
  const section = README.indexOf(`## ${title}`);
  assert.ok(section >= 0, `README has a section '${title}'`);
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(README.slice(section));
  assert.ok(match !== null, `section '${title}' has a ${language} example`);
  return match[1]!;
}

async function runExample(name: string, code: string): Promise<string> {
  const file = path.join(ROOT, 'dist', `readme-${name}.example.mjs`);
  fs.writeFileSync(file, code);
  try {
    const { stdout } = await run(process.execPath, [file], { timeout: EXAMPLE_TIMEOUT_MS });
    return stdout;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

test('readme: the embedding example runs as written and finds its message by key', async () => {
  const output = await runExample('embedding', example('Embedding the log store'));
  assert.match(output, /^hello 1 [0-9A-F]{32}$/m);
});

test('readme: the producing and consuming example runs against a broker (its address swapped in)', async () => {
  const directory = temporaryDirectory('readme');
  const broker = await startBrokerProcess({ dataDirectory: directory.path });
  try {
    const code = example('Producing and consuming').replaceAll('127.0.0.1:9876', broker.nameServerAddress!);
    await runExample('producing', code);
  } finally {
    await broker.stop();
    directory.remove();
  }
});

test('readme: the ACL example starts a broker, and its admin and producer accounts work as described', async () => {
  const directory = temporaryDirectory('readme-acl');
  const aclFile = path.join(directory.path, 'acl.json');
  fs.writeFileSync(aclFile, example('Access control and TLS', 'json'));
  const broker = await startBrokerProcess({ dataDirectory: path.join(directory.path, 'data'), acl: aclFile });
  const nameServer = broker.nameServerAddress!;
  // ops-admin has requireSignedCode: Tributary's client signs code, time and nonce.
  const admin = new Admin({ nameServer, credentials: { accessKey: 'ops-admin', secretKey: 'ops-secret-key' } });
  const producer = new Producer({
    nameServer,
    group: 'orders-producer',
    credentials: { accessKey: 'orders-app', secretKey: 'change-me-please' },
  });
  try {
    await admin.createTopic('orders', { queues: 1 });
    await pollUntil('the orders route', EXAMPLE_TIMEOUT_MS, async () =>
      (await admin.listTopics()).includes('orders') ? true : undefined,
    );
    await producer.start();
    assert.match((await producer.send({ topic: 'orders', body: 'paid' })).msgId, /^[0-9A-F]+$/);
  } finally {
    await producer.shutdown();
    await admin.close();
    await broker.stop();
    directory.remove();
  }
});

test('readme: the TCC example commits a transfer through a broker coordinator (its address swapped in)', async () => {
  const directory = temporaryDirectory('readme-tcc');
  const broker = await startBrokerProcess({ dataDirectory: directory.path });
  try {
    const output = await runExample('tcc', example('TCC transactions').replaceAll('127.0.0.1:10911', broker.address));
    assert.match(output, /^committed 70 30$/m);
  } finally {
    await broker.stop();
    directory.remove();
  }
});

test.run();
