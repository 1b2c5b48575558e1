// How a replica finds its master's HA address: the master's client address from a name server
// (GET_BROKER_CLUSTER_INFO, broker id 0 of its broker name), then the HA address from the
// master itself (TRIBUTARY_REPLICATION_ADDRESS).
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { MASTER_BROKER_ID, REPLICA_LOOKUP_TIMEOUT_MS } from '../broker-constants.js';

/** Where a replica finds its master: the client address and the HA address. */
export interface MasterLocation {
  readonly masterAddress: string;
  readonly haAddress: string;
}

export async function findMaster(
  client: RemotingClient,
  nameServers: readonly string[],
  brokerName: string,
): Promise<MasterLocation | undefined> {
  for (const nameServer of nameServers) {
    const response = await client
      .invoke(nameServer, { code: REQUEST_CODE.GET_BROKER_CLUSTER_INFO }, REPLICA_LOOKUP_TIMEOUT_MS)
      .catch(() => undefined);
    if (response?.code !== RESPONSE_CODE.SUCCESS || response.body === undefined) continue;
    const info = JSON.parse(Buffer.concat([response.body].flat()).toString('utf8')) as {
      brokerAddrTable?: Record<string, { brokerAddrs?: Record<string, string> }>;
    };
    const masterAddress = info.brokerAddrTable?.[brokerName]?.brokerAddrs?.[String(MASTER_BROKER_ID)];
    if (masterAddress === undefined) continue;
    const answer = await client
      .invoke(masterAddress, { code: REQUEST_CODE.TRIBUTARY_REPLICATION_ADDRESS }, REPLICA_LOOKUP_TIMEOUT_MS)
      .catch(() => undefined);
    const haAddress = answer?.extFields?.haAddress;
    if (answer?.code === RESPONSE_CODE.SUCCESS && typeof haAddress === 'string' && haAddress !== '')
      return { masterAddress, haAddress };
  }
  return undefined;
}

/** The client a replica looks its master up with, signing with `credentials` when given (ACL). */
export function replicaLookupClient(credentials: { accessKey: string; secretKey: string } | undefined): RemotingClient {
  return new RemotingClient({
    serializeType: SERIALIZE_TYPE.json,
    ...(credentials === undefined ? {} : { credentials }),
  });
}

export function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}
