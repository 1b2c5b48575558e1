// The --help text of a command, generated from its spec so flags and help never disagree.
import type { CommandSpec, FlagSpec } from './command-line.js';

const HELP_FLAG: FlagSpec = { type: 'boolean', description: 'show this help' };

export function commandHelp(spec: CommandSpec): string {
  const positionals = (spec.positionals ?? []).map((positional) => `<${positional.name}>`).join(' ');
  const required = Object.entries(spec.flags)
    .filter(([, flag]) => flag.required === true)
    .map(([name, flag]) => `--${name} ${placeholderOf(flag)}`);
  const usage = ['tributary', spec.name, positionals, ...required, '[flags]'].filter((part) => part !== '').join(' ');
  const entries: [string, string][] = [
    ...(spec.positionals ?? []).map((positional): [string, string] => [`<${positional.name}>`, positional.description]),
    ...Object.entries({ ...spec.flags, help: HELP_FLAG }).map(([name, flag]): [string, string] => [
      flag.type === 'boolean' ? `--${name}` : `--${name} ${placeholderOf(flag)}`,
      describe(flag),
    ]),
  ];
  const width = Math.max(...entries.map(([left]) => left.length));
  const lines = [`Usage: ${usage}`, '', spec.summary, '', 'Arguments and flags:'];
  for (const [left, right] of entries) lines.push(`  ${left.padEnd(width)}  ${right}`);
  if (spec.examples !== undefined && spec.examples.length > 0) {
    lines.push('', 'Examples:', ...spec.examples.map((example) => `  ${example}`));
  }
  return lines.join('\n');
}

function placeholderOf(flag: FlagSpec): string {
  if (flag.placeholder !== undefined) return flag.placeholder;
  if (flag.choices !== undefined) return flag.choices.join('|');
  return flag.type === 'integer' ? 'N' : 'text';
}

function describe(flag: FlagSpec): string {
  const shown: string[] = [];
  if (flag.required === true) shown.push('required');
  if (flag.defaultText !== undefined) shown.push(`default ${flag.defaultText}`);
  return shown.length === 0 ? flag.description : `${flag.description} (${shown.join('; ')})`;
}
