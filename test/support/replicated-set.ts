// A replicated broker set for integration tests (README "Topologies"): a master with an embedded
// name server and an HA port, and replicas of the same broker name that find it through that
// name server, each a real process on loopback (broker-processes.ts).
import fs from 'node:fs';
import path from 'node:path';

import type { RemotingClient } from '../../client/remoting/remoting-client.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { startBrokerProcess, type BrokerProcess, type BrokerProcessOptions } from './broker-processes.js';
import { pollUntil, topicRoute } from './broker-requests.js';
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

/** Waits until the replica's commit log equals the master's, byte for byte; returns its length. */
export function waitSameLog(masterDirectory: string, replicaDirectory: string, timeoutMs: number): Promise<number> {
  return pollUntil('the replica log equals the master log', timeoutMs, () => {
    const mine = commitLogBytes(masterDirectory);
    return mine.length > 0 && mine.equals(commitLogBytes(replicaDirectory)) ? mine.length : undefined;
  });
}

/** How long a test waits for a replica to join the in-sync set, or a route to name a master. */
const READY_WAIT_MS = 20_000;

/** Waits until the master counts at least one replica in sync (its acks are recent and close). */
export function waitInSync(client: RemotingClient, masterAddress: string): Promise<true> {
  return pollUntil(`an in-sync replica of ${masterAddress}`, READY_WAIT_MS, async () => {
    const response = await client.invoke(masterAddress, { code: REQUEST_CODE.TRIBUTARY_REPLICATION_STATUS }, 5000);
    if (response.code !== RESPONSE_CODE.SUCCESS || response.body === undefined) return undefined;
    const status = JSON.parse(Buffer.concat([response.body as Buffer]).toString('utf8')) as {
      replicas?: { inSync?: boolean }[];
    };
    return status.replicas?.some((replica) => replica.inSync === true) === true ? true : undefined;
  });
}

/** Waits until the name server routes `topic` to `masterAddress` as its set's master (id 0). */
export function waitForMasterRoute(
  client: RemotingClient,
  nameServerAddress: string,
  topic: string,
  masterAddress: string,
): Promise<true> {
  return pollUntil(`a route of ${topic} to master ${masterAddress}`, READY_WAIT_MS, async () => {
    const route = (await topicRoute(client, nameServerAddress, topic)) as
      { brokerDatas?: { brokerAddrs?: Record<string, string> }[] } | undefined;
    return route?.brokerDatas?.some((broker) => broker.brokerAddrs?.['0'] === masterAddress) === true
      ? true
      : undefined;
  });
}
