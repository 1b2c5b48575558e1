// tributary/broker: run a broker and a name server in-process.
export { startBroker, type Broker } from './broker.js';
export type { BrokerOptions } from './broker-options.js';
export { startNameServer, type NameServer, type NameServerOptions } from './namesrv/name-server.js';
