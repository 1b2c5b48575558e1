// `tributary namesrv`: a name server alone, for setups with brokers in other processes.
import { startNameServer, NAME_SERVER_HTTP_PORT_DEFAULT } from '../../namesrv/index.js';
import { cliCommand } from './cli-command.js';
import { LISTEN_HOST_DEFAULT, NAME_SERVER_PORT_DEFAULT } from '../cli-constants.js';
import { cliFailure } from '../cli-failure.js';
import { BROKER_EXPIRY_FLAG } from '../flags/broker-expiry-flag.js';
import { CONNECTION_LIMIT_FLAGS, connectionLimitsFrom } from '../flags/connection-limit-flags.js';
import { TLS_FLAGS, serverTlsFrom } from '../flags/security-flags.js';
import { serveUntilSignal } from '../serve-until-signal.js';
import { LOG_LEVEL_FLAG, httpPortFlag, httpPortFrom, serverLoggerFrom } from '../flags/server-process-flags.js';

export const namesrvCommand = cliCommand(
  'namesrv',
  {
    name: 'namesrv',
    summary: 'Runs a name server, until Ctrl-C (SIGINT) or SIGTERM.',
    flags: {
      port: {
        type: 'integer',
        min: 0,
        description: 'port; 0 picks a free one',
        defaultText: String(NAME_SERVER_PORT_DEFAULT),
      },
      host: { type: 'string', placeholder: 'address', description: 'listen address', defaultText: LISTEN_HOST_DEFAULT },
      'broker-expiry-ms': BROKER_EXPIRY_FLAG,
      'http-port': httpPortFlag(NAME_SERVER_HTTP_PORT_DEFAULT),
      'log-level': LOG_LEVEL_FLAG,
      ...CONNECTION_LIMIT_FLAGS,
      ...TLS_FLAGS,
    },
    examples: ['tributary namesrv --port 9876'],
  },
  (line) =>
    serveUntilSignal(async () => {
      const host = line.string('host', LISTEN_HOST_DEFAULT);
      const port = line.integer('port', NAME_SERVER_PORT_DEFAULT);
      const connectionLimits = connectionLimitsFrom(line);
      const tls = serverTlsFrom(line);
      const brokerExpiryMs = line.integer('broker-expiry-ms');
      const expiry = brokerExpiryMs === undefined ? {} : { brokerExpiryMs };
      const httpPort = httpPortFrom(line, 'http-port', NAME_SERVER_HTTP_PORT_DEFAULT);
      const logger = serverLoggerFrom(line, 'tributary-namesrv');
      const nameServer = await startNameServer({
        host,
        port,
        connectionLimits,
        tls,
        httpPort,
        logger,
        ...expiry,
      }).catch((error: unknown) => {
        throw cliFailure(error);
      });
      console.log(
        `tributary: name server listening on ${host}:${nameServer.port}` +
          (nameServer.httpPort === undefined ? '' : `, HTTP on ${nameServer.httpPort}`),
      );
      return () => nameServer.close();
    }),
);
