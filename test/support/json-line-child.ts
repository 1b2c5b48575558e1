// A Node child process that reports on stdout one JSON object per line, for integration tests
// that run real servers or foreign clients in their own processes. The parent waits for lines
// matching a condition (never for a fixed time), writes commands to the child's stdin, stops it
// (a signal, then SIGKILL after a deadline) and always gets the child's stderr for failure
// messages. Children still alive when the test process exits are SIGKILLed, so none is left
// behind.
//
// Set SHOW_CHILD_OUTPUT=1 to echo every child's stderr (and non-JSON stdout) live, prefixed
// with its label.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class ChildProcessError extends Error {
  override readonly name = 'ChildProcessError';
}

/** Output kept per child for error messages (the tail, in characters). */
const OUTPUT_TAIL_CHARS = 16 * 1024;

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

type Waiter = () => boolean;

export class JsonLineChild {
  /** Every JSON line the child printed, in order. */
  readonly lines: Record<string, unknown>[] = [];
  private output = '';
  private exitInfo: ChildExit | undefined;
  private readonly waiters = new Set<Waiter>();
  readonly exited: Promise<ChildExit>;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    live.add(child);
    // 'close', not 'exit': it comes after stdout is drained, so no line is missed.
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        live.delete(child);
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
        this.notify();
      });
    });
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop()!;
      for (const line of parts) this.receive(line);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.keep(chunk));
    child.stdin!.on('error', () => undefined); // Writes after the child died: nothing to do.
  }

  /** Runs `node script ...args`. */
  static spawn(
    script: string,
    args: readonly string[],
    options: { label: string; env?: NodeJS.ProcessEnv },
  ): JsonLineChild {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    return new JsonLineChild(options.label, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Set once the child has exited. */
  get exit(): ChildExit | undefined {
    return this.exitInfo;
  }

  /** The tail of stderr and of non-JSON stdout. */
  get outputTail(): string {
    return this.output;
  }

  /** Writes one line to the child's stdin. */
  send(line: string): void {
    if (this.exitInfo === undefined) this.child.stdin!.write(`${line}\n`);
  }

  /**
   * Resolves with the first value `pick` returns other than undefined, checked now and after
   * every new line. Rejects if the child exits first or `timeoutMs` passes.
   */
  waitFor<T>(
    what: string,
    timeoutMs: number,
    pick: (lines: readonly Record<string, unknown>[]) => T | undefined,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (outcome: () => void): boolean => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        outcome();
        return true;
      };
      const waiter: Waiter = () => {
        const value = pick(this.lines);
        if (value !== undefined) return finish(() => resolve(value));
        if (this.exitInfo !== undefined)
          return finish(() => reject(this.failure(`exited (${describeExit(this.exitInfo!)}) before ${what}`)));
        return false;
      };
      const timer = setTimeout(
        () => finish(() => reject(this.failure(`no ${what} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      this.waiters.add(waiter);
      waiter();
    });
  }

  /** Waits for the child to exit by itself; rejects after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<ChildExit> {
    return this.waitFor('exit', timeoutMs, () => this.exitInfo);
  }

  /** Sends `signal`, then SIGKILL if the child is still alive after `deadlineMs`. */
  async terminate(signal: NodeJS.Signals, deadlineMs: number): Promise<ChildExit & { forced: boolean }> {
    if (this.exitInfo !== undefined) return { ...this.exitInfo, forced: false };
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), deadlineMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return { ...exit, forced: signal !== 'SIGKILL' && exit.signal === 'SIGKILL' };
  }

  /** An error naming the child, with its recent output. */
  failure(message: string): ChildProcessError {
    const tail = this.output.trim() === '' ? '(no output)' : this.output.trimEnd();
    return new ChildProcessError(
      `${this.label} (pid ${this.pid}): ${message}\n--- ${this.label} output ---\n${tail}\n---`,
    );
  }

  private receive(line: string): void {
    if (line.startsWith('{')) {
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
        this.notify();
        return;
      } catch {
        // Not ours (a library printing braces): kept as output below.
      }
    }
    this.keep(`${line}\n`);
  }

  private keep(text: string): void {
    this.output = (this.output + text).slice(-OUTPUT_TAIL_CHARS);
    if (process.env.SHOW_CHILD_OUTPUT === '1') {
      process.stderr.write(text.replace(/^(?=.)/gm, `[${this.label}] `));
    }
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export function describeExit(exit: ChildExit): string {
  return exit.signal === null ? `code ${exit.code}` : `signal ${exit.signal}`;
}
