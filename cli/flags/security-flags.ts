// The flags that secure a server's port (`start`, `broker`, `namesrv`): TLS from PEM files and,
// for brokers, access control from a JSON ACL file. Both are off unless given. TLS is cluster
// wide: a broker with --tls-cert registers with its name servers over TLS too (trusting
// --tls-ca, and presenting its certificate if they ask for one), and clients use TLS for both.
import fs from 'node:fs';

import type { BrokerOptions } from '../../broker/index.js';
import type { BrokerTlsOptions } from '../../server/index.js';
import type { ClientTlsOptions } from '../../client/index.js';
import type { CommandLine, FlagSpec } from '../command-line.js';

export const TLS_FLAGS: Readonly<Record<string, FlagSpec>> = {
  'tls-cert': { type: 'string', placeholder: 'file', description: 'serve TLS with this PEM certificate (chain)' },
  'tls-key': { type: 'string', placeholder: 'file', description: 'the PEM private key of --tls-cert' },
  'tls-ca': {
    type: 'string',
    placeholder: 'file',
    description: 'PEM CA certificate(s) trusted for client certificates and name servers',
    defaultText: "the system's CAs",
  },
  'tls-request-client-cert': {
    type: 'boolean',
    // A broker shows --tls-cert to its name servers, which then ask for it too.
    description:
      'refuse clients without a certificate signed by --tls-ca (mutual TLS; --tls-cert must allow client auth)',
  },
};

export const BROKER_SECURITY_FLAGS: Readonly<Record<string, FlagSpec>> = {
  acl: {
    type: 'string',
    placeholder: 'file',
    description: 'enable access control with this JSON ACL file (reloaded when it changes)',
    defaultText: 'off',
  },
  ...TLS_FLAGS,
};

/** The server TLS options of the flags, or undefined without --tls-cert. */
export function serverTlsFrom(line: CommandLine): BrokerTlsOptions | undefined {
  const cert = line.string('tls-cert');
  const key = line.string('tls-key');
  const ca = line.string('tls-ca');
  const requestClientCert = line.boolean('tls-request-client-cert');
  if (cert === undefined) {
    if (key !== undefined || ca !== undefined || requestClientCert)
      throw line.usageError('--tls-key, --tls-ca and --tls-request-client-cert need --tls-cert');
    return undefined;
  }
  if (key === undefined) throw line.usageError('--tls-cert needs --tls-key');
  if (requestClientCert && ca === undefined) throw line.usageError('--tls-request-client-cert needs --tls-ca');
  for (const [flag, file] of [
    ['tls-cert', cert],
    ['tls-key', key],
    ['tls-ca', ca],
  ] as const) {
    if (file === undefined) continue;
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch (error) {
      throw line.usageError(`--${flag}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return { cert, key, ...(ca === undefined ? {} : { ca }), requestClientCert };
}

/** Access control and TLS of a broker, and how it reaches its name servers. */
export function brokerSecurityFrom(line: CommandLine): Pick<BrokerOptions, 'acl' | 'tls' | 'nameServerTls'> {
  const acl = line.string('acl');
  if (acl !== undefined && !fs.existsSync(acl)) throw line.usageError(`--acl: no such file ${acl}`);
  const tls = serverTlsFrom(line);
  const nameServerTls: ClientTlsOptions | undefined =
    tls === undefined ? undefined : { ...(tls.ca === undefined ? {} : { ca: tls.ca }), cert: tls.cert, key: tls.key };
  return {
    ...(acl === undefined ? {} : { acl }),
    ...(tls === undefined ? {} : { tls, nameServerTls }),
  };
}
