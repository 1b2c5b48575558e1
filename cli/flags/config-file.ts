// `--config broker.json` for `tributary broker` and `start`: a JSON object whose keys are the
// command's flags spelled as on the command line without the dashes ("segment-mb", "port",
// "auto-create-topics"), with JSON numbers, strings and booleans as values. Flags given on the
// command line override the file. Each entry becomes the argument it stands for, so the file
// is checked by exactly the rules the flags are.
import fs from 'node:fs';

import type { FlagSpec } from '../command-line.js';
import { UsageError } from '../usage-error.js';

export const CONFIG_FLAG_NAME = 'config';

export const CONFIG_FLAG: FlagSpec = {
  type: 'string',
  placeholder: 'file.json',
  description: 'read flags from a JSON file: {"flag-name": value}; flags on the command line win',
};

/** `argv` with the config file's entries added for every flag it does not already give. */
export function withConfigFile(flags: Readonly<Record<string, FlagSpec>>, argv: readonly string[]): string[] {
  const file = configPath(argv);
  if (file === undefined) return [...argv];
  const entries = readConfig(file);
  const given = new Set(argv.filter((arg) => arg.startsWith('--')).map((arg) => arg.slice(2).split('=')[0]));
  const added: string[] = [];
  for (const [key, value] of Object.entries(entries)) {
    const flag = flags[key];
    if (flag === undefined || key === CONFIG_FLAG_NAME) throw new UsageError(`${file}: unknown key '${key}'`);
    if (given.has(key)) continue;
    added.push(...argumentsOf(file, key, flag, value));
  }
  return [...argv, ...added];
}

function configPath(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return undefined;
    if (arg === `--${CONFIG_FLAG_NAME}`) return argv[i + 1];
    if (arg.startsWith(`--${CONFIG_FLAG_NAME}=`)) return arg.slice(CONFIG_FLAG_NAME.length + 3);
  }
  return undefined;
}

function readConfig(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new UsageError(`${file} must hold a JSON object of flags`);
  return parsed as Record<string, unknown>;
}

function argumentsOf(file: string, key: string, flag: FlagSpec, value: unknown): string[] {
  if (flag.type === 'boolean') {
    if (typeof value !== 'boolean') throw new UsageError(`${file}: '${key}' must be true or false`);
    return value ? [`--${key}`] : [];
  }
  if (flag.type === 'integer' && !Number.isSafeInteger(value))
    throw new UsageError(`${file}: '${key}' must be an integer`);
  if (flag.type === 'string' && typeof value !== 'string') throw new UsageError(`${file}: '${key}' must be a string`);
  return [`--${key}=${String(value)}`];
}
