// Real name servers and brokers for integration tests, each in its own child process
// (children/broker-child.ts, running the compiled dist) on 127.0.0.1 with a free port.
//
//   const broker = await startBrokerProcess({ dataDirectory })       // + a name server inside
//   try {
//     ... clients use broker.nameServerAddress and broker.address ...
//     await broker.kill(); await broker.restart();                   // crash, same dir and ports
//   } finally {
//     await broker.stop();
//   }
//
// Tests that need several name servers start them with startNameServerProcess and pass their
// addresses as `nameServers` with `nameServer: 'none'`. stop() is SIGTERM (the child closes
// the broker cleanly), then SIGKILL after a deadline; kill() is SIGKILL at once; restart()
// starts a stopped or killed process again on the same data directory and the same ports, so
// clients configured with the old addresses reconnect to it. Everything still running when
// the test process exits is SIGKILLed (json-line-child.ts).
import { fileURLToPath } from 'node:url';

import type { MessageStoreOptions } from '../../storage/index.js';
import type { BrokerChildBrokerOptions, BrokerChildConfig, BrokerChildReady } from './children/broker-child.js';
import { ChildProcessError, JsonLineChild, describeExit, type ChildExit } from './json-line-child.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./children/broker-child.js', import.meta.url));
const HOST = '127.0.0.1';

/** 18 short levels, 200 ms apart: a first retry (level 3) comes back after 600 ms. */
export const TEST_DELAY_LEVELS_MS: readonly number[] = Array.from({ length: 18 }, (_, i) => 200 * (i + 1));

/** Small files, so tests roll segments and stay light on disk. */
export const TEST_STORE_OPTIONS: MessageStoreOptions = {
  segmentBytes: 1024 * 1024,
  consumeQueueEntriesPerFile: 4096,
  indexSlotCount: 4096,
  indexEntryCount: 16_384,
};

/** A child must be listening this soon after spawning (store recovery included). */
export const START_TIMEOUT_MS_DEFAULT = 30_000;
/** After SIGTERM, a child gets this long to close before SIGKILL. */
export const STOP_DEADLINE_MS_DEFAULT = 10_000;

export interface StopResult extends ChildExit {
  /** True when the child ignored SIGTERM past the deadline and was SIGKILLed. */
  readonly forced: boolean;
}

/** What every server process handle can do. */
export interface ServerProcess {
  readonly label: string;
  /** The current child's pid; a restart changes it. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** The current child's recent stderr (the broker's error reports, stack traces). */
  readonly outputTail: string;
  /** SIGTERM, wait for exit; SIGKILL after `deadlineMs`. A no-op when already stopped. */
  stop(deadlineMs?: number): Promise<StopResult>;
  /** SIGKILL now (a crash: no clean shutdown), and wait for the exit. */
  kill(): Promise<ChildExit>;
  /**
   * Starts again on the same data directory and ports. A running child is stopped first
   * (SIGTERM); its StopResult is returned, undefined when it had already exited.
   */
  restart(): Promise<StopResult | undefined>;
}

export interface NameServerProcess extends ServerProcess {
  readonly port: number;
  /** The HTTP endpoint's port, when started with `httpPort`. */
  readonly httpPort: number | undefined;
  /** '127.0.0.1:port', for clients and brokers. */
  readonly address: string;
}

export interface BrokerProcessOptions extends Omit<BrokerChildBrokerOptions, 'dataDirectory' | 'port'> {
  readonly dataDirectory: string;
  /**
   * 'embedded' (default): a name server runs in the broker's process and the broker registers
   * with it (and with `nameServers`). 'none': the broker registers with `nameServers` only.
   */
  readonly nameServer?: 'embedded' | 'none';
  /** Names the process in errors and output (default 'broker'). */
  readonly label?: string;
  readonly startTimeoutMs?: number;
}

export interface BrokerProcess extends ServerProcess {
  readonly port: number;
  /** '127.0.0.1:port' as clients reach the broker (also its STOREHOST). */
  readonly address: string;
  /** The broker's HTTP endpoint port, when started with `httpPort` (a restart keeps it). */
  readonly httpPort: number | undefined;
  /** The embedded name server's address; undefined with nameServer 'none'. */
  readonly nameServerAddress: string | undefined;
  /** Every name server the broker registers with, the embedded one first. */
  readonly nameServers: readonly string[];
  readonly dataDirectory: string;
}

/** Starts a name server alone in a child process. */
export async function startNameServerProcess(
  options: { label?: string; port?: number; startTimeoutMs?: number; httpPort?: number | 'off' } = {},
): Promise<NameServerProcess> {
  const runner = new ServerRunner(options.label ?? 'namesrv', options.startTimeoutMs ?? START_TIMEOUT_MS_DEFAULT);
  const http = options.httpPort === undefined ? {} : { httpPort: options.httpPort };
  const ready = await runner.start({ nameServer: { port: options.port ?? 0, ...http } });
  const port = ready.namesrvPort!;
  const httpPort = ready.namesrvHttpPort ?? undefined;
  const kept = httpPort === undefined ? {} : { httpPort };
  const restart = (): Promise<StopResult | undefined> => runner.restart({ nameServer: { port, ...kept } });
  return Object.assign(runner.handle(restart), { port, address: `${HOST}:${port}`, httpPort });
}

/** Starts a broker (and by default a name server with it) in a child process. */
export async function startBrokerProcess(options: BrokerProcessOptions): Promise<BrokerProcess> {
  const {
    nameServer = 'embedded',
    label = 'broker',
    startTimeoutMs = START_TIMEOUT_MS_DEFAULT,
    ...brokerOptions
  } = options;
  const runner = new ServerRunner(label, startTimeoutMs);
  const broker: BrokerChildBrokerOptions = {
    delayLevelsMs: TEST_DELAY_LEVELS_MS,
    flush: 'async',
    ...brokerOptions,
    store: { ...TEST_STORE_OPTIONS, ...brokerOptions.store },
  };
  // The embedded name server serves TLS when the broker does, with the same certificate.
  const config = (namesrvPort: number, brokerPort: number, httpPort = broker.httpPort): BrokerChildConfig => ({
    ...(nameServer === 'embedded' ? { nameServer: { port: namesrvPort, tls: broker.tls } } : {}),
    broker: { ...broker, port: brokerPort, ...(httpPort === undefined ? {} : { httpPort }) },
  });
  const ready = await runner.start(config(0, 0));
  const port = ready.brokerPort!;
  const httpPort = ready.httpPort ?? undefined;
  const nameServerAddress = ready.namesrvPort === null ? undefined : `${HOST}:${ready.namesrvPort}`;
  const restart = (): Promise<StopResult | undefined> =>
    runner.restart(config(ready.namesrvPort ?? 0, port, httpPort ?? broker.httpPort));
  return Object.assign(runner.handle(restart), {
    port,
    httpPort,
    address: ready.address!,
    nameServerAddress,
    nameServers: [...(nameServerAddress === undefined ? [] : [nameServerAddress]), ...(broker.nameServers ?? [])],
    dataDirectory: options.dataDirectory,
  });
}

/** Stops every handle, in parallel, even if some fail; for finally blocks. */
export async function stopAll(handles: readonly (ServerProcess | undefined)[]): Promise<void> {
  await Promise.allSettled(handles.map((handle) => handle?.stop()));
}

/** One server's successive child processes. */
class ServerRunner {
  private child: JsonLineChild | undefined;

  constructor(
    private readonly label: string,
    private readonly startTimeoutMs: number,
  ) {}

  /** Spawns the child (stopping the previous one) and waits for its ready line. */
  async start(config: BrokerChildConfig): Promise<BrokerChildReady> {
    await this.stop(STOP_DEADLINE_MS_DEFAULT);
    const child = JsonLineChild.spawn(CHILD_SCRIPT, [JSON.stringify(config)], { label: this.label });
    this.child = child;
    try {
      return await child.waitFor('ready line', this.startTimeoutMs, (lines) => lines.find(isReadyLine));
    } catch (error) {
      await child.terminate('SIGKILL', 0);
      throw error;
    }
  }

  async restart(config: BrokerChildConfig): Promise<StopResult | undefined> {
    const stopped = this.running ? await this.stop(STOP_DEADLINE_MS_DEFAULT) : undefined;
    await this.start(config);
    return stopped;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exit === undefined;
  }

  async stop(deadlineMs: number): Promise<StopResult> {
    const child = this.child;
    if (child === undefined) return { code: 0, signal: null, forced: false };
    return child.terminate('SIGTERM', deadlineMs);
  }

  handle(restart: () => Promise<StopResult | undefined>): ServerProcess {
    const runner = this;
    return {
      label: this.label,
      get pid() {
        return runner.child?.pid;
      },
      get running() {
        return runner.running;
      },
      get outputTail() {
        return runner.child?.outputTail ?? '';
      },
      stop: (deadlineMs = STOP_DEADLINE_MS_DEFAULT) => this.stop(deadlineMs),
      kill: () => this.child?.terminate('SIGKILL', 0) ?? Promise.resolve({ code: 0, signal: null }),
      restart,
    };
  }
}

function isReadyLine(line: Record<string, unknown>): line is Record<string, unknown> & BrokerChildReady {
  return 'brokerPort' in line && 'namesrvPort' in line;
}

/** Fails unless a stop was clean: exit code 0, no SIGKILL needed. */
export function assertCleanStop(handle: ServerProcess, result: StopResult): void {
  if (result.forced || result.code !== 0) {
    throw new ChildProcessError(
      `${handle.label} did not stop cleanly (${describeExit(result)}${result.forced ? ', forced' : ''}):\n${handle.outputTail}`,
    );
  }
}
