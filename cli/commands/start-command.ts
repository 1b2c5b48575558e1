// `tributary start`: a name server and a broker in one process, the quickest way to a working
// setup (`npm start`). The broker registers with the name server beside it.
import { startBroker } from '../../broker/index.js';
import { startNameServer, NAME_SERVER_HTTP_PORT_DEFAULT } from '../../namesrv/index.js';
import { cliCommand, type CliCommand } from './cli-command.js';
import { LISTEN_HOST_DEFAULT, NAME_SERVER_PORT_DEFAULT } from '../cli-constants.js';
import { cliFailure } from '../cli-failure.js';
import { BROKER_FLAGS, brokerOptionsFrom } from '../flags/broker-flags.js';
import { BROKER_EXPIRY_FLAG } from '../flags/broker-expiry-flag.js';
import type { FlagSpec } from '../command-line.js';
import { withConfigFile } from '../flags/config-file.js';
import { serveUntilSignal } from '../serve-until-signal.js';
import { httpPortFlag, httpPortFrom } from '../flags/server-process-flags.js';

/** Addresses that mean "every interface": the broker reaches its name server over loopback. */
const ANY_ADDRESSES: ReadonlySet<string> = new Set(['0.0.0.0', '::', '']);

const START_FLAGS: Readonly<Record<string, FlagSpec>> = {
  ...BROKER_FLAGS,
  'namesrv-port': {
    type: 'integer',
    min: 0,
    description: 'name server port; 0 picks a free one',
    defaultText: String(NAME_SERVER_PORT_DEFAULT),
  },
  'broker-expiry-ms': BROKER_EXPIRY_FLAG,
  'namesrv-http-port': httpPortFlag(NAME_SERVER_HTTP_PORT_DEFAULT, "the name server's HTTP port"),
};

const runStart = cliCommand(
  'start',
  {
    name: 'start',
    summary: 'Runs a name server and a broker in one process, until Ctrl-C (SIGINT) or SIGTERM.',
    flags: START_FLAGS,
    examples: ['tributary start', 'tributary start --data /var/lib/tributary --flush sync'],
  },
  (line) =>
    serveUntilSignal(async () => {
      const host = line.string('host', LISTEN_HOST_DEFAULT);
      const namesrvPort = line.integer('namesrv-port', NAME_SERVER_PORT_DEFAULT);
      // Read before anything listens: a bad flag value must not leave a name server running.
      const brokerOptions = brokerOptionsFrom(line, []);
      // The name server beside the broker takes the same connection limits and TLS.
      const { connectionLimits, tls } = brokerOptions;
      const brokerExpiryMs = line.integer('broker-expiry-ms');
      const httpPort = httpPortFrom(line, 'namesrv-http-port', NAME_SERVER_HTTP_PORT_DEFAULT);
      // One process, two loggers and two metric registries: each line says which server wrote it.
      const logger = brokerOptions.logger!.child({ server: 'namesrv' });
      const nameServer = await startNameServer({
        host,
        port: namesrvPort,
        connectionLimits,
        tls,
        ...(brokerExpiryMs === undefined ? {} : { brokerExpiryMs }),
        httpPort,
        logger,
      }).catch((error: unknown) => {
        throw cliFailure(error);
      });
      const local = ANY_ADDRESSES.has(host) ? '127.0.0.1' : host;
      const options = {
        ...brokerOptions,
        nameServers: [`${local}:${nameServer.port}`],
        // The broker reaches the name server of its own process (over loopback by default),
        // where the certificate's names rarely match the address: it skips the server check on
        // this one hop, and shows its own certificate in case the name server asks for one.
        ...(tls === undefined ? {} : { nameServerTls: { cert: tls.cert, key: tls.key, rejectUnauthorized: false } }),
      };
      const broker = await startBroker(options).catch(async (error: unknown) => {
        await nameServer.close();
        throw cliFailure(error);
      });
      console.log(
        `tributary: listening on ${host}: name server port ${nameServer.port}, broker port ${broker.port} ` +
          `(${broker.options.brokerName}, clients connect to ${broker.address}); HTTP: broker ${broker.httpPort ?? 'off'}, ` +
          `name server ${nameServer.httpPort ?? 'off'}; data in ${options.dataDirectory}`,
      );
      return async () => {
        // The broker first, so its unregistration still reaches the name server.
        await broker.close();
        await nameServer.close();
      };
    }),
);

/** Flags from `--config file.json` first, the command line's over them. */
export const startCommand: CliCommand = {
  word: runStart.word,
  summary: runStart.summary,
  run: (argv) => runStart.run(withConfigFile(START_FLAGS, argv)),
};
