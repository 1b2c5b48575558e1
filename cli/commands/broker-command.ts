// `tributary broker`: a broker alone, registering with one or more name servers.
import { BROKER_ROLES, HA_PORT_DEFAULT, startBroker, type BrokerOptions, type BrokerRole } from '../../broker/index.js';
import { parseNameServers } from '../../client/index.js';
import { brokerStatusCommand } from './broker-status-command.js';
import { cliCommand, type CliCommand } from './cli-command.js';
import { BROKER_NAME_DEFAULT, CLUSTER_NAME_DEFAULT } from '../cli-constants.js';
import { cliFailure } from '../cli-failure.js';
import { BROKER_FLAGS, brokerOptionsFrom } from '../flags/broker-flags.js';
import type { CommandLine, FlagSpec } from '../command-line.js';
import { withConfigFile } from '../flags/config-file.js';
import { clientSecurityFromEnvironment } from '../flags/client-security.js';
import { NAMESRV_FLAG, nameServerAddress } from '../flags/name-server-address.js';
import { serveUntilSignal } from '../serve-until-signal.js';

const BROKER_COMMAND_FLAGS: Readonly<Record<string, FlagSpec>> = {
  ...BROKER_FLAGS,
  namesrv: NAMESRV_FLAG,
  name: { type: 'string', placeholder: 'name', description: 'broker name', defaultText: BROKER_NAME_DEFAULT },
  cluster: { type: 'string', placeholder: 'name', description: 'cluster name', defaultText: CLUSTER_NAME_DEFAULT },
  role: {
    type: 'string',
    choices: BROKER_ROLES,
    description: 'async-master, sync-master (acks once a replica holds a send) or slave (follows its master)',
    defaultText: 'async-master',
  },
  'broker-id': {
    type: 'integer',
    min: 0,
    description: '0 for a master, >= 1 for a slave',
    defaultText: '0 (1 with --role slave)',
  },
  'ha-port': {
    type: 'integer',
    min: 0,
    description: "a master's replication port",
    defaultText: String(HA_PORT_DEFAULT),
  },
  'ha-advertised-address': {
    type: 'string',
    placeholder: 'host:port',
    description:
      "where a master's replicas reach its HA port, when not --advertised-host with --ha-port (NAT, container port mapping, proxy)",
    defaultText: 'advertised host:HA port',
  },
  'sync-replicas': {
    type: 'integer',
    min: 1,
    description: 'in-sync replicas a sync master waits for',
    defaultText: '1',
  },
  etcd: {
    type: 'string',
    placeholder: 'host:port,...',
    description:
      'etcd endpoints: the brokers of this name elect their master through etcd (each with its own --broker-id >= 1; --role says what the master is)',
    defaultText: 'off (static roles)',
  },
};

/**
 * Replication flags (README "Topologies"). A master serves its HA port (default 10912) once
 * --role or --ha-port is given, so a plain single broker opens no port it does not use. A slave
 * signs toward a master with ACL on with TRIBUTARY_ACCESS_KEY / TRIBUTARY_SECRET_KEY (an admin
 * account of the master's list), from the environment so the secret never shows in `ps`.
 */
function replicationOptions(line: CommandLine): Partial<BrokerOptions> {
  const role = (line.has('role') ? line.string('role') : 'async-master') as BrokerRole;
  const etcd = line.has('etcd')
    ? line
        .string('etcd', '')
        .split(/[,;]/)
        .filter((endpoint) => endpoint !== '')
    : [];
  // With etcd any broker may become the master, so each serves an HA port once it is.
  const serving = role !== 'slave' && (line.has('role') || line.has('ha-port') || etcd.length > 0);
  return {
    role,
    ...(etcd.length > 0 ? { etcd } : {}),
    ...(line.has('broker-id') ? { brokerId: line.integer('broker-id') } : {}),
    ...(serving ? { haPort: line.integer('ha-port', HA_PORT_DEFAULT) } : {}),
    ...(line.has('ha-advertised-address') ? { haAdvertisedAddress: line.string('ha-advertised-address') } : {}),
    ...(line.has('sync-replicas') ? { syncReplicas: line.integer('sync-replicas') } : {}),
    ...(role === 'slave' ? replicaCredentials() : {}),
  };
}

function replicaCredentials(): Pick<BrokerOptions, 'replicaCredentials'> {
  const { credentials } = clientSecurityFromEnvironment();
  return credentials === undefined ? {} : { replicaCredentials: credentials };
}

const runBroker = cliCommand(
  'broker',
  {
    name: 'broker',
    summary: 'Runs a broker registered with the given name servers, until Ctrl-C (SIGINT) or SIGTERM.',
    flags: BROKER_COMMAND_FLAGS,
    examples: [
      "tributary broker --namesrv '10.0.0.1:9876;10.0.0.2:9876' --name broker-b --data /data/broker-b",
      'tributary broker status --json          # inspects brokers instead: see tributary broker status --help',
      'tributary broker --namesrv 10.0.0.1:9876 --name broker-a --role sync-master --data /data/broker-a',
      'tributary broker --namesrv 10.0.0.1:9876 --name broker-a --broker-id 1 --role slave --port 10921 --data /data/broker-a-s',
      'tributary broker --namesrv 10.0.0.1:9876 --name broker-a --broker-id 1 --role sync-master --etcd 10.0.0.5:2379 --data /data/broker-a',
    ],
  },
  (line) =>
    serveUntilSignal(async () => {
      const nameServers = parseNameServers(nameServerAddress(line));
      const options = {
        ...brokerOptionsFrom(line, nameServers),
        ...(line.has('name') ? { brokerName: line.string('name') } : {}),
        ...(line.has('cluster') ? { clusterName: line.string('cluster') } : {}),
        ...replicationOptions(line),
      };
      const broker = await startBroker(options).catch((error: unknown) => {
        throw cliFailure(error);
      });
      console.log(
        `tributary: broker ${broker.options.brokerName} (cluster ${broker.options.clusterName}) listening on ` +
          `${broker.options.host}:${broker.port}, clients connect to ${broker.address}; registering with ` +
          `${nameServers.join(';')}; HTTP port ${broker.httpPort ?? 'off'}; data in ${options.dataDirectory}`,
      );
      return () => broker.close();
    }),
);

/** `tributary broker status ...` inspects brokers; any other arguments run one. */
export const brokerCommand: CliCommand = {
  word: runBroker.word,
  summary: runBroker.summary,
  run: (argv) =>
    argv[0] === 'status'
      ? brokerStatusCommand.run(argv.slice(1))
      : runBroker.run(withConfigFile(BROKER_COMMAND_FLAGS, argv)),
};
