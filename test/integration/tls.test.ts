// TLS on the broker's client port and its name server's port (broker `tls` option), with
// certificates made by openssl at test time (test/support/test-certificates.ts): clients that
// trust the CA produce and consume; a client that does not trust it, or expects another name,
// fails its handshake; a plain client fails cleanly and the broker goes on serving. With
// requestClientCert, only a client certificate from the broker's CA gets in.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import { Admin, Producer, type ClientTlsOptions } from '../../client/index.js';
import { clientTlsConnectionOptions } from '../../client/remoting/client-tls-options.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { SERIALIZE_TYPE, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RemotingError } from '../../protocol/remoting-error.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { startBrokerProcess, stopAll, type BrokerProcess } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { recordingConsumer, waitFor } from '../support/messaging-fixture.js';
import { createTestCertificates, type TestCertificates } from '../support/test-certificates.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const CLI_SCRIPT = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
const TOPIC = 'tls-orders';
const QUEUES = 2;
const STEP_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 5000;

const directory = temporaryDirectory('tls');
let certificates: TestCertificates;
/** TLS, no client certificate asked. */
let broker: BrokerProcess | undefined;
/** TLS, a client certificate from the test CA required (mutual TLS). */
let mutual: BrokerProcess | undefined;
const clients: RemotingClient[] = [];

function running(handle: BrokerProcess | undefined): BrokerProcess {
  assert.ok(handle !== undefined, 'the broker did not start');
  return handle;
}

function tlsClient(options: true | ClientTlsOptions | undefined): RemotingClient {
  const client = new RemotingClient({
    serializeType: SERIALIZE_TYPE.json,
    ...(options === undefined ? {} : { tls: clientTlsConnectionOptions(options) }),
  });
  clients.push(client);
  return client;
}

function topicRoute(client: RemotingClient, nameServer: string): Promise<RemotingCommand> {
  return client.invoke(
    nameServer,
    { code: REQUEST_CODE.GET_ROUTEINFO_BY_TOPIC, extFields: { topic: TOPIC } },
    REQUEST_TIMEOUT_MS,
  );
}

function createTopic(client: RemotingClient, address: string): Promise<RemotingCommand> {
  const extFields = { topic: TOPIC, readQueueNums: QUEUES, writeQueueNums: QUEUES };
  return client.invoke(address, { code: REQUEST_CODE.UPDATE_AND_CREATE_TOPIC, extFields }, REQUEST_TIMEOUT_MS);
}

/** Rejects with a RemotingError of one of `codes` whose cause (if any) matches `cause`. */
async function expectTransportFailure(
  request: Promise<unknown>,
  codes: readonly string[],
  cause?: RegExp,
): Promise<void> {
  await assert.rejects(request, (error: unknown) => {
    assert.ok(error instanceof RemotingError, `expected a RemotingError, got ${String(error)}`);
    assert.ok(codes.includes(error.code), `expected ${codes.join(' or ')}, got ${error.code}: ${error.message}`);
    if (cause !== undefined) {
      const reason = error.cause as NodeJS.ErrnoException | undefined;
      assert.match(`${reason?.code ?? ''} ${reason?.message ?? ''}`, cause);
    }
    return true;
  });
}

test.before(async () => {
  certificates = createTestCertificates(path.join(directory.path, 'certs'));
  const { caCert, serverCert, serverKey, clientCert, clientKey } = certificates;
  [broker, mutual] = await Promise.all([
    startBrokerProcess({
      dataDirectory: path.join(directory.path, 'tls'),
      tls: { cert: serverCert, key: serverKey },
      nameServerTls: { ca: caCert },
      httpPort: 0,
      label: 'tls broker',
    }),
    startBrokerProcess({
      dataDirectory: path.join(directory.path, 'mutual'),
      brokerName: 'mutual-broker',
      tls: { cert: serverCert, key: serverKey, ca: caCert, requestClientCert: true },
      nameServerTls: { ca: caCert, cert: clientCert, key: clientKey },
      label: 'mutual tls broker',
    }),
  ]);
});

test.after(async () => {
  for (const client of clients) client.close();
  await stopAll([broker, mutual]);
  directory.remove();
});

test('tls: a client trusting the CA creates a topic, produces and consumes over TLS (CA as PEM text)', async () => {
  const nameServer = running(broker).nameServerAddress!;
  const tls: ClientTlsOptions = { ca: fs.readFileSync(certificates.caCert, 'utf8') };
  const admin = new Admin({ nameServer, tls });
  try {
    await admin.createTopic(TOPIC, { queues: QUEUES });
    await pollUntil(
      `a route for ${TOPIC}`,
      STEP_TIMEOUT_MS,
      async () => (await admin.listTopics()).includes(TOPIC) || undefined,
    );
  } finally {
    await admin.close();
  }
  const { consumer, received } = await recordingConsumer({
    nameServer,
    group: 'tls-cg',
    subscriptions: { [TOPIC]: '*' },
    consumeFrom: 'first',
    tls: { ca: certificates.caCert },
  });
  const producer = new Producer({ nameServer, group: 'tls-pg', tls });
  try {
    await producer.start();
    const bodies = Array.from({ length: 8 }, (_, i) => `over-tls-${i}`);
    for (const body of bodies) await producer.send({ topic: TOPIC, body });
    await waitFor('8 deliveries over TLS', STEP_TIMEOUT_MS, () =>
      bodies.every((body) => received.some((message) => message.body.toString() === body)),
    );
  } finally {
    await producer.shutdown();
    await consumer.shutdown();
  }
});

test('tls: the CLI client commands use TLS with TRIBUTARY_TLS_CA from the environment', async () => {
  const list = ['topic', 'list', '--namesrv', running(broker).nameServerAddress!];
  const run = (environment: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const env = { PATH: process.env.PATH, ...environment };
      execFile(process.execPath, [CLI_SCRIPT, ...list], { env, timeout: STEP_TIMEOUT_MS }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number((error as { code?: unknown }).code ?? 1), stdout, stderr }),
      );
    });
  const secure = await run({ TRIBUTARY_TLS_CA: certificates.caCert });
  assert.equal(secure.code, 0, secure.stderr);
  assert.match(secure.stdout, new RegExp(`^${TOPIC}$`, 'm'));
  const plain = await run({});
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /cannot reach name server/);
});

test('tls: a client that does not trust the server certificate, or expects another name, fails its handshake', async () => {
  const { nameServerAddress, address } = running(broker);
  await expectTransportFailure(
    topicRoute(tlsClient(true), nameServerAddress!),
    ['CONNECT_FAILED'],
    /SELF_SIGNED|UNABLE_TO_VERIFY|unable to verify/i,
  );
  await expectTransportFailure(
    createTopic(tlsClient(true), address),
    ['CONNECT_FAILED'],
    /SELF_SIGNED|UNABLE_TO_VERIFY|unable to verify/i,
  );
  const strangerCa = { ca: path.join(certificates.directory, 'stranger-ca.crt') };
  await expectTransportFailure(
    createTopic(tlsClient(strangerCa), address),
    ['CONNECT_FAILED'],
    /UNABLE_TO_VERIFY|unable to verify|SELF_SIGNED/i,
  );
  const wrongName = { ca: certificates.caCert, servername: 'broker.example.com' };
  await expectTransportFailure(
    createTopic(tlsClient(wrongName), address),
    ['CONNECT_FAILED'],
    /ALTNAME|does not match/i,
  );
  // The Producer surfaces it as an unreachable name server, with the handshake failure as cause.
  const producer = new Producer({ nameServer: nameServerAddress!, group: 'tls-untrusting', tls: true });
  try {
    await producer.start();
    await assert.rejects(producer.send({ topic: TOPIC, body: 'x' }), /no name server answered/);
  } finally {
    await producer.shutdown();
  }
});

test('tls: a plain client to the TLS ports fails cleanly and the broker goes on serving TLS clients', async () => {
  const { nameServerAddress, address } = running(broker);
  await expectTransportFailure(topicRoute(tlsClient(undefined), nameServerAddress!), ['CONNECTION_CLOSED']);
  await expectTransportFailure(createTopic(tlsClient(undefined), address), ['CONNECTION_CLOSED']);
  const response = await createTopic(tlsClient({ ca: certificates.caCert }), address);
  assert.equal(response.code, RESPONSE_CODE.SUCCESS, response.remark);
  assert.match(
    running(broker).outputTail,
    // One JSON log line: the error's message, then the context (msg).
    /"message":"[^"]*(wrong version|http request|packet)[^"]*".*"msg":"closed the connection from 127\.0\.0\.1:\d+"/i,
  );
});

test("tls: with requestClientCert a client without a certificate, or with a stranger's, is refused", async () => {
  const { address, nameServerAddress } = running(mutual);
  // TLS 1.3 finishes the client's side of the handshake before the server checks the client
  // certificate, so the refusal can arrive as a failed connect or as the connection closing.
  const refused = ['CONNECT_FAILED', 'CONNECTION_CLOSED'];
  await expectTransportFailure(createTopic(tlsClient({ ca: certificates.caCert }), address), refused);
  await expectTransportFailure(topicRoute(tlsClient({ ca: certificates.caCert }), nameServerAddress!), refused);
  const stranger = { ca: certificates.caCert, cert: certificates.strangerCert, key: certificates.strangerKey };
  await expectTransportFailure(createTopic(tlsClient(stranger), address), refused);
});

test('tls: with requestClientCert a client certificate from the CA gets in (broker and name server)', async () => {
  const { address, nameServerAddress } = running(mutual);
  const withCert = { ca: certificates.caCert, cert: certificates.clientCert, key: certificates.clientKey };
  const client = tlsClient(withCert);
  const created = await createTopic(client, address);
  assert.equal(created.code, RESPONSE_CODE.SUCCESS, created.remark);
  // The broker registered over mutual TLS too, so the name server routes the new topic.
  await pollUntil('the mutual-TLS name server to route the topic', STEP_TIMEOUT_MS, async () =>
    (await topicRoute(client, nameServerAddress!)).code === RESPONSE_CODE.SUCCESS ? true : undefined,
  );
  const producer = new Producer({ nameServer: nameServerAddress!, group: 'mutual-pg', tls: withCert });
  try {
    await producer.start();
    const result = await producer.send({ topic: TOPIC, body: 'mutual' });
    assert.equal(result.brokerName, 'mutual-broker');
  } finally {
    await producer.shutdown();
  }
});

test('tls: the HTTP endpoint serves HTTPS with the same certificate, and refuses plain HTTP', async () => {
  const port = running(broker).httpPort!;
  const status = await new Promise<number>((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path: '/healthz', ca: fs.readFileSync(certificates.caCert) }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
      .on('error', reject);
  });
  assert.equal(status, 200);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
});

test.run();
