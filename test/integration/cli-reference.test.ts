// docs/cli-reference.md is generated from the commands' own --help (npm run docs:cli): a flag
// added, renamed or re-described without regenerating it fails here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'uvu';

import { CLI_REFERENCE_FILE, cliReference } from '../../cli/cli-reference.js';

/** Runs every command's --help (a few dozen processes): once for both tests. */
const CURRENT = cliReference();

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
