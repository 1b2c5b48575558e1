// Failover time in controller mode (README "Topologies", etcd-managed): three brokers of one
// name with --etcd (sync master, async flush), each a child process on loopback
// (replication-broker-child.ts), a local etcd (Debian's etcd-server) and a name server in this
// process. Each cycle SIGKILLs the master while two producers send 1 KiB messages (client
// defaults: retries, no shortened route refresh) and times the kill to the first send the new
// master acknowledges (a send started after the kill); the killed broker restarts as a replica.
// Kept apart from replication.bench.ts: it needs etcd and kills brokers.
//
//   npm run build && node dist/native-bench/failover.bench.js [--cycles 5]
//
// Prints one line per cycle and a summary; writes results/failover-<timestamp>.json.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { BrokerOptions } from '../broker/index.js';
import { Admin, Producer } from '../client/index.js';
import { startNameServer } from '../namesrv/index.js';
import { saveResultsFile } from '../bench/results-file.js';
import { RESULTS_DIRECTORY } from './lib/results-directory.js';
import { childReadyLine } from './lib/child-ready-line.js';

const ETCD = '/usr/bin/etcd';
const TOPIC = 'bench-failover';
const BODY = Buffer.alloc(1024, 7);
const BROKERS = 3;
const PRODUCERS = 2;
const POLL_MS = 50;
const WAIT_MS = 60_000;

const cycles = (() => {
  const at = process.argv.indexOf('--cycles');
  return at < 0 ? 5 : Number(process.argv[at + 1]);
})();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(POLL_MS);
  }
  throw new Error(`no ${what} within ${WAIT_MS} ms`);
}

/** A single-member etcd on free ports; returns its endpoint and what stops it. */
async function startEtcd(root: string): Promise<{ endpoint: string; child: ChildProcess }> {
  const net = await import('node:net');
  const port = async (): Promise<number> => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port: free } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return free;
  };
  const [client, peer] = [`http://127.0.0.1:${await port()}`, `http://127.0.0.1:${await port()}`];
  const args = [`--data-dir=${path.join(root, 'etcd')}`, `--listen-client-urls=${client}`];
  args.push(`--advertise-client-urls=${client}`, `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`);
  args.push(`--initial-cluster=default=${peer}`, '--log-level=error');
  const child = spawn(ETCD, args, { stdio: 'ignore' });
  await until('etcd answering', async () => ((await fetch(`${client}/health`)).ok ? true : undefined));
  return { endpoint: client.replace('http://', ''), child };
}

interface BrokerChild {
  readonly address: string;
  child: ChildProcess;
}

async function startBrokerChild(options: BrokerOptions): Promise<BrokerChild> {
  const script = fileURLToPath(new URL('./replication-broker-child.js', import.meta.url));
  const config = { withNameServer: false, broker: { flush: 'async', ...options } };
  const child = spawn(process.execPath, [script, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'ignore'] });
  const line = await childReadyLine(child, 'broker child');
  return { address: (JSON.parse(line) as { broker: string }).broker, child };
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Producers sending until stopped; the ack time of each send, with when it started. */
function sendLoad(producers: Producer[]): { acks: { startedAt: number; ackedAt: number }[]; stop(): Promise<void> } {
  const acks: { startedAt: number; ackedAt: number }[] = [];
  let stopped = false;
  const running = producers.map(async (producer) => {
    while (!stopped) {
      const startedAt = Date.now();
      const sent = await producer.send({ topic: TOPIC, body: BODY }).then(
        () => true,
        () => false,
      );
      if (sent) acks.push({ startedAt, ackedAt: Date.now() });
      else await sleep(POLL_MS);
    }
  });
  return {
    acks,
    stop: async () => {
      stopped = true;
      await Promise.all(running);
    },
  };
}

async function main(): Promise<void> {
  if (!fs.existsSync(ETCD)) throw new Error(`etcd is missing: apt-get update && apt-get install -y etcd-server`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-failover-bench-'));
  const etcd = await startEtcd(root);
  const nameServer = await startNameServer({ host: '127.0.0.1', port: 0 });
  const ns = `127.0.0.1:${nameServer.port}`;
  const options = (id: number): BrokerOptions => ({
    brokerName: 'bench-failover',
    brokerId: id,
    role: 'sync-master',
    etcd: [etcd.endpoint],
    nameServers: [ns],
    dataDirectory: path.join(root, `broker-${id}`),
    registerIntervalMs: 1000,
  });
  const brokers = new Map<number, BrokerChild>();
  for (let id = 1; id <= BROKERS; id++) brokers.set(id, await startBrokerChild(options(id)));
  const admin = new Admin({ nameServer: ns });
  const master = (): Promise<string | undefined> =>
    admin.clusterList().then((list) => list.find((broker) => broker.brokerId === 0)?.address);
  const inSync = async (address: string): Promise<true | undefined> =>
    (await admin.replicationStatus(address)).replicas.some((replica) => replica.inSync) ? true : undefined;
  const figures: number[] = [];
  const producers = Array.from(
    { length: PRODUCERS },
    (_, i) => new Producer({ nameServer: ns, group: `failover-${i}` }),
  );
  try {
    let current = await until('a master', master);
    await admin.createTopic(TOPIC, { queues: 8 });
    await Promise.all(producers.map((producer) => producer.start()));
    for (let cycle = 0; cycle < cycles; cycle++) {
      await until('an in-sync replica', () => inSync(current));
      const load = sendLoad(producers);
      await sleep(500);
      const [id, victim] = [...brokers].find(([, broker]) => broker.address === current)!;
      const killedAt = Date.now();
      await killed(victim.child);
      const sinceKill = Date.now();
      const ackedAt = await until(
        'a send acknowledged by the new master',
        async () => load.acks.find((ack) => ack.startedAt > sinceKill)?.ackedAt,
      );
      await load.stop();
      figures.push(ackedAt - killedAt);
      console.log(
        `cycle ${cycle}: master SIGKILL -> first acknowledged send on the new master ${ackedAt - killedAt} ms`,
      );
      current = await until('a new master', async () => ((await master()) === current ? undefined : master()));
      brokers.set(id, await startBrokerChild(options(id)));
    }
  } finally {
    await Promise.all(producers.map((producer) => producer.shutdown().catch(() => undefined)));
    await admin.close();
    for (const broker of brokers.values()) await killed(broker.child);
    await nameServer.close();
    await killed(etcd.child);
    fs.rmSync(root, { recursive: true, force: true });
  }
  const sorted = [...figures].sort((a, b) => a - b);
  const summary = { cycles, medianMs: sorted[sorted.length >> 1], maxMs: sorted.at(-1), figuresMs: figures };
  console.log(
    `failover: median ${summary.medianMs} ms, max ${summary.maxMs} ms over ${cycles} cycles (goal < 5000 ms)`,
  );
  const file = saveResultsFile({ directory: RESULTS_DIRECTORY, name: 'failover' }, summary);
  console.log(`results: ${file}`);
}

await main();
