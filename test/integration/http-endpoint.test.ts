// The HTTP endpoint of real broker and name server processes (README "HTTP endpoint"):
// /metrics counts what was produced and consumed with RocketMQ's names and labels, folds topics
// past the label limit into `_other`, /healthz and /readyz tell an orchestrator the truth
// (503 with the reason while no name server has the broker), the ACL guards the pages, the
// `--http-port` flag picks or turns off the port, and the JSON log lines redact credentials.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import { Admin, Producer } from '../../client/index.js';
import {
  startBrokerProcess,
  startNameServerProcess,
  stopAll,
  type BrokerProcess,
  type NameServerProcess,
} from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { recordingConsumer, waitFor } from '../support/messaging-fixture.js';
import { metricSample as sample } from '../support/metrics-page.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const CLI_SCRIPT = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
const STEP_TIMEOUT_MS = 30_000;
const ADMIN = { accessKey: 'http-admin', secretKey: 'admin-secret-5d1c' };
const READER = { accessKey: 'http-reader', secretKey: 'reader-secret-8e2f' };

interface Page {
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
}

async function get(port: number, path: string, credentials?: { accessKey: string; secretKey: string }): Promise<Page> {
  const headers: Record<string, string> = {};
  if (credentials !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${credentials.accessKey}:${credentials.secretKey}`).toString('base64')}`;
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('http: /metrics after produce and consume counts messages and bytes in and out by topic and group', async () => {
  const directory = temporaryDirectory('http-metrics');
  const broker = await startBrokerProcess({ dataDirectory: directory.path, httpPort: 0, label: 'http-metrics' });
  const topic = 'http-metrics-topic';
  const group = 'http-metrics-group';
  const admin = new Admin({ nameServer: broker.nameServerAddress! });
  const producer = new Producer({ nameServer: broker.nameServerAddress!, group: 'http-metrics-pg' });
  let consumer: Awaited<ReturnType<typeof recordingConsumer>> | undefined;
  try {
    await admin.createTopic(topic, { queues: 2 });
    await pollUntil(
      `route of ${topic}`,
      STEP_TIMEOUT_MS,
      async () => (await admin.listTopics()).includes(topic) || undefined,
    );
    await producer.start();
    const body = 'x'.repeat(100);
    for (let i = 0; i < 5; i++) await producer.send({ topic, body });
    consumer = await recordingConsumer({
      nameServer: broker.nameServerAddress!,
      group,
      subscriptions: { [topic]: '*' },
      consumeFrom: 'first',
    });
    const received = consumer.received;
    await waitFor('5 messages consumed', STEP_TIMEOUT_MS, () => received.length >= 5);
    const httpPort = broker.httpPort!;
    // Lag reaches 0 once the consumer's next pulls commit what it processed.
    const page = await pollUntil('lag 0 on /metrics', STEP_TIMEOUT_MS, async () => {
      const text = (await get(httpPort, '/metrics')).body;
      return sample(text, 'rocketmq_consumer_lag_messages', { topic, consumer_group: group }) === 0 ? text : undefined;
    });
    const labels = { topic, cluster: 'DefaultCluster', node_type: 'broker', node_id: 'broker-a' };
    assert.equal(sample(page, 'rocketmq_messages_in_total', labels), 5);
    assert.equal(sample(page, 'rocketmq_throughput_in_total', labels), 500);
    assert.equal(sample(page, 'rocketmq_messages_out_total', { ...labels, consumer_group: group }), 5);
    const outBytes = sample(page, 'rocketmq_throughput_out_total', { ...labels, consumer_group: group })!;
    assert.ok(outBytes > 500, `records delivered carry their bodies: ${outBytes} bytes`);
    assert.equal(sample(page, 'rocketmq_consumer_inflight_messages', { topic, consumer_group: group }), 0);
    assert.equal(sample(page, 'rocketmq_consumer_ready_messages', { topic, consumer_group: group }), 0);
    // PULL_MESSAGE (11) answered SUCCESS (0) at least once, with a bucketed latency.
    assert.ok(sample(page, 'rocketmq_rpc_latency_count', { request_code: '11', response_code: '0' })! >= 1);
    assert.ok(sample(page, 'rocketmq_rpc_latency_bucket', { request_code: '11', le: '+Inf' })! >= 1);
    assert.ok(sample(page, 'rocketmq_topic_number')! >= 1);
    assert.ok(sample(page, 'rocketmq_consumer_group_number')! >= 1);
    assert.ok(sample(page, 'tributary_storage_segments')! >= 1);
    assert.equal(sample(page, 'tributary_storage_resident_drop_failures'), 0, 'no madvise refused');
    assert.ok(sample(page, 'process_cpu_user_seconds_total')! > 0, 'process metrics are collected');
    assert.equal(sample(page, 'tributary_connections_open')! >= 1, true);
  } finally {
    await consumer?.consumer.shutdown();
    await producer.shutdown();
    admin.close();
    await broker.stop();
    directory.remove();
  }
});

test('http: topics past the label limit are folded into _other, their counts summed', async () => {
  const directory = temporaryDirectory('http-fold');
  const broker = await startBrokerProcess({
    dataDirectory: directory.path,
    httpPort: 0,
    metricLabelsMax: 2,
    label: 'http-fold',
  });
  const producer = new Producer({ nameServer: broker.nameServerAddress!, group: 'http-fold-pg' });
  const admin = new Admin({ nameServer: broker.nameServerAddress! });
  try {
    const topics = ['fold-a', 'fold-b', 'fold-c', 'fold-d'];
    for (const topic of topics) await admin.createTopic(topic, { queues: 1 });
    await pollUntil('the routes', STEP_TIMEOUT_MS, async () => {
      const known = await admin.listTopics();
      return topics.every((topic) => known.includes(topic)) || undefined;
    });
    await producer.start();
    for (const topic of topics) await producer.send({ topic, body: 'b' });
    const page = (await get(broker.httpPort!, '/metrics')).body;
    const inLines = page.split('\n').filter((line) => line.startsWith('rocketmq_messages_in_total{'));
    assert.equal(inLines.length, 3, `two own labels and _other:\n${inLines.join('\n')}`);
    assert.equal(sample(page, 'rocketmq_messages_in_total', { topic: 'fold-a' }), 1);
    assert.equal(sample(page, 'rocketmq_messages_in_total', { topic: 'fold-b' }), 1);
    assert.equal(sample(page, 'rocketmq_messages_in_total', { topic: '_other' }), 2);
    assert.equal(sample(page, 'rocketmq_messages_in_total', { topic: 'fold-c' }), undefined);
  } finally {
    await producer.shutdown();
    admin.close();
    await broker.stop();
    directory.remove();
  }
});

test('http: /readyz answers 503 naming the reason while no name server has the broker, 200 once registered', async () => {
  const directory = temporaryDirectory('http-ready');
  const deadPort = await freePort();
  let nameServer: NameServerProcess | undefined;
  let broker: BrokerProcess | undefined;
  try {
    broker = await startBrokerProcess({
      dataDirectory: directory.path,
      nameServer: 'none',
      nameServers: [`127.0.0.1:${deadPort}`],
      registerIntervalMs: 200,
      httpPort: 0,
      label: 'http-ready',
    });
    const httpPort = broker.httpPort!;
    const health = await get(httpPort, '/healthz');
    assert.equal(health.status, 200);
    assert.equal((JSON.parse(health.body) as { status: string }).status, 'alive');
    const unready = await get(httpPort, '/readyz');
    assert.equal(unready.status, 503);
    assert.match(unready.headers.get('content-type') ?? '', /application\/json/);
    const reasons = (JSON.parse(unready.body) as { reasons: string[] }).reasons;
    assert.match(
      reasons.join('; '),
      new RegExp(`not registered with any name server \\(127\\.0\\.0\\.1:${deadPort}\\)`),
    );
    nameServer = await startNameServerProcess({ port: deadPort, httpPort: 0, label: 'http-ready-ns' });
    await pollUntil('/readyz 200', STEP_TIMEOUT_MS, async () =>
      (await get(httpPort, '/readyz')).status === 200 ? true : undefined,
    );
    const namesrvReady = await get(nameServer.httpPort!, '/readyz');
    assert.equal(namesrvReady.status, 200, 'a listening name server is ready');
    assert.match(
      (await get(nameServer.httpPort!, '/metrics')).body,
      /tributary_namesrv_brokers\{node_type="nameserver"\} 1/,
    );
  } finally {
    await stopAll([broker, nameServer]);
    directory.remove();
  }
});

test('http: with ACL on, /metrics without credentials is 401, any account reads it, other pages need an admin', async () => {
  const directory = temporaryDirectory('http-acl');
  const broker = await startBrokerProcess({
    dataDirectory: directory.path,
    httpPort: 0,
    logLevel: 'debug',
    acl: { accounts: [{ ...ADMIN, admin: true }, { ...READER }] },
    label: 'http-acl',
  });
  try {
    const port = broker.httpPort!;
    const anonymous = await get(port, '/metrics');
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic realm="tributary"/);
    assert.equal((await get(port, '/metrics', { ...ADMIN, secretKey: 'wrong-secret-0000' })).status, 401);
    assert.equal((await get(port, '/readyz')).status, 401);
    assert.equal((await get(port, '/healthz')).status, 200, 'liveness stays open for orchestrators');
    const admin = await get(port, '/metrics', ADMIN);
    assert.equal(admin.status, 200);
    assert.match(admin.body, /# TYPE rocketmq_messages_in_total counter/);
    assert.equal((await get(port, '/metrics', READER)).status, 200, 'a read-only page for any account');
    assert.equal((await get(port, '/console/messages', READER)).status, 403, 'other pages are for admins');
    assert.equal((await get(port, '/console/messages', ADMIN)).status, 200);
    assert.equal((await get(port, '/no-such-page', ADMIN)).status, 404);
    assert.equal(sample(admin.body, 'tributary_acl_refusals_total'), 3, 'two anonymous requests and a wrong secret');
    // The refusals were logged at debug as JSON lines, the credentials redacted.
    const refused = await pollUntil('the refusals logged', STEP_TIMEOUT_MS, () => {
      const lines = logLines(broker.outputTail).filter((line) => line.msg === 'http refused');
      return lines.length >= 2 ? lines : undefined;
    });
    assert.equal(refused[0]!.level, 20);
    assert.equal(refused[0]!.broker, 'broker-a');
    const withCredentials = refused.find((line) => line.authorization !== undefined);
    assert.equal(withCredentials?.authorization, '[Redacted]');
    assert.ok(!broker.outputTail.includes('wrong-secret-0000'));
    assert.ok(!broker.outputTail.includes(Buffer.from(`${ADMIN.accessKey}:wrong-secret-0000`).toString('base64')));
  } finally {
    await broker.stop();
    directory.remove();
  }
});

function logLines(output: string): Record<string, unknown>[] {
  return output.split('\n').flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as unknown;
      return typeof parsed === 'object' && parsed !== null ? [parsed as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

/** Runs `tributary namesrv` with `flags` until its listening line, then SIGTERM; stdout and the exit code. */
async function runNameServerCommand(flags: string[]): Promise<{ line: string; code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [CLI_SCRIPT, 'namesrv', '--host', '127.0.0.1', '--port', '0', ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const line = await Promise.race([
      pollUntil(
        'the listening line',
        STEP_TIMEOUT_MS,
        () => /tributary: name server listening[^\n]*/.exec(stdout)?.[0],
      ),
      exited.then((code) => `exited ${code}: ${stderr}`),
    ]);
    return { line, code: null, stdout };
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
}

test('http: --http-port 0 picks a free port, off serves none, anything else is a usage error', async () => {
  const picked = await runNameServerCommand(['--http-port', '0']);
  const port = Number(/HTTP on (\d+)/.exec(picked.line)?.[1]);
  assert.ok(port > 0, picked.line);
  const off = await runNameServerCommand(['--http-port', 'off']);
  assert.match(off.line, /^tributary: name server listening on 127\.0\.0\.1:\d+$/);
  const bad = await runNameServerCommand(['--http-port', 'sometimes']);
  assert.match(bad.line, /exited 2: .*--http-port must be 0\.\.65535 or off, not 'sometimes'/s);
});

test('http: the name server serves /healthz and /readyz on the port --http-port 0 picked', async () => {
  const child = spawn(
    process.execPath,
    [CLI_SCRIPT, 'namesrv', '--host', '127.0.0.1', '--port', '0', '--http-port', '0', '--log-level', 'debug'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    const port = await pollUntil(
      'the HTTP port',
      STEP_TIMEOUT_MS,
      () => Number(/HTTP on (\d+)/.exec(stdout)?.[1]) || undefined,
    );
    assert.equal((await get(port, '/healthz')).status, 200);
    assert.equal((await get(port, '/readyz')).status, 200);
    // --log-level debug: the start line is a JSON line on stdout with its level.
    const started = logLines(stdout).find((line) => line.msg === 'name server started');
    assert.equal(started?.level, 20);
    assert.equal(started?.httpPort, port);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});

test.run();
