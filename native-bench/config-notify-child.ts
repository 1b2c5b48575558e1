// Child of config-notify.bench.ts: `count` watchers of one key, of one system (argv[2]: tributary,
// etcd or redis; argv[3]: its address; argv[4]: count). Each published value is
// "<round>:<publish time, ms since the epoch with fractions>"; every watcher notes when it saw a
// round. Prints {"ready": n} once every watch is in place, then per round
// {"round": r, "latenciesMs": [...]} as soon as all its watchers saw it. Exits when stdin closes.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

import { Redis } from 'ioredis';

import { ConfigClient } from '../client/index.js';
import { CONFIG_NOTIFY_ITEM } from './lib/config-notify-item.js';

/** The broker holds each watch this long when nothing changes (the rounds come faster). */
const WATCH_HOLD_MS = 60_000;
const RESP_PROTOCOL = 2;

const [system, address, countText] = process.argv.slice(2);
const count = Number(countText);
const rounds = new Map<number, number[]>();
const closers: (() => void)[] = [];

function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A watcher saw `value`: note its latency; report the round once every watcher saw it. */
function seen(value: string): void {
  const at = nowMs();
  const [roundText, sentText] = value.split(':');
  const round = Number(roundText);
  const latencies = rounds.get(round) ?? [];
  rounds.set(round, latencies);
  latencies.push(at - Number(sentText));
  if (latencies.length === count) {
    process.stdout.write(`${JSON.stringify({ round, latenciesMs: latencies })}\n`);
    rounds.delete(round);
  }
}

async function tributaryWatcher(index: number): Promise<void> {
  const client = new ConfigClient({
    broker: address!,
    env: 'bench',
    clientId: `watcher-${process.pid}-${index}`,
    watchHoldMs: WATCH_HOLD_MS,
  });
  closers.push(() => client.close());
  await client.watch(CONFIG_NOTIFY_ITEM.namespace, CONFIG_NOTIFY_ITEM.key, (change) => {
    if (change.value !== undefined) seen(change.value);
  });
}

/** etcd's gRPC gateway: POST /v3/watch streams one JSON object per line. */
function etcdWatcher(agent: http.Agent): Promise<void> {
  const [host, port] = address!.split(':');
  return new Promise((resolve, reject) => {
    const request = http.request({ host, port: Number(port), method: 'POST', path: '/v3/watch', agent }, (response) => {
      let pending = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          const result = (
            JSON.parse(line) as { result?: { created?: boolean; events?: { kv?: { value?: string } }[] } }
          ).result;
          if (result?.created === true) resolve();
          for (const event of result?.events ?? []) seen(Buffer.from(event.kv?.value ?? '', 'base64').toString('utf8'));
        }
      });
    });
    request.once('error', reject);
    closers.push(() => request.destroy());
    request.end(JSON.stringify({ create_request: { key: Buffer.from(CONFIG_NOTIFY_ITEM.key).toString('base64') } }));
  });
}

async function redisWatcher(): Promise<void> {
  const [host, port] = address!.split(':');
  const connection = new Redis({
    host,
    port: Number(port),
    protocol: RESP_PROTOCOL,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
  });
  await connection.connect();
  closers.push(() => connection.disconnect());
  connection.on('message', (_channel: string, message: string) => seen(message));
  await connection.subscribe(CONFIG_NOTIFY_ITEM.key);
}

async function main(): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const starts: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    if (system === 'tributary') starts.push(tributaryWatcher(i));
    else if (system === 'etcd') starts.push(etcdWatcher(agent));
    else starts.push(redisWatcher());
  }
  await Promise.all(starts);
  process.stdout.write(`${JSON.stringify({ ready: count })}\n`);
  process.stdin.on('end', () => {
    for (const close of closers) close();
    process.exit(0);
  });
  process.stdin.resume();
}

await main();
