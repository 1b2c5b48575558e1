// Options every client takes, and their defaults.
import os from 'node:os';

import type { ClientLogger } from './client-logger.js';
import type { ClientTlsOptions } from './remoting/client-tls-options.js';
import type { AccessCredentials } from '../protocol/request-signature.js';

/** Options every client (Producer, PushConsumer, Admin) takes. Only `nameServer` is required. */
export interface ClientOptions {
  /** Name server addresses: 'host:port', several separated by ';' or ',', or an array. */
  nameServer: string | readonly string[];
  /** Timeout of each request to a broker or name server. */
  requestTimeoutMs?: number;
  routeRefreshIntervalMs?: number;
  heartbeatIntervalMs?: number;
  /** Use RocketMQ's JSON headers instead of msgpack (for a RocketMQ broker). */
  jsonHeaders?: boolean;
  /**
   * An account of the broker's access control list: every request is signed with it, as
   * RocketMQ 4.x clients do (AccessKey + HMAC-SHA1 Signature). The secret key is never sent.
   */
  credentials?: AccessCredentials;
  /**
   * TLS to the name servers and brokers: true trusts the system's CAs; an object gives a CA,
   * a client certificate and key (PEM text or file paths), a server name.
   */
  tls?: boolean | ClientTlsOptions;
  /**
   * Where the client reports background failures it recovers from (a route refresh or
   * heartbeat that failed and will be retried): a pino logger or anything with its
   * error/warn/info/debug methods. Default: nothing is logged.
   */
  logger?: ClientLogger;
  /**
   * Producers and consumers of one process with the same instance name (default 'DEFAULT'),
   * name servers, credentials, TLS and header encoding share one client instance: one
   * connection per broker, one heartbeat carrying all their groups, as RocketMQ's
   * MQClientInstance. A distinct name gives a client its own instance and connections.
   */
  instanceName?: string;
}

/**
 * The name server list of `ClientOptions.nameServer`: a string is split on ';' or ',', each
 * address trimmed and empty ones dropped (so a trailing ';' is harmless). Addresses are not
 * checked here; an unreachable one fails the first request that tries it.
 */
export function parseNameServers(nameServer: string | readonly string[]): string[] {
  const list = typeof nameServer === 'string' ? nameServer.split(/[;,]/) : [...nameServer];
  const addresses = list.map((address) => address.trim()).filter((address) => address !== '');
  return addresses;
}

let instanceCounter = 0;

/** ip@pid#n: unique per client object, sortable, and stable for the object's lifetime. */
export function newClientId(): string {
  instanceCounter++;
  return `${localIPv4()}@${process.pid}#${instanceCounter}`;
}

export function localIPv4(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return '127.0.0.1';
}
