// tributary/namesrv: run a name server in-process (the routing registry brokers register with).
export { startNameServer, type NameServer, type NameServerOptions } from './name-server.js';
export { NAME_SERVER_HTTP_PORT_DEFAULT, NAME_SERVER_PORT_DEFAULT } from './name-server-constants.js';
