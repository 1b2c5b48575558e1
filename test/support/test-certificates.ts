// Throwaway certificates for TLS tests, made with the openssl command at test time into a
// temporary directory (no key is ever committed): a CA, a server certificate for 127.0.0.1
// (subjectAltName IP:127.0.0.1) signed by it, a client certificate signed by it, and a second,
// unrelated CA with a client certificate of its own (trusted by nobody). EC P-256 keys: quick
// to make. Valid for one day.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TestCertificates {
  readonly directory: string;
  /** PEM file paths. */
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate from the unrelated CA. */
  readonly strangerCert: string;
  readonly strangerKey: string;
}

const VALIDITY_DAYS = 1;
const KEY_OPTIONS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function createTestCertificates(directory: string): TestCertificates {
  fs.mkdirSync(directory, { recursive: true });
  const file = (name: string): string => path.join(directory, name);
  makeCa(file('ca'), 'Tributary Test CA');
  makeCa(file('stranger-ca'), 'Stranger CA');
  makeLeaf(file('server'), file('ca'), '127.0.0.1', ['subjectAltName=IP:127.0.0.1', 'extendedKeyUsage=serverAuth'], 2);
  makeLeaf(file('client'), file('ca'), 'test-client', ['extendedKeyUsage=clientAuth'], 3);
  makeLeaf(file('stranger'), file('stranger-ca'), 'stranger', ['extendedKeyUsage=clientAuth'], 4);
  return {
    directory,
    caCert: file('ca.crt'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
    strangerCert: file('stranger.crt'),
    strangerKey: file('stranger.key'),
  };
}

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(stem: string, commonName: string): void {
  openssl([
    'req',
    '-x509',
    ...KEY_OPTIONS,
    '-keyout',
    `${stem}.key`,
    '-out',
    `${stem}.crt`,
    '-days',
    String(VALIDITY_DAYS),
    '-subj',
    `/CN=${commonName}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function makeLeaf(
  stem: string,
  caStem: string,
  commonName: string,
  extensions: readonly string[],
  serial: number,
): void {
  openssl(['req', ...KEY_OPTIONS, '-keyout', `${stem}.key`, '-out', `${stem}.csr`, '-subj', `/CN=${commonName}`]);
  fs.writeFileSync(`${stem}.ext`, `${extensions.join('\n')}\n`);
  openssl([
    'x509',
    '-req',
    '-in',
    `${stem}.csr`,
    '-CA',
    `${caStem}.crt`,
    '-CAkey',
    `${caStem}.key`,
    '-set_serial',
    String(serial),
    '-days',
    String(VALIDITY_DAYS),
    '-out',
    `${stem}.crt`,
    '-extfile',
    `${stem}.ext`,
  ]);
}
