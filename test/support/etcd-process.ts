// A single-member etcd (Debian's etcd-server, /usr/bin/etcd) for controller-mode tests: started
// on free loopback ports with a temporary data directory, stopped and removed afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';

import { pollUntil } from './broker-requests.js';
import { freePort } from './free-port.js';
import { temporaryDirectory } from './temporary-directory.js';

export const ETCD_BINARY = '/usr/bin/etcd';
/** What a test that needs etcd prints when it is missing, and skips. */
export const ETCD_INSTALL_COMMAND = 'apt-get update && apt-get install -y etcd-server';
const ETCD_START_TIMEOUT_MS = 20_000;

export interface EtcdProcess {
  /** 'host:port' of its client URL, as `--etcd` takes it. */
  readonly endpoint: string;
  readonly clientPort: number;
  stop(): Promise<void>;
}

/** Whether etcd is installed; when not, says how to install it (the caller then skips). */
export function etcdAvailable(): boolean {
  if (fs.existsSync(ETCD_BINARY)) return true;
  console.log(`etcd is not installed; skipping (install it with: ${ETCD_INSTALL_COMMAND})`);
  return false;
}

export async function startEtcd(): Promise<EtcdProcess> {
  const directory = temporaryDirectory('etcd');
  const clientPort = await freePort();
  const peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn(
    ETCD_BINARY,
    [
      '--name=test',
      `--data-dir=${directory.path}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=test=${peer}`,
      '--log-level=error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const stop = (): Promise<void> => stopChild(child).finally(() => directory.remove());
  try {
    await pollUntil('etcd to answer /health', ETCD_START_TIMEOUT_MS, async () => {
      if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode}: ${stderr}`);
      return (await healthy(clientPort)) ? true : undefined;
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint: `127.0.0.1:${clientPort}`, clientPort, stop };
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/health', timeout: 1000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body.includes('"true"')));
    });
    request.on('error', () => resolve(false));
    request.on('timeout', () => request.destroy());
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
