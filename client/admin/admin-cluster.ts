// Admin views of the cluster: every broker the name servers know (GET_BROKER_CLUSTER_INFO)
// with what it reports of itself (GET_BROKER_RUNTIME_INFO), as `mqadmin clusterList` and
// `mqadmin brokerStatus` show them.
import type { ClientInstance } from '../client-instance.js';
import { expectSuccess } from '../expect-success.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { MASTER_BROKER_ID } from '../client-constants.js';

/**
 * A broker as the name servers list it (Admin.clusterList): cluster, name, id, role, address, and,
 * when it answered, its version, boot time and put rate; `error` when it did not.
 */
export interface ClusterBroker {
  readonly cluster: string;
  readonly brokerName: string;
  readonly brokerId: number;
  readonly role: 'MASTER' | 'SLAVE';
  readonly address: string;
  /** Undefined when the broker did not answer (then `error` says why). */
  readonly version?: string;
  readonly bootTimestamp?: number;
  /** Commit log bytes appended per second, averaged since the broker started. */
  readonly putBytesPerSecond?: number;
  readonly error?: string;
}

/**
 * A broker's runtime info, store figures and limits (GET_BROKER_RUNTIME_INFO), as
 * Admin.brokerStatus returns them.
 */
export interface BrokerStatus {
  readonly address: string;
  /** RocketMQ's KVTable: every value a string, units in the names. */
  readonly table: Readonly<Record<string, string>>;
}

interface ClusterInfo {
  brokerAddrTable?: Record<string, { cluster: string; brokerName: string; brokerAddrs: Record<string, string> }>;
}

export async function listCluster(client: ClientInstance): Promise<ClusterBroker[]> {
  const body = await client.askNameServers(REQUEST_CODE.GET_BROKER_CLUSTER_INFO, {});
  const info = JSON.parse(body.toString('utf8')) as ClusterInfo;
  const brokers: ClusterBroker[] = [];
  for (const data of Object.values(info.brokerAddrTable ?? {})) {
    for (const [id, address] of Object.entries(data.brokerAddrs)) {
      const base = {
        cluster: data.cluster,
        brokerName: data.brokerName,
        brokerId: Number(id),
        role: id === MASTER_BROKER_ID ? ('MASTER' as const) : ('SLAVE' as const),
        address,
      };
      try {
        const { table } = await brokerStatus(client, address);
        brokers.push({
          ...base,
          version: table.brokerVersionDesc,
          bootTimestamp: Number(table.bootTimestamp),
          putBytesPerSecond: Number(table.putBytesPerSecondSinceBoot ?? 0),
        });
      } catch (error) {
        brokers.push({ ...base, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
  return brokers.sort((a, b) => a.cluster.localeCompare(b.cluster) || a.brokerName.localeCompare(b.brokerName));
}

export async function brokerStatus(client: ClientInstance, address: string): Promise<BrokerStatus> {
  const response = await client.invoke(address, { code: REQUEST_CODE.GET_BROKER_RUNTIME_INFO, extFields: {} });
  const body = expectSuccess(response, `status of broker ${address}`);
  return { address, table: (JSON.parse(body.toString('utf8')) as { table: Record<string, string> }).table };
}
