// Child process of test/support/broker-processes.ts: runs a name server, a broker, or both in
// one process, from the compiled dist, on 127.0.0.1. Once everything listens it prints one
// JSON line on stdout:
//
//   {"namesrvPort":<port>|null,"brokerPort":<port>|null,"address":"127.0.0.1:<brokerPort>"|null,
//    "httpPort":<broker's HTTP port>|null,"namesrvHttpPort":<port>|null}
//
// SIGTERM, SIGINT or the parent going away (stdin closes) closes the broker, then the name
// server, and exits 0. A failure to start or to close goes to stderr and exits 2. Other
// stderr lines are the broker's and name server's JSON log lines (pino).
//
// argv[2] is a JSON BrokerChildConfig.
import { startBroker, type Broker, type BrokerOptions } from '../../../broker/index.js';
import { startNameServer, type NameServer, type NameServerOptions } from '../../../namesrv/index.js';

/** The broker options that survive JSON (no callbacks); host and ports are the child's. */
export type BrokerChildBrokerOptions = Omit<BrokerOptions, 'onError' | 'logger' | 'host' | 'advertisedHost'>;

export interface BrokerChildConfig {
  /** Start a name server in this process, on this port (0 = a free one), with TLS if given. */
  readonly nameServer?: {
    readonly port: number;
    readonly tls?: NameServerOptions['tls'];
    readonly httpPort?: NameServerOptions['httpPort'];
  };
  /** Start a broker; it registers with the name server above (if any) and `nameServers`. */
  readonly broker?: BrokerChildBrokerOptions;
}

export interface BrokerChildReady {
  readonly namesrvPort: number | null;
  readonly brokerPort: number | null;
  readonly address: string | null;
  readonly httpPort: number | null;
  readonly namesrvHttpPort: number | null;
}

const HOST = '127.0.0.1';

const config = JSON.parse(process.argv[2] ?? '{}') as BrokerChildConfig;
let nameServer: NameServer | undefined;
let broker: Broker | undefined;
let closing: Promise<void> | undefined;
let started: Promise<void> = Promise.resolve();

function fail(stage: string, error: unknown): never {
  process.stderr.write(
    `broker-child: ${stage} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(2);
}

async function start(): Promise<void> {
  if (config.nameServer !== undefined) nameServer = await startNameServer({ host: HOST, ...config.nameServer });
  if (config.broker !== undefined) {
    const own = nameServer === undefined ? [] : [`${HOST}:${nameServer.port}`];
    broker = await startBroker({
      ...config.broker,
      host: HOST,
      advertisedHost: HOST,
      nameServers: [...own, ...(config.broker.nameServers ?? [])],
    });
  }
  const ready: BrokerChildReady = {
    namesrvPort: nameServer?.port ?? null,
    brokerPort: broker?.port ?? null,
    address: broker?.address ?? null,
    httpPort: broker?.httpPort ?? null,
    namesrvHttpPort: nameServer?.httpPort ?? null,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

/**
 * Waits for a start in progress (a half-opened store is worse than a closed one), then closes
 * the broker first, so its unregistration still reaches the name server in this process.
 */
function shutdown(): Promise<void> {
  closing ??= (async () => {
    await started.catch(() => undefined);
    try {
      await broker?.close();
      await nameServer?.close();
    } catch (error) {
      fail('close', error);
    }
    process.exit(0);
  })();
  return closing;
}

process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
// A parent that dies without stopping us closes our stdin: leave no orphan behind.
process.stdin.on('end', () => void shutdown());
process.stdin.on('error', () => void shutdown());
process.stdin.resume();

started = start();
started.catch((error: unknown) => fail('start', error));
