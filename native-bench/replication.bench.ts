// Replication, side by side in one run (README "Topologies"), every broker a child process on
// loopback (replication-broker-child.ts), async flush, 1 KiB bodies:
//
//   produce   closed-loop throughput of a single broker, then of a sync master with one replica
//             (a send acknowledged once the replica holds it): the ratio is the goal (>= 60%)
//   lag       an async master paced at --rate msgs/s with a replica: for each acknowledged send,
//             the time until the replica reports holding the master's log end as of that send
//             (polled each millisecond with Admin.replicationStatus; +~1 ms resolution)
//   catch-up  a replica started after the master took --catch-up-mib MiB: bytes / time to reach
//             the master's log end
//
//   npm run build && node dist/native-bench/replication.bench.js [--seconds 10] [--rate 20000] [--catch-up-mib 1024]
//
// Prints one line per figure; writes results/replication-<timestamp>.json.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { BrokerOptions } from '../broker/index.js';
import { Admin, Producer } from '../client/index.js';
import { LatencyHistogram } from '../bench/latency-histogram.js';
import { saveResultsFile } from '../bench/results-file.js';
import { OffsetMessageId } from '../storage/index.js';
import { RESULTS_DIRECTORY } from './lib/results-directory.js';

const TOPIC = 'bench-replication';
const QUEUES = 8;
const BODY = Buffer.alloc(1024, 7);
const PRODUCERS = 4;
const IN_FLIGHT_PER_PRODUCER = 64;
const SEGMENT_BYTES = 256 * 1024 * 1024;
const STATUS_POLL_MS = 1;
const CATCH_UP_TIMEOUT_MS = 600_000;

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

interface Child {
  readonly nameServer: string | null;
  readonly broker: string;
  stop(): Promise<void>;
}

async function startChild(withNameServer: boolean, broker: BrokerOptions): Promise<Child> {
  const script = fileURLToPath(new URL('./replication-broker-child.js', import.meta.url));
  const config = { withNameServer, broker: { flush: 'async', store: { segmentBytes: SEGMENT_BYTES }, ...broker } };
  const child = spawn(process.execPath, [script, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`broker child exited (${code}) before it was ready`)));
  });
  const ready = JSON.parse(line) as { nameServer: string | null; broker: string };
  return { ...ready, stop: () => (child.stdin!.end(), exited) };
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A master (with a name server) and optionally a replica, on fresh directories. */
async function brokerSet(
  root: string,
  role: 'async-master' | 'sync-master',
  replica: boolean,
  name: string,
): Promise<{ master: Child; replica: Child | undefined; nameServer: string; stop(): Promise<void> }> {
  const haPort = await freePort();
  const master = await startChild(true, {
    dataDirectory: path.join(root, `${name}-m`),
    brokerName: name,
    role,
    haPort,
  });
  const nameServer = master.nameServer!;
  const admin = new Admin({ nameServer });
  await admin.createTopic(TOPIC, { queues: QUEUES });
  for (let tries = 0; !(await admin.listTopics()).includes(TOPIC); tries++) {
    if (tries > 100) throw new Error('the topic never got a route');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await admin.close();
  const copy = replica
    ? await startChild(false, {
        dataDirectory: path.join(root, `${name}-r`),
        brokerName: name,
        role: 'slave',
        brokerId: 1,
        nameServers: [nameServer],
      })
    : undefined;
  return {
    master,
    replica: copy,
    nameServer,
    stop: async () => {
      await copy?.stop();
      await master.stop();
    },
  };
}

async function status(client: Admin, address: string): Promise<{ logEnd: number; acked: number }> {
  const body = await client.replicationStatus(address);
  return { logEnd: body.logEnd, acked: Math.max(-1, ...body.replicas.map((replica) => replica.ackedOffset)) };
}

/** Closed-loop sends for `seconds`; msgs/s. Waits until a first send succeeds (the replica in sync). */
async function produce(nameServer: string, seconds: number): Promise<number> {
  const producers = Array.from({ length: PRODUCERS }, (_, i) => new Producer({ nameServer, group: `bench-repl-${i}` }));
  await Promise.all(producers.map((producer) => producer.start()));
  for (let tries = 0; ; tries++) {
    const ok = await producers[0]!.send({ topic: TOPIC, body: BODY }).then(
      () => true,
      () => false,
    );
    if (ok) break;
    if (tries > 200) throw new Error('no send was acknowledged');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  let sent = 0;
  const endAt = Date.now() + seconds * 1000;
  const loop = async (producer: Producer): Promise<void> => {
    while (Date.now() < endAt) {
      await producer.send({ topic: TOPIC, body: BODY });
      sent++;
    }
  };
  const started = Date.now();
  await Promise.all(
    producers.flatMap((producer) => Array.from({ length: IN_FLIGHT_PER_PRODUCER }, () => loop(producer))),
  );
  const rate = sent / ((Date.now() - started) / 1000);
  await Promise.all(producers.map((producer) => producer.shutdown()));
  return rate;
}

/** Paced sends at `rate` for `seconds`; the replica lag of each acknowledged send. */
async function lag(nameServer: string, master: string, rate: number, seconds: number): Promise<LatencyHistogram> {
  const client = new Admin({ nameServer });
  const producer = new Producer({ nameServer, group: 'bench-repl-lag' });
  await producer.start();
  const histogram = new LatencyHistogram();
  const waiting: { end: number; at: number }[] = [];
  let done = false;
  const poller = (async () => {
    while (!done || waiting.length > 0) {
      const { acked } = await status(client, master);
      const now = performance.now();
      waiting.sort((a, b) => a.end - b.end);
      while (waiting.length > 0 && waiting[0]!.end <= acked) histogram.record((now - waiting.shift()!.at) * 1000);
      await new Promise((resolve) => setTimeout(resolve, STATUS_POLL_MS));
    }
  })();
  const started = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < rate * seconds; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    sends.push(
      producer.send({ topic: TOPIC, body: BODY }).then((result) => {
        // The replica holds the record once its acked log end is past the record's offset.
        const offset = OffsetMessageId.decode(result.offsetMsgId)!.commitLogOffset;
        waiting.push({ end: offset + 1, at: performance.now() });
      }),
    );
  }
  await Promise.all(sends);
  done = true;
  await poller;
  await producer.shutdown();
  await client.close();
  return histogram;
}

/** A replica started after the master took `mib` MiB: bytes per second until it holds the master's log end. */
async function catchUp(root: string, mib: number): Promise<{ bytes: number; seconds: number }> {
  const set = await brokerSet(root, 'async-master', false, 'bench-catch-up');
  const client = new Admin({ nameServer: set.nameServer });
  try {
    const producer = new Producer({ nameServer: set.nameServer, group: 'bench-repl-fill' });
    await producer.start();
    const body = Buffer.alloc(64 * 1024, 3);
    const count = Math.ceil((mib * 1024 * 1024) / body.length);
    let next = 0;
    const loop = async (): Promise<void> => {
      while (next < count) {
        next++;
        await producer.send({ topic: TOPIC, body });
      }
    };
    await Promise.all(Array.from({ length: 32 }, loop));
    await producer.shutdown();
    const { logEnd } = await status(client, set.master.broker);
    const replicaStarted = performance.now();
    const replica = await startChild(false, {
      dataDirectory: path.join(root, 'catch-up-r'),
      brokerName: 'bench-catch-up',
      role: 'slave',
      brokerId: 1,
      nameServers: [set.nameServer],
    });
    try {
      const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
      while ((await status(client, set.master.broker)).acked < logEnd) {
        if (Date.now() > deadline) throw new Error('the replica never caught up');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return { bytes: logEnd, seconds: (performance.now() - replicaStarted) / 1000 };
    } finally {
      await replica.stop();
    }
  } finally {
    await client.close();
    await set.stop();
  }
}

async function main(): Promise<void> {
  const seconds = flag('seconds', 10);
  const rate = flag('rate', 20_000);
  const mib = flag('catch-up-mib', 1024);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-replication-'));
  try {
    const single = await brokerSet(root, 'async-master', false, 'bench-single');
    const singleRate = await produce(single.nameServer, seconds).finally(() => single.stop());
    const sync = await brokerSet(root, 'sync-master', true, 'bench-sync');
    const syncRate = await produce(sync.nameServer, seconds).finally(() => sync.stop());
    const ratio = syncRate / singleRate;
    console.log(
      `produce  single ${singleRate.toFixed(0)} msgs/s | sync + 1 replica ${syncRate.toFixed(0)} msgs/s | ${(ratio * 100).toFixed(1)}% (goal >= 60%)`,
    );
    const paced = await brokerSet(root, 'async-master', true, 'bench-lag');
    const lagged = await lag(paced.nameServer, paced.master.broker, rate, seconds).finally(() => paced.stop());
    const lagSummary = lagged.summary();
    console.log(
      `lag      ${rate} msgs/s: p50 ${lagSummary.p50Ms.toFixed(2)} ms, p99 ${lagSummary.p99Ms.toFixed(2)} ms, max ${lagSummary.maxMs.toFixed(2)} ms (${lagSummary.count} sends)`,
    );
    const caught = await catchUp(root, mib);
    const mbPerS = caught.bytes / 1e6 / caught.seconds;
    console.log(
      `catch-up ${(caught.bytes / 2 ** 20).toFixed(0)} MiB in ${caught.seconds.toFixed(2)} s: ${mbPerS.toFixed(0)} MB/s (replica start included)`,
    );
    const file = saveResultsFile(
      { directory: RESULTS_DIRECTORY, name: 'replication' },
      { seconds, rate, catchUpMiB: mib, singleRate, syncRate, ratio, lag: lagSummary, catchUp: { ...caught, mbPerS } },
    );
    console.log(`results: ${file}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

await main();
