// Shapes shared by the trial definitions, the runners and the report.
export type Engine = 'tributary' | 'lmdb' | 'better-sqlite3' | 'plain-fs' | 'dd';

export type Params = Readonly<Record<string, number | string | boolean>>;

export interface Goal {
  readonly metric: string;
  readonly op: '>=' | '<';
  readonly value: number;
}

export interface TrialDefinition {
  readonly id: string;
  /** Trials in one group receive the same message stream and are compared side by side. */
  readonly group: string;
  readonly title: string;
  readonly engine: Engine;
  /** Key into the runner registry (runners/index.ts). */
  readonly kind: string;
  readonly durability: string;
  readonly params: Params;
  /** The metric shown in the summary table. */
  readonly headline: string;
  readonly goals?: readonly Goal[];
  /** For peers: the Tributary trial this one is compared with (ratio = Tributary / this). */
  readonly compareTo?: string;
  /** Killed after this long (default 5 min). */
  readonly timeoutMs?: number;
}

/** What a runner measures: numbers for the table, and anything else worth keeping. */
export interface RunnerOutput {
  readonly metrics: Record<string, number>;
  readonly details?: Record<string, unknown>;
}

export type Runner = (params: Params, directory: string) => Promise<RunnerOutput>;

export interface TrialResult {
  readonly id: string;
  readonly group: string;
  readonly title: string;
  readonly engine: Engine;
  readonly durability: string;
  readonly params: Params;
  readonly headline: string;
  readonly metrics: Record<string, number>;
  readonly details?: Record<string, unknown>;
  readonly goals?: readonly (Goal & { met: boolean | undefined })[];
  readonly elapsedMs: number;
  readonly error?: string;
  /** With --rounds: the headline of every round (this result is the median round). */
  readonly rounds?: readonly (number | null)[];
}

export function num(params: Params, name: string): number {
  const value = params[name];
  if (typeof value !== 'number') throw new Error(`trial parameter ${name} must be a number`);
  return value;
}

export function str(params: Params, name: string): string {
  const value = params[name];
  if (typeof value !== 'string') throw new Error(`trial parameter ${name} must be a string`);
  return value;
}
