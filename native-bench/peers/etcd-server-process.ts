// etcd as a peer for the lock benchmark: one member on free loopback ports, its data in a fresh
// temporary directory, spoken to through its HTTP/JSON gateway (no etcd npm client is installed).
// etcd fsyncs its WAL before it answers a write (its only mode).
import { execFileSync } from 'node:child_process';

import { freePort } from './free-port.js';
import { findServerBinary } from './server-binary.js';
import { ServerProcess } from './server-process.js';

export const ETCD_SERVER_BINARY = 'etcd';
export const ETCD_DURABILITY = 'etcd: the WAL is fsynced before a write is answered (Raft, one member)';

export interface EtcdServer {
  readonly process: ServerProcess;
  readonly version: string;
  /** 'http://127.0.0.1:port' for the gateway. */
  readonly url: string;
}

export async function startEtcdServer(): Promise<EtcdServer> {
  const binary = findServerBinary(ETCD_SERVER_BINARY);
  if (binary === undefined) throw new Error(`${ETCD_SERVER_BINARY} not found (apt-get install etcd-server)`);
  const peerPort = await freePort();
  const process = await ServerProcess.start({
    name: 'etcd',
    binary,
    port: await freePort(),
    args: (port, directory) => [
      '--data-dir',
      `${directory}/data`,
      '--listen-client-urls',
      `http://127.0.0.1:${port}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${port}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-cluster',
      `default=http://127.0.0.1:${peerPort}`,
    ],
  });
  const text = execFileSync(binary, ['--version'], { encoding: 'utf8' });
  const version = /etcd Version: (\S+)/.exec(text)?.[1] ?? text.split('\n')[0]!;
  return { process, version, url: `http://127.0.0.1:${process.port}` };
}
