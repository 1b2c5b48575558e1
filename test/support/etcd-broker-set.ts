// An etcd-managed broker set for integration tests (README "Topologies", controller mode):
// etcd, a name server and brokers of one broker name, each a real process on loopback, each
// started with `etcd` so they elect their master and change roles at run time.
import type { RemotingClient } from '../../client/remoting/remoting-client.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { startBrokerProcess, type BrokerProcess, type BrokerProcessOptions } from './broker-processes.js';
import { pollUntil } from './broker-requests.js';

export const MANAGED_BROKER_NAME = 'broker-e';
/** How long a test waits for an election, a route or an in-sync replica. */
export const ELECTION_WAIT_MS = 30_000;

/** Starts broker `brokerId` (>= 1) of the managed set as a sync master candidate. */
export function startManagedBroker(
  brokerId: number,
  dataDirectory: string,
  etcd: readonly string[],
  nameServers: readonly string[],
  options: Partial<BrokerProcessOptions> = {},
): Promise<BrokerProcess> {
  return startBrokerProcess({
    label: `broker-${brokerId}`,
    brokerName: MANAGED_BROKER_NAME,
    brokerId,
    role: 'sync-master',
    etcd,
    nameServer: 'none',
    nameServers,
    registerIntervalMs: 300,
    syncReplicaTimeoutMs: 3000,
    ...options,
    dataDirectory,
  });
}

/** The set's master as the name server routes it (broker id 0), or undefined. */
export async function routedMaster(client: RemotingClient, nameServer: string): Promise<string | undefined> {
  const response = await client.invoke(nameServer, { code: REQUEST_CODE.GET_BROKER_CLUSTER_INFO }, 3000);
  if (response.code !== RESPONSE_CODE.SUCCESS || response.body === undefined) return undefined;
  const info = JSON.parse(Buffer.concat([response.body as Buffer]).toString('utf8')) as {
    brokerAddrTable?: Record<string, { brokerAddrs?: Record<string, string> }>;
  };
  return info.brokerAddrTable?.[MANAGED_BROKER_NAME]?.brokerAddrs?.['0'];
}

/** Waits until the name server routes a master other than `not`; returns its address. */
export function waitForMaster(client: RemotingClient, nameServer: string, not?: string): Promise<string> {
  return pollUntil(`a master other than ${not ?? 'none'}`, ELECTION_WAIT_MS, async () => {
    const master = await routedMaster(client, nameServer);
    return master !== undefined && master !== not ? master : undefined;
  });
}

/** A broker's replication status (TRIBUTARY_REPLICATION_STATUS). */
export async function replicationStatus(
  client: RemotingClient,
  address: string,
): Promise<{
  role: string;
  epoch?: number;
  logEnd: number;
  replicas: { replicaId: number; inSync: boolean }[];
  follower?: { masterAddress?: string; haAddress?: string; connected: boolean };
  truncations: number;
  bytes: number;
}> {
  const response = await client.invoke(address, { code: REQUEST_CODE.TRIBUTARY_REPLICATION_STATUS }, 3000);
  if (response.code !== RESPONSE_CODE.SUCCESS || response.body === undefined)
    throw new Error(`status of ${address}: ${response.code} ${response.remark ?? ''}`);
  return JSON.parse(Buffer.concat([response.body as Buffer]).toString('utf8'));
}

/** Waits until master `address` counts `count` replicas in sync. */
export function waitForInSync(client: RemotingClient, address: string, count: number): Promise<true> {
  return pollUntil(`${count} in-sync replica(s) of ${address}`, ELECTION_WAIT_MS, async () => {
    const status = await replicationStatus(client, address);
    return status.role !== 'slave' && status.replicas.filter((replica) => replica.inSync).length >= count
      ? true
      : undefined;
  });
}
