// tributary/broker: run a broker in-process (the name server is `tributary/namesrv`).
export { startBroker, type Broker } from './broker.js';
export { BROKER_ROLES, type BrokerOptions, type BrokerRole } from './broker-options.js';
// Where a broker's store keeps held messages, for tools that open a stopped broker's store.
export { DELAY_LEVELS_MS_DEFAULT, SYSTEM_TOPIC } from './broker-constants.js';
// Defaults the CLI shows in its help.
export {
  BROKER_NAME_DEFAULT,
  BROKER_PORT_DEFAULT,
  CLUSTER_NAME_DEFAULT,
  DATA_DIRECTORY_DEFAULT,
  TOPIC_QUEUE_COUNT_DEFAULT,
} from './broker-constants.js';
export type { BrokerTlsOptions } from '../server/broker-tls-options.js';
export type { AclOption } from './access/access-control.js';
export type { ConnectionLimits, ConnectionStats } from '../server/connection-limits.js';
export { HA_PORT_DEFAULT, HTTP_PORT_DEFAULT } from './broker-constants.js';
export type { BrokerMetrics } from './metrics/broker-metrics.js';
export type { HttpPortOption } from '../server/http/http-port.js';
export type { Logger } from '../server/http/process-logger.js';
