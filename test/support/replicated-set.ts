// A replicated broker set for integration tests (README "Topologies"): a master with an embedded
// name server and an HA port, and replicas of the same broker name that find it through that
// name server, each a real process on loopback (broker-processes.ts).
import fs from 'node:fs';
import path from 'node:path';

import { startBrokerProcess, type BrokerProcess, type BrokerProcessOptions } from './broker-processes.js';
import { freePort } from './free-port.js';

export const REPLICATED_BROKER_NAME = 'broker-r';

export async function startMaster(
  dataDirectory: string,
  options: Partial<BrokerProcessOptions> = {},
): Promise<BrokerProcess & { readonly haPort: number }> {
  const haPort = await freePort();
  const master = await startBrokerProcess({
    label: 'master',
    brokerName: REPLICATED_BROKER_NAME,
    role: 'sync-master',
    haPort,
    syncReplicaTimeoutMs: 3000,
    registerIntervalMs: 300,
    ...options,
    dataDirectory,
  });
  return Object.assign(master, { haPort });
}

export function startReplica(
  dataDirectory: string,
  nameServers: readonly string[],
  options: Partial<BrokerProcessOptions> = {},
): Promise<BrokerProcess> {
  return startBrokerProcess({
    label: 'replica',
    brokerName: REPLICATED_BROKER_NAME,
    role: 'slave',
    brokerId: 1,
    nameServer: 'none',
    nameServers,
    registerIntervalMs: 300,
    ...options,
    dataDirectory,
  });
}

/** The broker's whole commit log, segments in order, without the zeros past its end. */
export function commitLogBytes(dataDirectory: string): Buffer {
  const directory = path.join(dataDirectory, 'store', 'commitlog');
  const names = fs.existsSync(directory)
    ? fs
        .readdirSync(directory)
        .filter((name) => /^\d{20}$/.test(name))
        .sort()
    : [];
  const log = Buffer.concat(names.map((name) => fs.readFileSync(path.join(directory, name))));
  let end = log.length;
  while (end > 0 && log[end - 1] === 0) end--;
  return log.subarray(0, end);
}
