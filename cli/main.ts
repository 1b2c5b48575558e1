// The `tributary` command (bin/tributary.js): servers (start, namesrv, broker), messages
// (produce, consume, message), administration (topic, group, dlq) and benchmarks (bench). Every
// command takes --help.
// Exit status: 0 done, 1 the operation failed, 2 the command was called wrongly; either
// failure prints exactly one line on stderr, starting with "tributary:".
import fs from 'node:fs';
import process from 'node:process';

import { benchCommand } from './commands/bench-command.js';
import { brokerCommand } from './commands/broker-command.js';
import type { CliCommand } from './commands/cli-command.js';
import { EXIT_CODE_USAGE, NAME_SERVER_ADDRESS_DEFAULT, NAME_SERVER_ENV } from './cli-constants.js';
import { cliFailure } from './cli-failure.js';
import { clusterCommand } from './commands/cluster-command.js';
import { configCommand } from './commands/config-command.js';
import { consumeCommand } from './commands/consume-command.js';
import { dlqCommand } from './commands/dlq-command.js';
import { groupCommand } from './commands/group-command.js';
import { lockCommand } from './commands/lock-command.js';
import { idCommand } from './commands/id-command.js';
import { quotaCommand } from './commands/quota-command.js';
import { jobCommand } from './commands/job-command.js';
import { messageCommand } from './commands/message-command.js';
import { namesrvCommand } from './commands/namesrv-command.js';
import { produceCommand } from './commands/produce-command.js';
import { startCommand } from './commands/start-command.js';
import { topicCommand } from './commands/topic-command.js';
import { tccCommand } from './commands/tcc-command.js';
import { UsageError } from './usage-error.js';

const SECTIONS: readonly [string, readonly CliCommand[]][] = [
  ['Servers', [startCommand, namesrvCommand, brokerCommand]],
  ['Messages', [produceCommand, consumeCommand, messageCommand]],
  ['Administration', [clusterCommand, topicCommand, groupCommand, dlqCommand, quotaCommand, tccCommand]],
  ['Coordination', [lockCommand, idCommand, configCommand]],
  ['Workflows', [jobCommand]],
  ['Benchmarks', [benchCommand]],
];
const COMMANDS = new Map(
  SECTIONS.flatMap(([, commands]) => commands.map((command) => [command.word, command] as const)),
);

function help(): string {
  const width = Math.max(...[...COMMANDS.keys()].map((word) => word.length));
  const lines = ['Usage: tributary <command> [flags]', ''];
  for (const [title, commands] of SECTIONS) {
    lines.push(`${title}:`, ...commands.map((command) => `  ${command.word.padEnd(width)}  ${command.summary}`), '');
  }
  lines.push(
    "Run 'tributary <command> --help' for a command's flags.",
    `Client commands reach the name server at --namesrv, else $${NAME_SERVER_ENV}, ` +
      `else ${NAME_SERVER_ADDRESS_DEFAULT}.`,
  );
  return lines.join('\n');
}

function version(): string {
  // dist/cli/main.js -> the package root.
  const text = fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

async function main(args: readonly string[]): Promise<void> {
  const [word, ...rest] = args;
  if (word === '--help' || word === '-h' || word === 'help') return console.log(help());
  if (word === '--version' || word === '-v') return console.log(version());
  if (word === undefined) throw new UsageError("a command is needed, e.g. 'tributary start' (see 'tributary --help')");
  const command = COMMANDS.get(word);
  if (command === undefined) throw new UsageError(`unknown command '${word}' (see 'tributary --help')`);
  await command.run(rest);
}

// `tributary consume | head -1`: a closed pipe means the reader has seen enough. Exiting at
// once commits nothing more, so messages written into the dead pipe are delivered again.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).catch((error: unknown) => {
  const failure = cliFailure(error);
  console.error(`tributary: ${failure.message}`);
  process.exitCode = failure instanceof UsageError ? EXIT_CODE_USAGE : failure.exitCode;
});
