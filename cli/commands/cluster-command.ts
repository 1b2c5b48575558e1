// `tributary cluster list`: every broker the name servers know, with its role, address,
// version and put rate (mqadmin clusterList).
import { cliCommand } from './cli-command.js';
import { formatTable } from '../format-table.js';
import { NAMESRV_FLAG, nameServerAddress } from '../flags/name-server-address.js';
import { subcommandGroup } from '../subcommand-group.js';
import { withAdmin } from '../with-admin.js';

const list = cliCommand(
  'list',
  {
    name: 'cluster list',
    summary: 'Lists every broker: cluster, name, id, role, address, version, bytes in per second, uptime.',
    flags: { json: { type: 'boolean', description: 'print JSON' }, namesrv: NAMESRV_FLAG },
    examples: ['tributary cluster list', 'tributary cluster list --json'],
  },
  async (line) => {
    const nameServer = nameServerAddress(line);
    const brokers = await withAdmin(nameServer, { nameServer }, (admin) => admin.clusterList());
    if (line.boolean('json')) {
      console.log(JSON.stringify({ brokers }));
      return;
    }
    const rows = brokers.map((broker) => [
      broker.cluster,
      broker.brokerName,
      broker.brokerId,
      broker.role,
      broker.address,
      broker.version ?? `unreachable: ${broker.error ?? ''}`,
      broker.putBytesPerSecond ?? '-',
      broker.bootTimestamp === undefined ? '-' : new Date(broker.bootTimestamp).toISOString(),
    ]);
    console.log(formatTable(['CLUSTER', 'BROKER', 'ID', 'ROLE', 'ADDRESS', 'VERSION', 'IN BYTES/S', 'STARTED'], rows));
  },
);

export const clusterCommand = subcommandGroup('cluster', 'Lists the brokers of the cluster.', [list]);
