// Child process of delayed-delivery.bench.ts: a name server and a broker (async flush, the
// default 18 delay levels) on 127.0.0.1 with free ports, on the directory in argv[2]. Prints
// {"nameServer": "..."} once listening; closes cleanly and exits when stdin closes or on SIGTERM,
// so the bench can then open the store itself and read what was held and delivered.
import { startBroker, startNameServer } from '../broker/index.js';

const SEGMENT_BYTES = 256 * 1024 * 1024;

const directory = process.argv[2];
if (directory === undefined) {
  console.error('usage: delayed-broker-child.js <data directory>');
  process.exit(2);
}
const nameServer = await startNameServer({ host: '127.0.0.1', port: 0 });
const broker = await startBroker({
  dataDirectory: directory,
  host: '127.0.0.1',
  advertisedHost: '127.0.0.1',
  port: 0,
  nameServers: [`127.0.0.1:${nameServer.port}`],
  flush: 'async',
  store: { segmentBytes: SEGMENT_BYTES },
});
process.stdout.write(`${JSON.stringify({ nameServer: `127.0.0.1:${nameServer.port}` })}\n`);

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
