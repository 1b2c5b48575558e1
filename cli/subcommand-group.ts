// A command word with subcommands (`topic create|list|status`): dispatches on the second word
// and lists the subcommands for --help or a missing/unknown one.
import type { CliCommand } from './commands/cli-command.js';
import { UsageError } from './usage-error.js';

export function subcommandGroup(word: string, summary: string, subcommands: readonly CliCommand[]): CliCommand {
  const list = (): string => {
    const width = Math.max(...subcommands.map((command) => command.word.length));
    return subcommands.map((command) => `  ${command.word.padEnd(width)}  ${command.summary}`).join('\n');
  };
  const words = subcommands.map((command) => command.word).join(', ');
  return {
    word,
    summary,
    run: async (argv) => {
      const [first, ...rest] = argv;
      if (first === '--help' || first === '-h') {
        console.log(
          `Usage: tributary ${word} <subcommand> [flags]\n\n${summary}\n\nSubcommands:\n${list()}\n\n` +
            `Run 'tributary ${word} <subcommand> --help' for its flags.`,
        );
        return;
      }
      if (first === undefined) throw new UsageError(`'${word}' needs a subcommand: ${words}`);
      const command = subcommands.find((candidate) => candidate.word === first);
      if (command === undefined) throw new UsageError(`unknown subcommand '${word} ${first}' (expected ${words})`);
      await command.run(rest);
    },
  };
}
