// Replication, side by side in one run (README "Topologies"), every broker a child process on
// loopback (replication-broker-child.ts), async flush, 1 KiB bodies:
//
//   produce   closed-loop throughput of a single broker, then of a sync master with one replica
//             (a send acknowledged once the replica holds it): the ratio is the goal (>= 60%)
//   lag       an async master paced at --rate msgs/s with a replica: per record, the time from
//             the master's append (its store timestamp) to the replica's dispatch, as the replica
//             counts it (FollowerStatus.lag; whole ms, within 1 ms of the true lag). The first
//             --warmup-seconds (default 2) are paced the same and then left out (the processes'
//             first use of each code path, the queues' first files), the rest is the steady
//             state; the whole run's figures are printed too. Also prints the rate the sends
//             reached, which a loaded machine may keep below --rate
//   catch-up  a replica started after the master took --catch-up-mib MiB: bytes / time to reach
//             the master's log end
//
//   npm run build && node dist/native-bench/replication.bench.js [--seconds 10] [--rate 20000] [--catch-up-mib 1024]
//     [--warmup-seconds 2]
//     [--only produce|lag|catch-up] [--cpu-prof-dir <dir>]
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
import { RESULTS_DIRECTORY } from './lib/results-directory.js';

const TOPIC = 'bench-replication';
const QUEUES = 8;
const BODY = Buffer.alloc(1024, 7);
const PRODUCERS = 4;
const IN_FLIGHT_PER_PRODUCER = 64;
const SEGMENT_BYTES = 256 * 1024 * 1024;
/** The lag run's pacer waits for its sends once this many are outstanding. */
const LAG_SENDS_IN_FLIGHT_MAX = 4096;
const CATCH_UP_TIMEOUT_MS = 600_000;

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

function stringFlag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
}

type ReplicaLag = NonNullable<Awaited<ReturnType<Admin['replicationStatus']>>['follower']>['lag'];

/** --only produce|lag|catch-up runs that one part (all by default). */
function runs(part: string): boolean {
  const only = stringFlag('only');
  return only === undefined || only === part;
}

interface Child {
  readonly nameServer: string | null;
  readonly broker: string;
  /** Closes it; resolves with the CPU ms it used since it was ready. */
  stop(): Promise<number>;
}

async function startChild(withNameServer: boolean, broker: BrokerOptions): Promise<Child> {
  const script = fileURLToPath(new URL('./replication-broker-child.js', import.meta.url));
  const config = { withNameServer, broker: { flush: 'async', store: { segmentBytes: SEGMENT_BYTES }, ...broker } };
  // --cpu-prof-dir <dir>: each broker child writes a CPU profile there (NODE_OPTIONS refuses --cpu-prof).
  const profileDirectory = stringFlag('cpu-prof-dir');
  const profile = profileDirectory === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDirectory];
  const child = spawn(process.execPath, [...profile, script, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines: string[] = [];
  let waiting: (() => void) | undefined;
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    const parts = text.split('\n');
    text = parts.pop()!;
    lines.push(...parts);
    waiting?.();
  });
  const nextLine = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (lines.length > 0) resolve(lines.shift()!);
        else waiting = check;
      };
      child.once('exit', (code) => reject(new Error(`broker child exited (${code})`)));
      check();
    });
  const ready = JSON.parse(await nextLine()) as { nameServer: string | null; broker: string };
  const stop = async (): Promise<number> => {
    child.stdin!.end();
    const used = JSON.parse(await nextLine()) as { cpuMs: number };
    await exited;
    return used.cpuMs;
  };
  return { ...ready, stop };
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** CPU ms (user + system) each broker used while the set was ready. */
interface CpuUsed {
  readonly masterMs: number;
  readonly replicaMs: number | undefined;
}

/** CPU µs per message, for the figures' lines. */
function perMessage(ms: number | undefined, messages: number): string {
  return ms === undefined ? '-' : ((ms * 1000) / messages).toFixed(1);
}

/** Runs `work` on a broker set, then stops it (also when `work` fails): its result and the set's CPU. */
async function measured<T, Used>(set: { stop(): Promise<Used> }, work: () => Promise<T>): Promise<[T, Used]> {
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await set.stop();
    throw error;
  }
  return [result, await set.stop()];
}

/** A master (with a name server) and optionally a replica, on fresh directories. */
async function brokerSet(
  root: string,
  role: 'async-master' | 'sync-master',
  replica: boolean,
  name: string,
): Promise<{ master: Child; replica: Child | undefined; nameServer: string; stop(): Promise<CpuUsed> }> {
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
      const replicaMs = await copy?.stop();
      return { masterMs: await master.stop(), replicaMs };
    },
  };
}

async function status(client: Admin, address: string): Promise<{ logEnd: number; acked: number }> {
  const body = await client.replicationStatus(address);
  return { logEnd: body.logEnd, acked: Math.max(-1, ...body.replicas.map((replica) => replica.ackedOffset)) };
}

/** Closed-loop sends for `seconds`: msgs/s and how many. Waits until a first send succeeds (the replica in sync). */
async function produce(nameServer: string, seconds: number): Promise<{ rate: number; sent: number }> {
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
  return { rate, sent };
}

/** Sends `total` messages paced at `rate` over the producers; resolves with the rate reached. */
async function paced(producers: readonly Producer[], rate: number, total: number): Promise<number> {
  const started = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    sends.push(producers[i % PRODUCERS]!.send({ topic: TOPIC, body: BODY }));
    // Settled sends are dropped so the list stays short at high rates.
    if (sends.length >= LAG_SENDS_IN_FLIGHT_MAX) await Promise.all(sends.splice(0));
  }
  await Promise.all(sends);
  return total / ((performance.now() - started) / 1000);
}

/** The replica's lag histogram once it has counted `count` records. */
async function lagOnceCounted(client: Admin, replica: string, count: number): Promise<ReplicaLag> {
  let found: ReplicaLag | undefined;
  for (let tries = 0; found === undefined || found.count < count; tries++) {
    if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    if (tries > 200) throw new Error(`the replica dispatched ${found?.count} of ${count} records`);
    found = (await client.replicationStatus(replica)).follower?.lag;
  }
  return found;
}

/** p50, p99 and max of the records counted between two readings of a replica's histogram. */
function windowOf(
  before: ReplicaLag,
  after: ReplicaLag,
): { count: number; p50Ms: number; p99Ms: number; maxMs: number } {
  const earlier = new Map(before.byMs);
  const buckets = after.byMs.map(([ms, records]) => [ms, records - (earlier.get(ms) ?? 0)] as const);
  const count = buckets.reduce((sum, [, records]) => sum + records, 0);
  const at = (fraction: number): number => {
    let seen = 0;
    for (const [ms, records] of buckets) if ((seen += records) >= Math.ceil(count * fraction) && seen > 0) return ms;
    return 0;
  };
  const maxMs = buckets.reduce((max, [ms, records]) => (records > 0 ? ms : max), 0);
  return { count, p50Ms: at(0.5), p99Ms: at(0.99), maxMs };
}

/**
 * Paced sends at `rate`, `warmup` seconds then `seconds` (4 producers), and the replica's own
 * lag histogram: per record, the master's append (its store timestamp) to the replica's
 * dispatch, for the timed part (steady) and the whole run. Returns the rate the timed sends
 * reached too (the machine may not offer `rate`).
 */
async function lag(
  nameServer: string,
  replica: string,
  rate: number,
  seconds: { warmup: number; timed: number },
): Promise<{ lag: ReplicaLag; steady: ReturnType<typeof windowOf>; offered: number }> {
  const client = new Admin({ nameServer });
  const producers = Array.from({ length: PRODUCERS }, (_, i) => new Producer({ nameServer, group: `bench-lag-${i}` }));
  await Promise.all(producers.map((producer) => producer.start()));
  // Timed from a replica that follows and holds the master's log (not from its start-up).
  for (let tries = 0; ; tries++) {
    const follower = (await client.replicationStatus(replica)).follower;
    const replicaEnd = (await client.replicationStatus(replica)).logEnd;
    if (follower?.connected === true && follower.masterLogEnd > 0 && replicaEnd === follower.masterLogEnd) break;
    if (tries > 200) throw new Error('the replica never followed its master');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const counted = (await client.replicationStatus(replica)).follower!.lag.count;
  const warmup = Math.round(rate * seconds.warmup);
  await paced(producers, rate, warmup);
  const warm = await lagOnceCounted(client, replica, counted + warmup);
  const total = rate * seconds.timed;
  const offered = await paced(producers, rate, total);
  const found = await lagOnceCounted(client, replica, counted + warmup + total);
  await Promise.all(producers.map((producer) => producer.shutdown()));
  await client.close();
  return { lag: found, steady: windowOf(warm, found), offered };
}

/** A replica started after the master took `mib` MiB: bytes per second until it holds the master's log end. */
async function catchUp(root: string, mib: number): Promise<{ bytes: number; seconds: number; replicaCpuMs: number }> {
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
    const [seconds, replicaCpuMs] = await measured(replica, async () => {
      const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
      while ((await status(client, set.master.broker)).acked < logEnd) {
        if (Date.now() > deadline) throw new Error('the replica never caught up');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return (performance.now() - replicaStarted) / 1000;
    });
    return { bytes: logEnd, seconds, replicaCpuMs };
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
    const results: Record<string, unknown> = { seconds, rate, catchUpMiB: mib };
    if (runs('produce')) {
      const single = await brokerSet(root, 'async-master', false, 'bench-single');
      const [alone, singleCpu] = await measured(single, () => produce(single.nameServer, seconds));
      const sync = await brokerSet(root, 'sync-master', true, 'bench-sync');
      const [synced, syncCpu] = await measured(sync, () => produce(sync.nameServer, seconds));
      const [singleRate, syncRate] = [alone.rate, synced.rate];
      const ratio = syncRate / singleRate;
      console.log(
        `produce  single ${singleRate.toFixed(0)} msgs/s | sync + 1 replica ${syncRate.toFixed(0)} msgs/s | ${(ratio * 100).toFixed(1)}% (goal >= 60%)`,
      );
      console.log(
        `         CPU µs/msg: single master ${perMessage(singleCpu.masterMs, alone.sent)} | sync master ${perMessage(syncCpu.masterMs, synced.sent)} + replica ${perMessage(syncCpu.replicaMs, synced.sent)}`,
      );
      Object.assign(results, {
        singleRate,
        syncRate,
        ratio,
        singleCpu,
        syncCpu,
        singleSent: alone.sent,
        syncSent: synced.sent,
      });
    }
    if (runs('lag')) {
      const set = await brokerSet(root, 'async-master', true, 'bench-lag');
      const timing = { warmup: flag('warmup-seconds', 2), timed: seconds };
      const [lagged, lagCpu] = await measured(set, () => lag(set.nameServer, set.replica!.broker, rate, timing));
      const { p50Ms, p99Ms, maxMs, count } = lagged.steady;
      const whole = lagged.lag;
      console.log(
        `lag      ${rate} msgs/s asked, ${lagged.offered.toFixed(0)} offered: p50 ${p50Ms} ms, p99 ${p99Ms} ms, max ${maxMs} ms (${count} records after ${timing.warmup} s warm-up; master append to replica dispatch, +-1 ms)`,
      );
      console.log(
        `         whole run with warm-up: p50 ${whole.p50Ms} ms, p99 ${whole.p99Ms} ms, max ${whole.maxMs} ms (${whole.count} records)`,
      );
      console.log(
        `         CPU µs/msg: master ${perMessage(lagCpu.masterMs, whole.count)} + replica ${perMessage(lagCpu.replicaMs, whole.count)} (whole run)`,
      );
      const { byMs: _buckets, ...wholeLag } = whole;
      Object.assign(results, { lag: lagged.steady, wholeLag, offered: lagged.offered, lagCpu });
    }
    if (runs('catch-up')) {
      const caught = await catchUp(root, mib);
      const mbPerS = caught.bytes / 1e6 / caught.seconds;
      console.log(
        `catch-up ${(caught.bytes / 2 ** 20).toFixed(0)} MiB in ${caught.seconds.toFixed(2)} s: ${mbPerS.toFixed(0)} MB/s (replica start included); replica CPU ${((caught.replicaCpuMs * 2 ** 30) / caught.bytes).toFixed(0)} ms/GiB once ready`,
      );
      Object.assign(results, { catchUp: { ...caught, mbPerS } });
    }
    const file = saveResultsFile({ directory: RESULTS_DIRECTORY, name: 'replication' }, results);
    console.log(`results: ${file}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

await main();
