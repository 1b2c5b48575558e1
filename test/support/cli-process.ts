// A `tributary` command (or any command line) as a child process: its output so far, a wait for
// a condition on it, and a stop with a deadline. Killed with SIGKILL if the test process exits
// while it still runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** dist/test/support/cli-process.js -> bin/tributary.js at the repository root. */
export const CLI_SCRIPT = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** The environment without the caller's TRIBUTARY_* settings. */
export function cliEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TRIBUTARY_NAMESRV;
  delete env.TRIBUTARY_DATA;
  return env;
}

export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<CliExit>;
  readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();

  /** `argv[0]` is the program; `tributary(...)` builds the usual one. */
  constructor(readonly argv: readonly string[]) {
    const child = spawn(argv[0]!, argv.slice(1), { env: cliEnvironment(), stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    this.child = child;
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.grow('stdout', chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.grow('stderr', chunk));
    child.stdin!.on('error', () => undefined);
    child.stdin!.end();
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': by then stdout and stderr have been read to their end.
      child.once('close', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
        for (const listener of this.listeners) listener();
      });
    });
  }

  static tributary(args: readonly string[]): CliProcess {
    return new CliProcess([process.execPath, CLI_SCRIPT, ...args]);
  }

  /** Resolves with `pick`'s first defined answer, checked on every output; rejects on exit or timeout. */
  waitFor<T>(what: string, timeoutMs: number, pick: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      let exited = false;
      void this.exited.then(() => {
        exited = true;
      });
      const check = (): void => {
        const value = pick();
        if (value !== undefined) finish(() => resolve(value));
        else if (exited) finish(() => reject(this.failure(`exited before ${what}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(this.failure(`no ${what} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const finish = (outcome: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        outcome();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Sends `signal`, then SIGKILL after the deadline. */
  async stop(signal: NodeJS.Signals, deadlineMs: number): Promise<CliExit> {
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), deadlineMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** Waits for the exit, SIGKILLing past the deadline. */
  async finish(deadlineMs: number): Promise<CliExit> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), deadlineMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  failure(message: string): Error {
    const output = `--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
    return new Error(`${this.argv.slice(1).join(' ')}: ${message}\n${output}`);
  }

  private grow(stream: 'stdout' | 'stderr', chunk: string): void {
    this[stream] += chunk;
    for (const listener of this.listeners) listener();
  }
}
