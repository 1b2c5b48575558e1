// The process logger (server/http/process-logger.ts): JSON lines at the level asked for, child
// fields on every line, and secrets redacted wherever they sit in a logged object.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'uvu';

import { LogLevelError, processLogger } from '../../server/http/process-logger.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const lines = (): Record<string, unknown>[] =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, lines };
}

test('logger: secretKey, Signature and authorization never reach a line, however deep', () => {
  const { stream, lines } = capture();
  const logger = processLogger('test', 'info', stream).child({ broker: 'broker-a', topic: 'orders' });
  logger.info(
    {
      secretKey: 'top-secret-1',
      account: { accessKey: 'ak', secretKey: 'top-secret-2' },
      acl: { accounts: [{ accessKey: 'ak', secretKey: 'top-secret-3' }] },
      request: { extFields: { Signature: 'c2lnbmF0dXJl' } },
      headers: { authorization: 'Basic YWs6dG9wLXNlY3JldA==' },
    },
    'with secrets',
  );
  const [line] = lines();
  const text = JSON.stringify(line);
  for (const secret of ['top-secret-1', 'top-secret-2', 'top-secret-3', 'c2lnbmF0dXJl', 'YWs6dG9wLXNlY3JldA=='])
    assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  assert.equal(line!.broker, 'broker-a');
  assert.equal(line!.topic, 'orders');
  assert.equal((line!.account as Record<string, unknown>).accessKey, 'ak');
  assert.equal((line!.account as Record<string, unknown>).secretKey, '[Redacted]');
});

test('logger: lines below the level are dropped; an unknown level is a typed error', () => {
  const { stream, lines } = capture();
  const logger = processLogger('test', 'warn', stream);
  logger.info('dropped');
  logger.warn('kept');
  assert.deepEqual(
    lines().map((line) => [line.level, line.msg]),
    [[40, 'kept']],
  );
  assert.throws(
    () => processLogger('test', 'loud'),
    (error: unknown) => error instanceof LogLevelError && error.code === 'INVALID_LOG_LEVEL',
  );
});

test.run();
