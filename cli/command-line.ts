// Parses a command's arguments against its spec: `--flag value`, `--flag=value`, boolean
// `--flag`, positionals, `--` ends flags, `-h`/`--help` anywhere. No dependency: the CLI needs
// only this much, and owning it keeps every error message one clear line.
import { UsageError } from './usage-error.js';

export interface FlagSpec {
  readonly type: 'string' | 'integer' | 'boolean';
  readonly description: string;
  /** Placeholder shown in help, e.g. 'host:port'. */
  readonly placeholder?: string;
  readonly choices?: readonly string[];
  /** Smallest accepted integer. */
  readonly min?: number;
  readonly required?: boolean;
  /** Shown in help; the command applies its defaults itself (some come from the environment). */
  readonly defaultText?: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
}

export interface CommandSpec {
  /** Words after `tributary`, e.g. 'topic create'. */
  readonly name: string;
  readonly summary: string;
  readonly positionals?: readonly PositionalSpec[];
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Lines shown under "Examples" in help. */
  readonly examples?: readonly string[];
}

type FlagValue = string | number | boolean;

export class CommandLine {
  private constructor(
    private readonly spec: CommandSpec,
    private readonly values: ReadonlyMap<string, FlagValue>,
    readonly positionals: readonly string[],
    readonly help: boolean,
  ) {}

  static parse(spec: CommandSpec, argv: readonly string[]): CommandLine {
    const values = new Map<string, FlagValue>();
    const positionals: string[] = [];
    let help = false;
    let flagsEnded = false;
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (flagsEnded || !arg.startsWith('-') || arg === '-') {
        positionals.push(arg);
      } else if (arg === '--') {
        flagsEnded = true;
      } else if (arg === '-h' || arg === '--help') {
        help = true;
      } else {
        const [name, value, consumed] = readFlag(spec, arg, argv[i + 1]);
        if (values.has(name)) throw usage(spec, `--${name} given twice`);
        values.set(name, value);
        if (consumed) i++;
      }
    }
    const line = new CommandLine(spec, values, positionals, help);
    if (!help) line.check();
    return line;
  }

  /** The flag's value, or `fallback` when absent (undefined without a fallback). */
  string(name: string): string | undefined;
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined {
    const value = this.values.get(this.known(name, 'string'));
    return value === undefined ? fallback : String(value);
  }

  integer(name: string): number | undefined;
  integer(name: string, fallback: number): number;
  integer(name: string, fallback?: number): number | undefined {
    const value = this.values.get(this.known(name, 'integer'));
    return value === undefined ? fallback : (value as number);
  }

  boolean(name: string): boolean {
    return this.values.get(this.known(name, 'boolean')) === true;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** A usage error for this command, with the pointer to its help. */
  usageError(message: string): UsageError {
    return usage(this.spec, message);
  }

  private known(name: string, type: FlagSpec['type']): string {
    // A typo here is a bug in the command, not the user's mistake.
    if (this.spec.flags[name]?.type !== type) throw new Error(`${this.spec.name} has no ${type} flag --${name}`);
    return name;
  }

  private check(): void {
    const expected = this.spec.positionals ?? [];
    if (this.positionals.length > expected.length) {
      throw usage(this.spec, `unexpected argument '${this.positionals[expected.length]}'`);
    }
    if (this.positionals.length < expected.length) {
      throw usage(this.spec, `missing <${expected[this.positionals.length]!.name}>`);
    }
    for (const [name, flag] of Object.entries(this.spec.flags)) {
      if (flag.required === true && !this.values.has(name)) throw usage(this.spec, `--${name} is required`);
    }
  }
}

/** [name, value, whether the next argument was the value]. */
function readFlag(spec: CommandSpec, arg: string, next: string | undefined): [string, FlagValue, boolean] {
  const equals = arg.indexOf('=');
  const name = (equals < 0 ? arg : arg.slice(0, equals)).replace(/^--?/, '');
  const flag = spec.flags[name];
  if (flag === undefined || !arg.startsWith('--')) {
    throw usage(spec, `unknown flag ${equals < 0 ? arg : arg.slice(0, equals)}`);
  }
  if (flag.type === 'boolean') {
    if (equals >= 0) throw usage(spec, `--${name} takes no value`);
    return [name, true, false];
  }
  const inline = equals >= 0;
  const raw = inline ? arg.slice(equals + 1) : next;
  // `--body --json` means a forgotten value, not a body of "--json".
  if (raw === undefined || (!inline && raw.startsWith('--'))) throw usage(spec, `--${name} needs a value`);
  return [name, convert(spec, name, flag, raw), !inline];
}

function convert(spec: CommandSpec, name: string, flag: FlagSpec, raw: string): FlagValue {
  if (flag.choices !== undefined && !flag.choices.includes(raw)) {
    throw usage(spec, `--${name} must be one of ${flag.choices.join(', ')} (got '${raw}')`);
  }
  if (flag.type === 'string') return raw;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value)) {
    throw usage(spec, `--${name} must be an integer (got '${raw}')`);
  }
  if (flag.min !== undefined && value < flag.min) {
    throw usage(spec, `--${name} must be at least ${flag.min} (got ${value})`);
  }
  return value;
}

function usage(spec: CommandSpec, message: string): UsageError {
  return new UsageError(`${message} (see 'tributary ${spec.name} --help')`);
}
