// Every code example in README.md and docs/*.md runs as written (docs/README.md, "The rule").
// Each js or ts block is extracted, written next to the compiled package (so `tributary` and
// `tributary/storage` resolve to this package by self-reference) and run in a child process
// against one live broker, with the name server address of `npm start` (127.0.0.1:9876)
// swapped for the broker's; it must finish by itself with exit status 0. Each sh block's
// `tributary` commands run through bin/tributary.js against the same broker. A block the page
// opts out (`<!-- docs-examples: skip (reason) -->`) is listed with its reason; any other code
// block that cannot be run fails the test.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { test } from 'uvu';

import { Admin, Producer } from '../../client/index.js';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import {
  docCodeBlocks,
  headingAnchor,
  REFUSED_LANGUAGES,
  relativeLinks,
  RUNNABLE_LANGUAGES,
  tributaryCommands,
  type DocCodeBlock,
} from '../support/doc-code-blocks.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = path.join(ROOT, 'bin', 'tributary.js');
/** The slowest example waits for a transaction check-back, a few seconds with DOCS_BROKER's timing. */
const EXAMPLE_TIMEOUT_MS = 60_000;
const DOCUMENTED_NAME_SERVER = '127.0.0.1:9876';
/** The broker address examples that talk to a broker directly (locks, ids) name. */
const DOCUMENTED_BROKER = '127.0.0.1:10911';

/** The live broker's addresses, swapped in for the documented ones. */
interface LiveAddresses {
  readonly nameServer: string;
  readonly broker: string;
}
/** Fast check-backs, so the transactions page's 'unknown' example settles in seconds. */
const DOCS_BROKER = { transactionCheckIntervalMs: 500, transactionTimeoutMs: 1000 } as const;

const PAGES = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];
const BLOCKS: DocCodeBlock[] = PAGES.flatMap((page) =>
  docCodeBlocks(page, fs.readFileSync(path.join(ROOT, page), 'utf8')),
);

function readmeBlock(title: string, language: string): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.indexOf(`## ${title}`);
  assert.ok(section >= 0, `README has a section '${title}'`);
  const line = readme.slice(0, section).split('\n').length;
  const block = BLOCKS.find((b) => b.page === 'README.md' && b.line > line && b.language === language);
  assert.ok(block !== undefined, `section '${title}' has a ${language} example`);
  return block.code;
}

async function runScript(name: string, code: string, live: LiveAddresses): Promise<string> {
  const file = path.join(ROOT, 'dist', `docs-${name}.example.mjs`);
  fs.writeFileSync(
    file,
    code.replaceAll(DOCUMENTED_NAME_SERVER, live.nameServer).replaceAll(DOCUMENTED_BROKER, live.broker),
  );
  try {
    const { stdout } = await run(process.execPath, [file], { timeout: EXAMPLE_TIMEOUT_MS });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`example failed:\n${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`, { cause: error });
  } finally {
    fs.rmSync(file, { force: true });
  }
}

async function runBlock(block: DocCodeBlock, live: LiveAddresses): Promise<void> {
  const name = `${block.page.replace(/\W/g, '-')}-${block.line}`;
  if (block.language === 'js') return void (await runScript(name, block.code, live));
  if (block.language === 'ts') {
    const options = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 };
    return void (await runScript(name, ts.transpileModule(block.code, { compilerOptions: options }).outputText, live));
  }
  const commands = tributaryCommands(block.code);
  if (typeof commands === 'string') throw new Error(`${commands}: run it, or opt the block out with a reason`);
  for (const args of commands) {
    try {
      await run(process.execPath, [CLI, ...args], {
        timeout: EXAMPLE_TIMEOUT_MS,
        env: { ...process.env, TRIBUTARY_NAMESRV: live.nameServer, TRIBUTARY_BROKER: live.broker },
      });
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      throw new Error(`tributary ${args.join(' ')} failed: ${stderr}`, { cause: error });
    }
  }
}

let broker: BrokerProcess | undefined;
const directory = temporaryDirectory('docs-examples');

test.before(async () => {
  broker = await startBrokerProcess({ dataDirectory: path.join(directory.path, 'data'), ...DOCS_BROKER });
});

test.after(async () => {
  await broker?.stop();
  directory.remove();
});

test('docs: every code block is runnable or opted out with a reason, in a language the runner knows', () => {
  const refused = BLOCKS.filter((block) => REFUSED_LANGUAGES.has(block.language) || block.language === '');
  assert.deepEqual(
    refused.map((b) => `${b.page}:${b.line} '${b.language}'`),
    [],
    'fence code as js, ts or sh (text, json, yaml for what is not code)',
  );
  const shells = BLOCKS.filter((b) => b.language === 'sh' && b.skipReason === undefined);
  const unrunnable = shells.flatMap((b) => {
    const commands = tributaryCommands(b.code);
    return typeof commands === 'string' ? [`${b.page}:${b.line}: ${commands}`] : [];
  });
  assert.deepEqual(unrunnable, [], 'opt these out with a reason, or make them tributary client commands');
  const skipped = BLOCKS.filter((b) => RUNNABLE_LANGUAGES.has(b.language) && b.skipReason !== undefined);
  const running = BLOCKS.filter((b) => RUNNABLE_LANGUAGES.has(b.language) && b.skipReason === undefined);
  console.log(`docs examples: ${running.length} to run, ${skipped.length} opted out:`);
  for (const b of skipped) console.log(`  ${b.page}:${b.line} (${b.skipReason})`);
  assert.ok(BLOCKS.filter((b) => b.page.startsWith('docs/')).length >= 20, 'the guide has its examples');
});

test('docs: every relative link of the guide and README leads to a file, and every #anchor to a heading there', () => {
  const broken: string[] = [];
  for (const page of PAGES) {
    for (const target of relativeLinks(fs.readFileSync(path.join(ROOT, page), 'utf8'))) {
      const [file, anchor] = target.split('#') as [string, string | undefined];
      const resolved = file === '' ? path.join(ROOT, page) : path.join(ROOT, path.dirname(page), file);
      if (!fs.existsSync(resolved)) {
        broken.push(`${page}: ${target} (no such file)`);
        continue;
      }
      if (anchor === undefined || !resolved.endsWith('.md')) continue;
      const headings = fs.readFileSync(resolved, 'utf8').match(/^#{1,6} .+$/gm) ?? [];
      if (!headings.some((heading) => headingAnchor(heading.replace(/^#+ /, '')) === anchor))
        broken.push(`${page}: ${target} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
});

for (const block of BLOCKS) {
  if (!RUNNABLE_LANGUAGES.has(block.language) || block.skipReason !== undefined) continue;
  test(`docs: ${block.page}:${block.line} (${block.language}) runs as written against a live broker`, async () => {
    await runBlock(block, { nameServer: broker!.nameServerAddress!, broker: broker!.address });
  });
}

test('readme: the embedding example finds its message by key', async () => {
  const output = await runScript('readme-embedding', readmeBlock('Embedding the log store', 'js'), {
    nameServer: '',
    broker: '',
  });
  assert.match(output, /^hello 1 [0-9A-F]{32}$/m);
});

test('readme: the ACL example starts a broker, and its admin and producer accounts work as described', async () => {
  const aclDirectory = temporaryDirectory('readme-acl');
  const aclFile = path.join(aclDirectory.path, 'acl.json');
  fs.writeFileSync(aclFile, readmeBlock('Access control and TLS', 'json'));
  const aclBroker = await startBrokerProcess({ dataDirectory: path.join(aclDirectory.path, 'data'), acl: aclFile });
  const nameServer = aclBroker.nameServerAddress!;
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
    await aclBroker.stop();
    aclDirectory.remove();
  }
});

test.run();
