// Child process of replication.bench.ts: one broker of a replicated set (and, for the master, a
// name server) on 127.0.0.1 with free ports. argv[2] is JSON { withNameServer, broker }; prints
// {"nameServer": "...", "broker": "...", "haPort": n|null} once listening; closes cleanly when
// stdin closes or on SIGTERM, printing {"cpuMs": n} first: the CPU time (user + system) it used
// since it was ready, a cost that a loaded machine's scheduling does not inflate.
import { startBroker, type BrokerOptions } from '../broker/index.js';
import { startNameServer, type NameServer } from '../namesrv/index.js';

const config = JSON.parse(process.argv[2] ?? '{}') as { withNameServer: boolean; broker: BrokerOptions };
let nameServer: NameServer | undefined;
if (config.withNameServer) nameServer = await startNameServer({ host: '127.0.0.1', port: 0 });
const own = nameServer === undefined ? [] : [`127.0.0.1:${nameServer.port}`];
const broker = await startBroker({
  ...config.broker,
  host: '127.0.0.1',
  advertisedHost: '127.0.0.1',
  port: 0,
  nameServers: [...own, ...(config.broker.nameServers ?? [])],
});
const ready = { nameServer: own[0] ?? null, broker: broker.address, haPort: broker.replication.haPort ?? null };
process.stdout.write(`${JSON.stringify(ready)}\n`);
const readyCpu = process.cpuUsage();

let closing = false;
async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  const used = process.cpuUsage(readyCpu);
  process.stdout.write(`${JSON.stringify({ cpuMs: (used.user + used.system) / 1000 })}\n`);
  await broker.close();
  await nameServer?.close();
  process.exit(0);
}
process.on('SIGTERM', () => void close());
process.stdin.on('end', () => void close());
process.stdin.resume();
