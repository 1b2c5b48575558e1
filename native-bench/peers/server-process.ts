// A peer server (redis-server, nats-server) started by the benchmark: on a free 127.0.0.1
// port, in a fresh temporary directory, its output going to a log file there. It is its own
// process, like the broker child of `tributary bench`, so the client's event loop and CPU are
// never shared with it. `stop()` sends SIGTERM, then SIGKILL after a deadline, and removes the
// directory; the benchmark calls it in a `finally`, and the orchestrator kills the whole
// process group of a trial that overruns, so no server outlives its trial.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A server must accept connections this soon after spawning. */
const SERVER_START_TIMEOUT_MS = 20_000;
const CONNECT_RETRY_MS = 50;
/** After SIGTERM a server gets this long to flush and exit before SIGKILL. */
const SERVER_STOP_DEADLINE_MS = 10_000;
/** Log lines shown when a server fails to start. */
const LOG_TAIL_LINES = 20;

export interface ServerLaunch {
  /** Short name, for the temporary directory and messages. */
  readonly name: string;
  readonly binary: string;
  /** Arguments, given the port and the data directory. */
  readonly args: (port: number, directory: string) => readonly string[];
  readonly port: number;
}

export class ServerProcess {
  private exited = false;

  private constructor(
    readonly name: string,
    readonly port: number,
    readonly directory: string,
    private readonly child: ChildProcess,
  ) {
    child.once('exit', () => (this.exited = true));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Spawns the server and waits until its port accepts a connection. */
  static async start(launch: ServerLaunch): Promise<ServerProcess> {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), `tributary-peer-${launch.name}-`));
    const log = fs.openSync(path.join(directory, 'server.log'), 'a');
    const child = spawn(launch.binary, [...launch.args(launch.port, directory)], {
      cwd: directory,
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    const server = new ServerProcess(launch.name, launch.port, directory, child);
    try {
      await server.awaitListening();
      return server;
    } catch (error) {
      const tail = server.logTail();
      await server.stop();
      throw new Error(`${launch.name} did not start: ${String(error)}\n${tail}`);
    }
  }

  async stop(): Promise<void> {
    if (!this.exited && this.child.exitCode === null) {
      const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const deadline = setTimeout(() => this.child.kill('SIGKILL'), SERVER_STOP_DEADLINE_MS);
      await gone;
      clearTimeout(deadline);
    }
    fs.rmSync(this.directory, { recursive: true, force: true });
  }

  /** The last lines of the server's log, for error messages. */
  logTail(): string {
    try {
      const text = fs.readFileSync(path.join(this.directory, 'server.log'), 'utf8');
      return text.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private async awaitListening(): Promise<void> {
    const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
    for (;;) {
      if (this.exited) throw new Error(`exited with status ${this.child.exitCode}`);
      if (await accepts(this.port)) return;
      if (Date.now() > deadline) throw new Error(`port ${this.port} not open after ${SERVER_START_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_MS));
    }
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
