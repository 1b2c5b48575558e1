// Every broker of the cluster, as the name servers know them (GET_BROKER_CLUSTER_INFO).
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { askNameServers } from './ask-name-servers.js';
import type { ConsoleSources } from './console-sources.js';

export interface ClusterBrokerRow {
  readonly cluster: string;
  readonly brokerName: string;
  readonly brokerId: string;
  readonly address: string;
}

interface ClusterInfo {
  brokerAddrTable?: Record<string, { cluster: string; brokerName: string; brokerAddrs: Record<string, string> }>;
}

export async function clusterBrokers(
  sources: ConsoleSources,
): Promise<{ brokers: ClusterBrokerRow[]; errors: string[] }> {
  const answer = await askNameServers(sources, REQUEST_CODE.GET_BROKER_CLUSTER_INFO, {});
  if ('errors' in answer) return { brokers: [], errors: answer.errors };
  const info = JSON.parse(answer.body.toString('utf8')) as ClusterInfo;
  const brokers = Object.values(info.brokerAddrTable ?? {}).flatMap((data) =>
    Object.entries(data.brokerAddrs).map(([brokerId, address]) => ({
      cluster: data.cluster,
      brokerName: data.brokerName,
      brokerId,
      address,
    })),
  );
  return { brokers, errors: [] };
}
