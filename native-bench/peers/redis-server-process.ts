// redis-server as a peer: Redis 7 with the append-only file on, so a stream survives a restart,
// and RDB snapshots off (`--save ''`), so the only disk work is the AOF. `appendfsync` is the
// durability mode: `everysec` fsyncs the AOF once a second on a background thread (power loss
// can lose ~1 s, like Tributary's ASYNC_FLUSH loses ~0.5 s); `always` fsyncs before replying
// to a write (Redis batches the writes of one event-loop turn into one fsync: group commit,
// like SYNC_FLUSH).
import { execFileSync } from 'node:child_process';

import { freePort } from './free-port.js';
import { findServerBinary } from './server-binary.js';
import { ServerProcess } from './server-process.js';

export type AppendFsync = 'everysec' | 'always';

export const REDIS_DURABILITY: Readonly<Record<AppendFsync, string>> = {
  everysec:
    'Redis appendonly yes, appendfsync everysec: a write is acknowledged once in the AOF buffer; ' +
    'the AOF is written each event-loop turn and fsynced once a second (power loss can lose ~1 s)',
  always:
    'Redis appendonly yes, appendfsync always: the AOF is written and fsynced before the reply ' +
    "(one fsync per event-loop turn covers every write of that turn: group commit); --save ''",
};

export const REDIS_SERVER_BINARY = 'redis-server';

export interface RedisServer {
  readonly process: ServerProcess;
  readonly version: string;
  readonly durability: string;
}

export function redisServerVersion(binary: string): string {
  const text = execFileSync(binary, ['--version'], { encoding: 'utf8' });
  return /v=(\S+)/.exec(text)?.[1] ?? text.trim();
}

export async function startRedisServer(appendFsync: AppendFsync): Promise<RedisServer> {
  const binary = findServerBinary(REDIS_SERVER_BINARY);
  if (binary === undefined) throw new Error(`${REDIS_SERVER_BINARY} not found`);
  const process = await ServerProcess.start({
    name: 'redis',
    binary,
    port: await freePort(),
    args: (port, directory) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      directory,
      '--appendonly',
      'yes',
      '--appendfsync',
      appendFsync,
      '--save',
      '',
      '--daemonize',
      'no',
    ],
  });
  return { process, version: redisServerVersion(binary), durability: REDIS_DURABILITY[appendFsync] };
}
