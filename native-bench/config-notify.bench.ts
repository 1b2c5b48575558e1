// Config change notify latency: one key watched by 1,000 watchers spread over a few client
// processes; the bench publishes a new value, stamped with its publish time, and each watcher
// notes when its callback saw it. The figure is the latency from the publish call to each
// watcher's notification, over every watcher of every measured round (p50, p99, max).
//
//   tributary  ConfigClient.watch (long poll, CONFIG_WATCH) on a broker child process (async
//              flush), publish with ConfigClient.publish (the command is logged before watchers
//              are woken)
//   etcd       etcd watch streams through its HTTP gateway (POST /v3/watch), put via /v3/kv/put;
//              skipped when the etcd binary is absent (Debian: etcd-server)
//   redis      Redis pub/sub: SUBSCRIBE per watcher connection, PUBLISH (no storage at all; a
//              floor, not a config store); skipped when redis-server is absent
//
// Each system runs alone in turn on the same machine, with the same watcher processes, and the
// ratios are from this one run.
//
//   npm run build && node dist/native-bench/config-notify.bench.js [--watchers 1000]
//     [--processes 4] [--rounds 30] [--only tributary,etcd,redis]
//
// Prints one line per system and the ratios; writes results/config-notify-<timestamp>.json.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { Redis } from 'ioredis';

import { LatencyHistogram, type LatencySummary } from '../bench/latency-histogram.js';
import { saveResultsFile } from '../bench/results-file.js';
import { environmentNow } from '../bench/run-environment.js';
import { ConfigClient } from '../client/index.js';
import { CONFIG_NOTIFY_ITEM } from './lib/config-notify-item.js';
import { startBenchBroker } from './lib/bench-broker-process.js';
import { RESULTS_DIRECTORY } from './lib/results-directory.js';
import { freePort } from './peers/free-port.js';
import { startRedisServer } from './peers/redis-server-process.js';
import { findServerBinary } from './peers/server-binary.js';
import { ServerProcess } from './peers/server-process.js';

const WARM_UP_ROUNDS = 3;
/** A round not seen by every watcher this soon fails the run. */
const ROUND_TIMEOUT_MS = 10_000;
/** Between rounds, so long-poll watchers are holding again before the next publish. */
const ROUND_GAP_MS = 200;
const CHILD_SCRIPT = fileURLToPath(new URL('./config-notify-child.js', import.meta.url));

interface System {
  readonly name: 'tributary' | 'etcd' | 'redis';
  readonly address: string;
  readonly version: string;
  publish(value: string): Promise<unknown>;
  stop(): Promise<void>;
}

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : process.argv[at + 1]!;
}

function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

async function startTributary(directory: string): Promise<System> {
  const broker = await startBenchBroker(directory);
  const publisher = new ConfigClient({ broker: broker.broker, env: 'bench' });
  return {
    name: 'tributary',
    address: broker.broker,
    version: 'this tree',
    publish: (value) => publisher.publish(CONFIG_NOTIFY_ITEM.namespace, CONFIG_NOTIFY_ITEM.key, value),
    stop: async () => {
      publisher.close();
      await broker.stop();
    },
  };
}

async function startEtcd(): Promise<System | string> {
  const binary = findServerBinary('etcd');
  if (binary === undefined) return 'etcd not found (Debian: apt-get install etcd-server)';
  const peerPort = await freePort();
  const server = await ServerProcess.start({
    name: 'etcd',
    binary,
    port: await freePort(),
    args: (port, directory) => {
      const client = `http://127.0.0.1:${port}`;
      const peer = `http://127.0.0.1:${peerPort}`;
      return [
        '--data-dir',
        path.join(directory, 'etcd'),
        '--listen-client-urls',
        client,
        '--advertise-client-urls',
        client,
        '--listen-peer-urls',
        peer,
        '--initial-advertise-peer-urls',
        peer,
        '--initial-cluster',
        `default=${peer}`,
      ];
    },
  });
  const agent = new http.Agent({ keepAlive: true });
  const put = (value: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({
        key: Buffer.from(CONFIG_NOTIFY_ITEM.key).toString('base64'),
        value: Buffer.from(value).toString('base64'),
      });
      const request = http.request(
        { host: '127.0.0.1', port: server.port, method: 'POST', path: '/v3/kv/put', agent },
        (response) => {
          response.resume().once('end', resolve);
        },
      );
      request.once('error', reject);
      request.end(body);
    });
  const version = /etcd Version: (\S+)/.exec(await commandOutput(binary, ['--version']))?.[1] ?? 'unknown';
  return { name: 'etcd', address: `127.0.0.1:${server.port}`, version, publish: put, stop: () => server.stop() };
}

async function startRedis(): Promise<System | string> {
  if (findServerBinary('redis-server') === undefined)
    return 'redis-server not found (Debian: apt-get install redis-server)';
  const redis = await startRedisServer('everysec');
  const publisher = new Redis({ host: '127.0.0.1', port: redis.process.port, protocol: 2, lazyConnect: true });
  await publisher.connect();
  return {
    name: 'redis',
    address: `127.0.0.1:${redis.process.port}`,
    version: redis.version,
    publish: (value) => publisher.publish(CONFIG_NOTIFY_ITEM.key, value),
    stop: async () => {
      publisher.disconnect();
      await redis.process.stop();
    },
  };
}

function commandOutput(binary: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.once('close', () => resolve(text));
  });
}

/** The watcher processes of one system, and the rounds they report. */
class Watchers {
  private readonly reports = new Map<number, number[][]>();
  private readonly waiters = new Set<() => void>();
  private ready = 0;

  private constructor(private readonly children: ChildProcess[]) {
    for (const child of children) {
      let pending = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines)
          this.receive(JSON.parse(line) as { ready?: number; round?: number; latenciesMs?: number[] });
      });
    }
  }

  static async start(system: System, watchers: number, processes: number): Promise<Watchers> {
    const children = Array.from({ length: processes }, (_, i) => {
      const share = Math.floor(watchers / processes) + (i < watchers % processes ? 1 : 0);
      return spawn(process.execPath, [CHILD_SCRIPT, system.name, system.address, String(share)], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
    });
    const group = new Watchers(children);
    await group.until(() => group.ready === processes, 'every watcher ready', ROUND_TIMEOUT_MS * 3);
    return group;
  }

  /** Every latency of `round`, once each process reported it. */
  async round(round: number): Promise<number[]> {
    await this.until(
      () => this.reports.get(round)?.length === this.children.length,
      `round ${round}`,
      ROUND_TIMEOUT_MS,
    );
    const latencies = this.reports.get(round)!.flat();
    this.reports.delete(round);
    return latencies;
  }

  stop(): Promise<void> {
    return Promise.all(
      this.children.map(
        (child) => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.stdin!.end())),
      ),
    ).then(() => undefined);
  }

  private receive(message: { ready?: number; round?: number; latenciesMs?: number[] }): void {
    if (message.ready !== undefined) this.ready++;
    if (message.round !== undefined) {
      const list = this.reports.get(message.round) ?? [];
      list.push(message.latenciesMs!);
      this.reports.set(message.round, list);
    }
    for (const waiter of this.waiters) waiter();
  }

  private until(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

async function measure(system: System, watchers: number, processes: number, rounds: number): Promise<LatencySummary> {
  const group = await Watchers.start(system, watchers, processes);
  const histogram = new LatencyHistogram();
  try {
    for (let round = 0; round < WARM_UP_ROUNDS + rounds; round++) {
      await system.publish(`${round}:${nowMs()}`);
      const latencies = await group.round(round);
      if (round >= WARM_UP_ROUNDS) for (const ms of latencies) histogram.record(ms * 1000);
      await new Promise((resolve) => setTimeout(resolve, ROUND_GAP_MS));
    }
  } finally {
    await group.stop();
  }
  return histogram.summary();
}

async function main(): Promise<void> {
  const watchers = Number(flag('watchers', '1000'));
  const processes = Number(flag('processes', '4'));
  const rounds = Number(flag('rounds', '30'));
  const only = flag('only', 'tributary,etcd,redis').split(',');
  const results: Record<string, unknown>[] = [];
  const figures = new Map<string, LatencySummary>();
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-config-notify-'));
  try {
    for (const name of only) {
      const started =
        name === 'tributary'
          ? await startTributary(directory)
          : name === 'etcd'
            ? await startEtcd()
            : await startRedis();
      if (typeof started === 'string') {
        console.log(`${name.padEnd(10)} skipped: ${started}`);
        results.push({ system: name, skipped: started });
        continue;
      }
      try {
        const summary = await measure(started, watchers, processes, rounds);
        figures.set(name, summary);
        results.push({ system: name, version: started.version, watchers, processes, rounds, notifyLatency: summary });
        console.log(
          `${name.padEnd(10)} ${watchers} watchers in ${processes} processes, ${rounds} rounds: notify p50 ` +
            `${summary.p50Ms.toFixed(2)} ms, p99 ${summary.p99Ms.toFixed(2)} ms, max ${summary.maxMs.toFixed(2)} ms`,
        );
      } finally {
        await started.stop();
      }
    }
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
  const ours = figures.get('tributary');
  const ratios: Record<string, unknown> = {};
  for (const [name, peer] of figures) {
    if (name === 'tributary' || ours === undefined) continue;
    ratios[`tributary/${name}`] = { p50: ours.p50Ms / peer.p50Ms, p99: ours.p99Ms / peer.p99Ms };
    console.log(
      `tributary / ${name}: p50 x${(ours.p50Ms / peer.p50Ms).toFixed(2)}, p99 x${(ours.p99Ms / peer.p99Ms).toFixed(2)} (lower is faster)`,
    );
  }
  const file = saveResultsFile(
    { directory: RESULTS_DIRECTORY, name: 'config-notify' },
    { environment: environmentNow(), results, ratios },
  );
  console.log(`wrote ${file}`);
}

await main();
