// docs/cli-reference.md is generated from the commands' own --help (npm run docs:cli): a flag
// added, renamed or re-described without regenerating it fails here.
// The generator runs as a process (test/ does not import cli/).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

const ROOT = new URL('../../../', import.meta.url);
const CLI_REFERENCE_FILE = fileURLToPath(new URL('docs/cli-reference.md', ROOT));
const GENERATOR = fileURLToPath(new URL('dist/cli/cli-reference.js', ROOT));
/** Runs every command's --help (a few dozen processes): once for both tests. */
const CURRENT = execFileSync(process.execPath, [GENERATOR, '--stdout'], { encoding: 'utf8' });

test('docs: a stale cli-reference.md (a command whose --help changed since npm run docs:cli) fails', () => {
  const committed = fs.readFileSync(CLI_REFERENCE_FILE, 'utf8');
  const current = CURRENT;
  if (committed === current) return;
  const committedLines = committed.split('\n');
  const at = current.split('\n').findIndex((line, i) => line !== committedLines[i]);
  assert.fail(
    `docs/cli-reference.md is stale from line ${at + 1} ` +
      `(now: ${JSON.stringify(current.split('\n')[at])}); run npm run docs:cli and commit it`,
  );
});

test('docs: the CLI reference covers every command the top-level help lists, and the hidden subcommands', () => {
  const reference = CURRENT;
  for (const heading of ['start', 'produce', 'consume', 'topic create', 'broker status', 'message trace', 'dlq resend'])
    assert.ok(reference.includes(`\n## tributary ${heading}\n`), `a section for tributary ${heading}`);
});

test.run();
