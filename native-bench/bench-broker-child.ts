// Child process of the feature benchmarks (delayed delivery, orderly, transactions): a name
// server and a broker on 127.0.0.1 with free ports, on the directory in argv[2], flush mode in
// argv[3] (async by default), commit log segment size in MiB in argv[4] (256 by default). Prints {"nameServer": "...", "broker": "..."} once listening;
// closes cleanly and exits when stdin closes or on SIGTERM, so a bench can then open the store
// itself and read what was stored.
import { startBroker } from '../broker/index.js';
import { startNameServer } from '../namesrv/index.js';

/** Small enough to create quickly, large enough that a run rolls few segments. */
const SEGMENT_MIB_DEFAULT = 256;
const BYTES_PER_MIB = 1024 * 1024;

const directory = process.argv[2];
const flush = process.argv[3] === 'sync' ? 'sync' : 'async';
const segmentMiB = Number(process.argv[4] ?? SEGMENT_MIB_DEFAULT);
if (directory === undefined) {
  console.error('usage: bench-broker-child.js <data directory> [async|sync] [segment MiB]');
  process.exit(2);
}
const nameServer = await startNameServer({ host: '127.0.0.1', port: 0 });
const broker = await startBroker({
  dataDirectory: directory,
  host: '127.0.0.1',
  advertisedHost: '127.0.0.1',
  port: 0,
  nameServers: [`127.0.0.1:${nameServer.port}`],
  flush,
  store: { segmentBytes: segmentMiB * BYTES_PER_MIB },
});
process.stdout.write(`${JSON.stringify({ nameServer: `127.0.0.1:${nameServer.port}`, broker: broker.address })}\n`);

let closing = false;
async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  await broker.close();
  await nameServer.close();
  process.exit(0);
}
process.on('SIGTERM', () => void close());
process.stdin.on('end', () => void close());
process.stdin.resume();
