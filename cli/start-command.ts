// `tributary start`: a name server and a broker in one process, the quickest way to a working
// setup (`npm start`). The broker registers with the name server beside it.
import { startBroker, startNameServer } from '../broker/index.js';
import { cliCommand } from './cli-command.js';
import { LISTEN_HOST_DEFAULT, NAME_SERVER_PORT_DEFAULT } from './cli-constants.js';
import { cliFailure } from './cli-failure.js';
import { BROKER_FLAGS, brokerOptionsFrom } from './broker-flags.js';
import { serveUntilSignal } from './serve-until-signal.js';

/** Addresses that mean "every interface": the broker reaches its name server over loopback. */
const ANY_ADDRESSES: ReadonlySet<string> = new Set(['0.0.0.0', '::', '']);

export const startCommand = cliCommand(
  'start',
  {
    name: 'start',
    summary: 'Runs a name server and a broker in one process, until Ctrl-C (SIGINT) or SIGTERM.',
    flags: {
      ...BROKER_FLAGS,
      'namesrv-port': {
        type: 'integer',
        min: 0,
        description: 'name server port; 0 picks a free one',
        defaultText: String(NAME_SERVER_PORT_DEFAULT),
      },
    },
    examples: ['tributary start', 'tributary start --data /var/lib/tributary --flush sync'],
  },
  (line) =>
    serveUntilSignal(async () => {
      const host = line.string('host', LISTEN_HOST_DEFAULT);
      const namesrvPort = line.integer('namesrv-port', NAME_SERVER_PORT_DEFAULT);
      const nameServer = await startNameServer({ host, port: namesrvPort }).catch((error: unknown) => {
        throw cliFailure(error);
      });
      const local = ANY_ADDRESSES.has(host) ? '127.0.0.1' : host;
      const options = brokerOptionsFrom(line, [`${local}:${nameServer.port}`]);
      const broker = await startBroker(options).catch(async (error: unknown) => {
        await nameServer.close();
        throw cliFailure(error);
      });
      console.log(
        `tributary: listening on ${host}: name server port ${nameServer.port}, broker port ${broker.port} ` +
          `(${broker.options.brokerName}, clients connect to ${broker.address}); data in ${options.dataDirectory}`,
      );
      return async () => {
        // The broker first, so its unregistration still reaches the name server.
        await broker.close();
        await nameServer.close();
      };
    }),
);
