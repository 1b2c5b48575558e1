// tributary/broker: run a broker in-process (the name server is `tributary/namesrv`).
export { startBroker, type Broker } from './broker.js';
export type { BrokerOptions } from './broker-options.js';
// Where a broker's store keeps held messages, for tools that open a stopped broker's store.
export { DELAY_LEVELS_MS_DEFAULT, SYSTEM_TOPIC } from './broker-constants.js';
export type { BrokerTlsOptions } from '../server/broker-tls-options.js';
export type { AclOption } from './access/access-control.js';
export type { ConnectionLimits, ConnectionStats } from '../server/connection-limits.js';
