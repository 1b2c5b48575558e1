// Defaults and limits of the `tributary` command, each with its unit in its name. Server
// defaults (ports, data directory) are the servers' own, re-exported so the CLI and the
// library can never disagree.
import {
  BROKER_NAME_DEFAULT,
  BROKER_PORT_DEFAULT,
  CLUSTER_NAME_DEFAULT,
  DATA_DIRECTORY_DEFAULT,
  TOPIC_QUEUE_COUNT_DEFAULT,
} from '../broker/index.js';
import { NAME_SERVER_PORT_DEFAULT } from '../namesrv/index.js';

export {
  BROKER_NAME_DEFAULT,
  BROKER_PORT_DEFAULT,
  CLUSTER_NAME_DEFAULT,
  DATA_DIRECTORY_DEFAULT,
  NAME_SERVER_PORT_DEFAULT,
  TOPIC_QUEUE_COUNT_DEFAULT,
};

export const EXIT_CODE_FAILURE = 1;
export const EXIT_CODE_USAGE = 2;

/** Environment variables standing in for --namesrv and --data. */
export const NAME_SERVER_ENV = 'TRIBUTARY_NAMESRV';
export const DATA_DIRECTORY_ENV = 'TRIBUTARY_DATA';

/** Servers listen on every interface; clients are told to connect to loopback. */
export const LISTEN_HOST_DEFAULT = '0.0.0.0';
export const ADVERTISED_HOST_DEFAULT = '127.0.0.1';
export const NAME_SERVER_ADDRESS_DEFAULT = `127.0.0.1:${NAME_SERVER_PORT_DEFAULT}`;

export const PRODUCER_GROUP_DEFAULT = 'tributary-cli-producer';
/** Sends `produce` keeps in flight, so piped input is batched without unbounded memory. */
export const PRODUCE_IN_FLIGHT_MESSAGES_MAX = 64;

/** `topic create` waits this long for the name server to route the new topic. */
export const TOPIC_ROUTE_WAIT_MS = 5000;
export const TOPIC_ROUTE_POLL_INTERVAL_MS = 50;

/** The broker answers at most 64 messages per key lookup. */
export const KEY_LOOKUP_MESSAGES_MAX = 64;

/** With a 4 KiB page, segment sizes in MiB are always page multiples. */
export const BYTES_PER_MIB = 1024 * 1024;
