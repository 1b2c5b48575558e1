// TLS for a server port (the broker's client port, the name server's port): a certificate and
// key, optionally a CA, and optionally a demand for client certificates signed by that CA
// (mutual TLS: only holders of a client certificate may connect at all).
import type tls from 'node:tls';

import { readPemSource, type PemSource } from '../protocol/pem-source.js';

/**
 * TLS for a broker's or name server's port: a certificate and key (PEM text or file paths), and
 * optionally the CAs to verify client certificates with, required when `requestClientCert` is set
 * (mutual TLS).
 */
export interface BrokerTlsOptions {
  /** The server certificate (chain) and its private key: PEM text or file paths. */
  readonly cert: PemSource;
  readonly key: PemSource;
  /** CA certificate(s) that client certificates must chain to (default: the system's). */
  readonly ca?: PemSource;
  /** Refuse connections that present no certificate signed by `ca` (default false). */
  readonly requestClientCert?: boolean;
}

export class BrokerTlsError extends Error {
  override readonly name = 'BrokerTlsError';
}

/** Node's tls.createServer options, with the files read now so a bad path fails at start. */
export function serverTlsOptions(options: BrokerTlsOptions): tls.TlsOptions {
  // The message leaves the source out: a "path" that is not a file may be key material pasted
  // without its PEM header.
  const read = (what: string, source: PemSource): Buffer => {
    try {
      return readPemSource(source);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new BrokerTlsError(`cannot read the TLS ${what} (${code})`, { cause: error });
    }
  };
  const requestCert = options.requestClientCert === true;
  return {
    cert: read('certificate', options.cert),
    key: read('key', options.key),
    ...(options.ca === undefined ? {} : { ca: read('CA', options.ca) }),
    requestCert,
    rejectUnauthorized: requestCert,
  };
}
