// A command of the `tributary` CLI: its spec (flags, help) and what it does. cliCommand wraps
// the parsing and --help so each command file holds only its own work.
import { commandHelp } from '../command-help.js';
import { CommandLine, type CommandSpec } from '../command-line.js';

export interface CliCommand {
  /** The word after `tributary` (or after the group word, for subcommands). */
  readonly word: string;
  readonly summary: string;
  run(argv: readonly string[]): Promise<void>;
}

export function cliCommand(word: string, spec: CommandSpec, action: (line: CommandLine) => Promise<void>): CliCommand {
  return {
    word,
    summary: spec.summary,
    run: async (argv) => {
      const line = CommandLine.parse(spec, argv);
      if (line.help) {
        console.log(commandHelp(spec));
        return;
      }
      await action(line);
    },
  };
}
