// `tributary broker status`: a broker's runtime info, store figures and limits
// (mqadmin brokerStatus). `tributary broker` with any other arguments runs a broker.
import { cliCommand } from './cli-command.js';
import { formatTable } from '../format-table.js';
import { NAMESRV_FLAG, nameServerAddress } from '../flags/name-server-address.js';
import { withAdmin } from '../with-admin.js';

export const brokerStatusCommand = cliCommand(
  'status',
  {
    name: 'broker status',
    summary: "Shows a broker's runtime info, store figures and limits (every broker without --broker).",
    flags: {
      broker: { type: 'string', placeholder: 'host:port', description: 'only this broker', defaultText: 'all' },
      json: { type: 'boolean', description: 'print JSON' },
      namesrv: NAMESRV_FLAG,
    },
    examples: ['tributary broker status', 'tributary broker status --broker 10.0.0.5:10911 --json'],
  },
  async (line) => {
    const nameServer = nameServerAddress(line);
    const address = line.string('broker');
    const brokers = await withAdmin(nameServer, { nameServer }, (admin) => admin.brokerStatus(address));
    if (line.boolean('json')) {
      console.log(JSON.stringify({ brokers }));
      return;
    }
    for (const broker of brokers) {
      console.log(`Broker ${broker.address}`);
      console.log(formatTable(['NAME', 'VALUE'], Object.entries(broker.table)));
    }
  },
);
