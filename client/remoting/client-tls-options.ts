// TLS for a client's connections (to name servers and brokers alike): `true` trusts the
// system's CAs; an object adds a private CA, a client certificate for brokers that ask for one,
// an explicit server name, or turns verification off (tests against self-signed brokers only).
import type tls from 'node:tls';

import { readPemSource, type PemSource } from '../../protocol/pem-source.js';

/**
 * TLS to name servers and brokers: the CAs to trust (default the system's), and a client
 * certificate and key for mutual TLS; PEM text or file paths.
 */
export interface ClientTlsOptions {
  /** CA certificate(s) to trust instead of the system's: PEM text or a file path. */
  readonly ca?: PemSource;
  /** A client certificate and its key, for servers that request one. */
  readonly cert?: PemSource;
  readonly key?: PemSource;
  /** The name the server certificate must carry (default: the host of each address). */
  readonly servername?: string;
  /** Default true; false accepts any server certificate, which defeats the point of TLS. */
  readonly rejectUnauthorized?: boolean;
}

/** Node's tls.connect options for `options`, files read now so a bad path fails at construction. */
export function clientTlsConnectionOptions(options: true | ClientTlsOptions): tls.ConnectionOptions {
  if (options === true) return {};
  return {
    ...(options.ca === undefined ? {} : { ca: readPemSource(options.ca) }),
    ...(options.cert === undefined ? {} : { cert: readPemSource(options.cert) }),
    ...(options.key === undefined ? {} : { key: readPemSource(options.key) }),
    ...(options.servername === undefined ? {} : { servername: options.servername }),
    rejectUnauthorized: options.rejectUnauthorized ?? true,
  };
}
