// The broker a benchmark drives: either one started elsewhere (--namesrv), which the benchmark
// only talks to as a client, or one it starts itself: `tributary bench broker` in a child
// process (never in this process: the load generator and the broker must not share an event
// loop, or every figure measures both at once), on loopback with free ports, in a fresh
// temporary directory that is removed when the child has exited (if the benchmark itself is
// killed, the child sees its stdin end and stops, but the directory stays). The child reports
// on itself over its stdin and stdout (see bench-broker-command.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

import type { BenchBrokerCommand } from '../commands/bench-broker-command.js';
import {
  BENCH_BROKER_COMMAND_TIMEOUT_MS,
  BENCH_BROKER_START_TIMEOUT_MS,
  BENCH_BROKER_STOP_DEADLINE_MS,
} from './bench-constants.js';
import { CliFailure } from '../cli-failure.js';
import type { ProcessReport } from '../../bench/process-probe.js';
import type { ProfileFiles } from './process-profiler.js';

/** dist/cli/bench-broker.js -> dist/cli/main.js, the CLI the child runs. */
const CLI_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export interface BenchBrokerSettings {
  /** An external broker's name server; undefined starts a child. */
  readonly nameServer: string | undefined;
  readonly flush: 'async' | 'sync';
  readonly segmentMiB: number | undefined;
  /** Where the child's temporary data directory goes (default: the OS temp directory). */
  readonly parentDirectory: string | undefined;
}

export interface BrokerReport {
  readonly pid: number;
  readonly process: ProcessReport;
  readonly store: Record<string, number>;
}

type Reply = Record<string, unknown>;

export class BenchBroker {
  private readonly replies: Reply[] = [];
  private readonly waiters: (() => void)[] = [];
  private exited = false;

  private constructor(
    private address: string,
    private readonly child: ChildProcess | undefined,
    private readonly dataDirectory: string | undefined,
  ) {
    if (child === undefined) return;
    readline.createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (text) => {
      if (!text.startsWith('{')) return void process.stderr.write(`[bench broker] ${text}\n`);
      this.replies.push(JSON.parse(text) as Reply);
      this.notify();
    });
    child.once('exit', () => {
      this.exited = true;
      this.notify();
    });
  }

  /** Connects to the broker at `settings.nameServer`, or starts a child broker. */
  static async start(settings: BenchBrokerSettings): Promise<BenchBroker> {
    if (settings.nameServer !== undefined) return new BenchBroker(settings.nameServer, undefined, undefined);
    const parent = settings.parentDirectory ?? os.tmpdir();
    const directory = fs.mkdtempSync(path.join(parent, 'tributary-bench-'));
    const args = [CLI_MAIN, 'bench', 'broker', '--data', directory, '--flush', settings.flush];
    if (settings.segmentMiB !== undefined) args.push('--segment-mb', String(settings.segmentMiB));
    // Its own process group: Ctrl-C in a terminal reaches only the benchmark, which stops the
    // load, asks the child for its report, then stops it.
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
    const broker = new BenchBroker('', child, directory);
    try {
      const ready = await broker.next('ready line', BENCH_BROKER_START_TIMEOUT_MS);
      if (ready.event !== 'ready') throw new CliFailure(`bench broker: unexpected first line ${JSON.stringify(ready)}`);
      broker.address = String(ready.nameServer);
      return broker;
    } catch (error) {
      await broker.stop();
      throw error;
    }
  }

  /** 'host:port' of the name server the broker registers with. */
  get nameServer(): string {
    return this.address;
  }

  /** The child's pid; undefined for an external broker. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get external(): boolean {
    return this.child === undefined;
  }

  /** Starts the child's measurement window (event loop, CPU, GC) afresh. */
  async reset(): Promise<void> {
    if (this.child !== undefined) await this.ask({ command: 'reset' });
  }

  /** The child's report since the last reset; undefined for an external broker. */
  async report(): Promise<BrokerReport | undefined> {
    if (this.child === undefined) return undefined;
    const reply = await this.ask({ command: 'report' });
    return {
      pid: this.child.pid!,
      process: reply.process as ProcessReport,
      store: reply.store as Record<string, number>,
    };
  }

  async profileStart(): Promise<void> {
    if (this.child !== undefined) await this.ask({ command: 'profile-start' });
  }

  async profileStop(prefix: string): Promise<ProfileFiles | undefined> {
    if (this.child === undefined) return undefined;
    return (await this.ask({ command: 'profile-stop', prefix })).files as ProfileFiles;
  }

  /** Stops the child (cleanly, then SIGKILL after a deadline) and removes its data. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    if (!this.exited) {
      child.stdin!.end(`${JSON.stringify({ command: 'stop' })}\n`);
      const timer = setTimeout(() => child.kill('SIGKILL'), BENCH_BROKER_STOP_DEADLINE_MS);
      await new Promise<void>((resolve) => (this.exited ? resolve() : child.once('exit', () => resolve())));
      clearTimeout(timer);
    }
    if (this.dataDirectory !== undefined) fs.rmSync(this.dataDirectory, { recursive: true, force: true });
  }

  private async ask(request: BenchBrokerCommand): Promise<Reply> {
    if (this.exited) throw new CliFailure('the bench broker exited unexpectedly');
    this.child!.stdin!.write(`${JSON.stringify(request)}\n`);
    const reply = await this.next(`reply to ${request.command}`, BENCH_BROKER_COMMAND_TIMEOUT_MS);
    if (reply.reply === 'error') throw new CliFailure(`bench broker: ${String(reply.message)}`);
    return reply;
  }

  /** The next line the child prints; fails if it exits or stays silent past `timeoutMs`. */
  private next(what: string, timeoutMs: number): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const check = (): boolean => {
        const reply = this.replies.shift();
        if (reply !== undefined) resolve(reply);
        else if (this.exited) reject(new CliFailure(`the bench broker exited before its ${what}`));
        else return false;
        clearTimeout(timer);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new CliFailure(`the bench broker sent no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (): void => {
        if (check()) this.waiters.splice(this.waiters.indexOf(waiter), 1);
      };
      if (!check()) this.waiters.push(waiter);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
