// Client options for a secured cluster (client/client-options.ts): half-given credentials and
// unreadable TLS files are refused when the client is constructed, not at its first request.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { Admin, ClientError } from '../../client/index.js';

test('client-options: credentials without a secret key are an INVALID_ARGUMENT at construction', () => {
  for (const credentials of [
    { accessKey: 'ops-admin', secretKey: '' },
    { accessKey: '', secretKey: 'ops-secret' },
    { accessKey: 'ops-admin' } as { accessKey: string; secretKey: string },
  ]) {
    assert.throws(
      () => new Admin({ nameServer: '127.0.0.1:9876', credentials }),
      (error: unknown) => error instanceof ClientError && error.code === 'INVALID_ARGUMENT',
    );
  }
});

test('client-options: a TLS file that cannot be read is an INVALID_ARGUMENT at construction', () => {
  assert.throws(
    () => new Admin({ nameServer: '127.0.0.1:9876', tls: { ca: '/nonexistent/ca.pem' } }),
    (error: unknown) =>
      error instanceof ClientError && error.code === 'INVALID_ARGUMENT' && /tls: .*ENOENT/.test(error.message),
  );
});

test.run();
