// nats-server with JetStream as a peer: file storage in the trial's temporary directory. A
// JetStream publish is acknowledged once the server has stored the message in its file store
// (in the server's write buffer, written to the block file by a flush loop within milliseconds);
// the file store fsyncs on a timer (`sync_interval`, 2 min by default in 2.10+). nats-server
// 2.10 added `sync_interval: always` (an fsync for every write); older servers reject the
// field ("unknown field"), so on them JetStream has no per-publish fsync mode at all and the
// sync-durability trial skips it rather than compare unlike durability.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { freePort } from './free-port.js';
import { findServerBinary } from './server-binary.js';
import { ServerProcess } from './server-process.js';

export const NATS_SERVER_BINARY = 'nats-server';
/** The first release whose config accepts `jetstream { sync_interval: always }`. */
const SYNC_INTERVAL_MIN_VERSION: readonly number[] = [2, 10, 0];

export const NATS_DURABILITY = {
  timer:
    'JetStream file store, default sync: a publish is acknowledged once stored in the server (written to the ' +
    'block file by a flush loop within ms); fsync on a timer (no per-publish fsync; survives a server crash ' +
    'once written, not power loss)',
  always: 'JetStream file store, sync_interval: always: every write is fsynced before the publish is acknowledged',
} as const;

export type NatsSync = keyof typeof NATS_DURABILITY;

export interface NatsServer {
  readonly process: ServerProcess;
  readonly version: string;
  readonly durability: string;
}

export function natsServerVersion(binary: string): string {
  const text = execFileSync(binary, ['--version'], { encoding: 'utf8' });
  return /v(\d+\.\d+\.\d+)/.exec(text)?.[1] ?? text.trim();
}

/** Whether this nats-server version accepts `sync_interval: always`. */
export function natsSupportsSyncAlways(version: string): boolean {
  const parts = version.split('.').map((part) => Number.parseInt(part, 10));
  for (let i = 0; i < SYNC_INTERVAL_MIN_VERSION.length; i++) {
    const have = parts[i] ?? 0;
    const need = SYNC_INTERVAL_MIN_VERSION[i]!;
    if (have !== need) return have > need;
  }
  return true;
}

export async function startNatsServer(sync: NatsSync): Promise<NatsServer> {
  const binary = findServerBinary(NATS_SERVER_BINARY);
  if (binary === undefined) throw new Error(`${NATS_SERVER_BINARY} not found`);
  const version = natsServerVersion(binary);
  if (sync === 'always' && !natsSupportsSyncAlways(version)) {
    throw new Error(
      `nats-server ${version} has no sync_interval: always (needs ${SYNC_INTERVAL_MIN_VERSION.join('.')})`,
    );
  }
  const process = await ServerProcess.start({
    name: 'nats',
    binary,
    port: await freePort(),
    args: (port, directory) => {
      const config = path.join(directory, 'nats.conf');
      const store = JSON.stringify(path.join(directory, 'jetstream'));
      const syncLine = sync === 'always' ? '  sync_interval: always\n' : '';
      fs.writeFileSync(config, `jetstream {\n  store_dir: ${store}\n${syncLine}}\n`);
      return ['-c', config, '-a', '127.0.0.1', '-p', String(port)];
    },
  });
  return { process, version, durability: NATS_DURABILITY[sync] };
}
