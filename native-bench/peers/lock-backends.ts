// The lock services the lock benchmark compares, behind one interface: a session is one client
// connection that acquires and releases locks by name.
//
// - Tributary: LockClient.acquire (queued at the broker, answered when granted) + release; the
//   grant and the release are both logged commands (async flush).
// - Redis: `SET key token NX PX ttl` + a Lua compare-and-delete release (EVALSHA), the pattern
//   Redis documents for one instance. Redis has no waiting: a refused SET is retried at once
//   (busy polling), the fastest a Redis lock can hand over.
// - etcd: its lock API through the HTTP/JSON gateway (/v3/lock/lock waits until granted,
//   /v3/lock/unlock), each session with its own lease (/v3/lease/grant).
import { Redis } from 'ioredis';

import { LockClient, type HeldLock } from '../../client/index.js';
import { startEtcdServer, ETCD_DURABILITY } from './etcd-server-process.js';
import { REDIS_DURABILITY, startRedisServer } from './redis-server-process.js';

/** Every lease the benchmark takes is this long (never reached: each hold is short). */
const LOCK_TTL_MS = 10_000;
const ETCD_LEASE_TTL_S = 60;
const RELEASE_IF_OWNER_LUA =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export interface LockSession {
  acquire(name: string): Promise<void>;
  release(): Promise<void>;
  close(): Promise<void>;
}

export interface LockBackend {
  readonly label: string;
  readonly durability: string;
  session(index: number): Promise<LockSession>;
  stop(): Promise<void>;
}

export function tributaryLockBackend(
  broker: string,
  stopBroker: () => Promise<void>,
  flush: 'async' | 'sync',
): LockBackend {
  return {
    label: 'Tributary',
    durability:
      flush === 'sync'
        ? 'Tributary sync flush: a grant or release is msynced (group commit) before the answer'
        : 'Tributary async flush: grants and releases are commit log records, flushed every 500 ms',
    session: async () => {
      const client = new LockClient({ broker });
      let held: HeldLock | undefined;
      return {
        acquire: async (name) => {
          held = await client.acquire(name, { ttlMs: LOCK_TTL_MS });
        },
        release: () => held!.release(),
        close: async () => client.close(),
      };
    },
    stop: stopBroker,
  };
}

type LockRedis = Redis & { releaseIfOwner(key: string, token: string): Promise<number> };

export async function redisLockBackend(): Promise<LockBackend> {
  const server = await startRedisServer('everysec');
  return {
    label: `Redis ${server.version}`,
    durability: REDIS_DURABILITY.everysec,
    session: async (index) => {
      const redis = new Redis({ host: '127.0.0.1', port: server.process.port, lazyConnect: true }) as LockRedis;
      await redis.connect();
      redis.defineCommand('releaseIfOwner', { numberOfKeys: 1, lua: RELEASE_IF_OWNER_LUA });
      const token = `${process.pid}-${index}`;
      let key = '';
      return {
        acquire: async (name) => {
          while ((await redis.set(name, token, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK');
          key = name;
        },
        release: async () => {
          await redis.releaseIfOwner(key, token);
        },
        close: async () => {
          redis.disconnect();
        },
      };
    },
    stop: () => server.process.stop(),
  };
}

export async function etcdLockBackend(): Promise<LockBackend> {
  const server = await startEtcdServer();
  const post = async (route: string, body: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${server.url}${route}`, { method: 'POST', body: JSON.stringify(body) });
    const answer = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`etcd ${route}: ${JSON.stringify(answer)}`);
    return answer;
  };
  return {
    label: `etcd ${server.version}`,
    durability: ETCD_DURABILITY,
    session: async () => {
      const lease = (await post('/v3/lease/grant', { TTL: ETCD_LEASE_TTL_S })).ID;
      let key: unknown;
      return {
        acquire: async (name) => {
          key = (await post('/v3/lock/lock', { name: Buffer.from(name).toString('base64'), lease })).key;
        },
        release: async () => {
          await post('/v3/lock/unlock', { key });
        },
        close: async () => {
          await post('/v3/lease/revoke', { ID: lease });
        },
      };
    },
    stop: () => server.process.stop(),
  };
}
