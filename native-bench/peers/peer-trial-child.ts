// One peer trial in a process of its own, as `tributary bench ... --json` is one for Tributary:
// it starts the peer's server (a child process, fresh temporary directory, free port), runs one
// workload against it through the Node client, prints one JSON summary on stdout and stops the
// server. peers.bench.ts runs it; by hand:
//
//   node dist/native-bench/peers/peer-trial-child.js --peer redis --durability everysec \
//        --workload produce --size 100 --in-flight 1000 --warmup-s 2 --duration-s 5
//
// --peer redis|nats; --durability everysec|always (redis), timer|always (nats);
// --workload produce|consume|e2e; --count N (consume backlog); --rate N (e2e sends per second).
import os from 'node:os';

import { MICROSECONDS_PER_MS, MS_PER_SECOND } from '../../bench/bench-constants.js';
import { NatsJetStreamPeer } from './nats-jetstream-peer.js';
import { startNatsServer, type NatsSync } from './nats-server-process.js';
import type { PeerClient } from './peer-client.js';
import { runPeerWorkload, type PeerWorkloadKind, type PeerWorkloadSettings } from './peer-workloads.js';
import { startRedisServer, type AppendFsync } from './redis-server-process.js';
import { RedisStreamsPeer } from './redis-streams-peer.js';
import type { ServerProcess } from './server-process.js';

interface ChildOptions {
  readonly peer: 'redis' | 'nats';
  readonly durability: string;
  readonly workload: PeerWorkloadSettings;
}

function parseOptions(argv: readonly string[]): ChildOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) values.set(argv[i]!.replace(/^--/, ''), argv[i + 1] ?? '');
  const number = (name: string, fallback: number): number => Number(values.get(name) ?? fallback);
  const peer = values.get('peer');
  if (peer !== 'redis' && peer !== 'nats') throw new Error('--peer must be redis or nats');
  return {
    peer,
    durability: values.get('durability') ?? (peer === 'redis' ? 'everysec' : 'timer'),
    workload: {
      kind: (values.get('workload') ?? 'produce') as PeerWorkloadKind,
      messageBytes: number('size', 100),
      inFlight: number('in-flight', 1000),
      warmupMs: number('warmup-s', 2) * MS_PER_SECOND,
      durationMs: number('duration-s', 5) * MS_PER_SECOND,
      count: number('count', 500_000),
      ratePerS: number('rate', 5000),
    },
  };
}

interface StartedPeer {
  readonly server: ServerProcess;
  readonly durability: string;
  readonly client: PeerClient;
}

async function startPeer(options: ChildOptions): Promise<StartedPeer> {
  if (options.peer === 'redis') {
    const redis = await startRedisServer(options.durability as AppendFsync);
    const client = await RedisStreamsPeer.connect(redis.process.port, redis.version).catch(async (error) => {
      await redis.process.stop();
      throw error;
    });
    return { server: redis.process, durability: redis.durability, client };
  }
  const nats = await startNatsServer(options.durability as NatsSync);
  const client = await NatsJetStreamPeer.connect(nats.process.port, nats.version).catch(async (error) => {
    await nats.process.stop();
    throw error;
  });
  return { server: nats.process, durability: nats.durability, client };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { server, durability, client } = await startPeer(options);
  const stopOnSignal = (): void => void server.stop().finally(() => process.exit(1));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    process.stderr.write(`${client.serverLabel} (pid ${server.pid}, port ${server.port}): ${options.workload.kind}\n`);
    const outcome = await runPeerWorkload(client, options.workload, server.pid);
    const messages = outcome.result.messages;
    const perMessage = (cpu: { userMs: number; systemMs: number }): number | undefined =>
      messages === 0 ? undefined : ((cpu.userMs + cpu.systemMs) * MICROSECONDS_PER_MS) / messages;
    const summary = {
      tool: 'peer bench',
      peer: options.peer,
      server: client.serverLabel,
      kind: options.workload.kind,
      settings: { ...options.workload, durabilityMode: options.durability },
      durability,
      result: outcome.result,
      phases: outcome.phases,
      details: outcome.details,
      serverProcess: {
        pid: server.pid,
        cpuUserMs: outcome.cpu.server.userMs,
        cpuSystemMs: outcome.cpu.server.systemMs,
      },
      client: { cpuUserMs: outcome.cpu.client.userMs, cpuSystemMs: outcome.cpu.client.systemMs },
      cpuCost: {
        clientUsPerMessage: perMessage(outcome.cpu.client),
        serverUsPerMessage: perMessage(outcome.cpu.server),
      },
      errors: outcome.errors,
      environment: { node: process.version, loadAverage: os.loadavg() },
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    if (messages === 0) process.exitCode = 1;
  } finally {
    await client.close().catch(() => undefined);
    await server.stop();
  }
}

await main();
