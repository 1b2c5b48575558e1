// How the client commands (produce, consume, topic, group, message, dlq) reach a secured
// cluster: from the environment, not flags, so a secret key never shows in `ps` output or
// shell history.
//
//   TRIBUTARY_ACCESS_KEY, TRIBUTARY_SECRET_KEY   sign every request (both or neither)
//   TRIBUTARY_TLS=1                              TLS, trusting the system's CAs
//   TRIBUTARY_TLS_CA=<file>                      TLS, trusting this CA (implies TRIBUTARY_TLS)
//   TRIBUTARY_TLS_CERT, TRIBUTARY_TLS_KEY        a client certificate, for mutual TLS
import type { ClientOptions } from '../../client/index.js';
import { CliFailure } from '../cli-failure.js';

export const CLIENT_SECURITY_ENV = {
  accessKey: 'TRIBUTARY_ACCESS_KEY',
  secretKey: 'TRIBUTARY_SECRET_KEY',
  tls: 'TRIBUTARY_TLS',
  tlsCa: 'TRIBUTARY_TLS_CA',
  tlsCert: 'TRIBUTARY_TLS_CERT',
  tlsKey: 'TRIBUTARY_TLS_KEY',
} as const;

/** Credentials and TLS options from the environment; empty variables count as unset. */
export function clientSecurityFromEnvironment(
  environment: NodeJS.ProcessEnv = process.env,
): Pick<ClientOptions, 'credentials' | 'tls'> {
  const read = (name: string): string | undefined => environment[name] || undefined;
  const accessKey = read(CLIENT_SECURITY_ENV.accessKey);
  const secretKey = read(CLIENT_SECURITY_ENV.secretKey);
  if ((accessKey === undefined) !== (secretKey === undefined))
    throw new CliFailure(`set both ${CLIENT_SECURITY_ENV.accessKey} and ${CLIENT_SECURITY_ENV.secretKey}, or neither`);
  const ca = read(CLIENT_SECURITY_ENV.tlsCa);
  const cert = read(CLIENT_SECURITY_ENV.tlsCert);
  const key = read(CLIENT_SECURITY_ENV.tlsKey);
  const tlsOn = read(CLIENT_SECURITY_ENV.tls) === '1' || ca !== undefined || cert !== undefined;
  const tls = tlsOn ? { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert, key }) } : undefined;
  return {
    ...(accessKey === undefined ? {} : { credentials: { accessKey, secretKey: secretKey! } }),
    ...(tls === undefined ? {} : { tls }),
  };
}
