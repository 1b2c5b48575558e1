// tributary/broker: run a broker and a name server in-process.
export { startBroker, type Broker } from './broker.js';
export type { BrokerOptions } from './broker-options.js';
export type { BrokerTlsOptions } from '../server/broker-tls-options.js';
export type { AclOption } from './access/access-control.js';
export type { ConnectionLimits, ConnectionStats } from '../server/connection-limits.js';
export { startNameServer, type NameServer, type NameServerOptions } from '../namesrv/name-server.js';
