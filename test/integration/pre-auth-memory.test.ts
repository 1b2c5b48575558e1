// What a peer that never authenticates can make a broker hold: unfinished frames share one
// budget (unfinishedFrameBudgetBytes) across all connections, connections past it are closed
// and counted, their memory is given back when they close, and with access control a request
// whose header names no account is closed before its body is buffered. Protocol violations are
// logged naming the peer.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'uvu';

import { Producer } from '../../client/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { FRAME_BYTES_MAX } from '../../protocol/remoting-frame.js';
import type { AccessCredentials } from '../../protocol/request-signature.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { brokerRuntimeInfo, pollUntil } from '../support/broker-requests.js';
import { startMessaging, type MessagingFixture } from '../support/messaging-fixture.js';
import { RawConnection } from '../support/raw-connection.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const MIB = 1024 * 1024;
const BUDGET_BYTES = 64 * MIB;
const CONNECTIONS = 60;
const SENT_PER_CONNECTION_BYTES = 15 * MIB;
/** Room over the budget for the broker's own memory (about 70 MiB at rest), as the issue asks. */
const RSS_ALLOWANCE_BYTES = 200 * MIB;
const WAIT_MS = 60_000;
const RSS_SAMPLE_MS = 20;
const TOPIC = 'pre-auth';

/** A frame of nearly the maximum length, so that SENT_PER_CONNECTION_BYTES of it is unfinished. */
const LONG_FRAME = RawConnection.frame({ code: REQUEST_CODE.HEART_BEAT, body: Buffer.alloc(FRAME_BYTES_MAX - 4096) });

function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(status);
  assert.ok(kib !== null, 'no VmRSS in /proc status');
  return Number(kib[1]) * 1024;
}

/** Resolves when `bytes` were handed to the kernel or the broker closed the connection. */
function sendOrClosed(connection: RawConnection, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    connection.socket.write(bytes, () => resolve());
    void connection.closed.then(resolve);
  });
}

let fixture: MessagingFixture | undefined;
const probe = new RemotingClient();

function broker(): BrokerProcess {
  assert.ok(fixture !== undefined, 'the broker did not start');
  return fixture.broker;
}

test.before(async () => {
  fixture = await startMessaging('pre-auth-memory', {
    topics: { [TOPIC]: 1 },
    connectionLimits: { unfinishedFrameBudgetBytes: BUDGET_BYTES },
  });
});

test.after(async () => {
  probe.close();
  await fixture?.close();
});

test('a protocol violation is logged naming the peer address:port, not ?:0', async () => {
  const connection = await RawConnection.open(broker().address);
  const port = connection.socket.localPort!;
  connection.write(Buffer.from([0, 0, 0, 1])); // LENGTH 1: shorter than the header spec.
  await connection.closed;
  await pollUntil('the log line', WAIT_MS, () =>
    broker().outputTail.includes(`closed the connection from 127.0.0.1:${port}`) ? true : undefined,
  );
  assert.equal(broker().outputTail.includes('from ?:0'), false, broker().outputTail);
});

test('60 connections each sending 15 MiB of an unfinished frame: RSS stays within the budget, those past it are closed, memory is given back and a client still works', async () => {
  const { pid } = broker();
  assert.ok(pid !== undefined);
  const stats = (): Promise<Record<string, number>> => brokerRuntimeInfo(probe, broker().address);
  let peakRss = rssBytes(pid);
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssBytes(pid))), RSS_SAMPLE_MS);
  const connections = await Promise.all(
    Array.from({ length: CONNECTIONS }, () => RawConnection.open(broker().address)),
  );
  try {
    await Promise.all(
      connections.map((connection) => sendOrClosed(connection, LONG_FRAME.subarray(0, SENT_PER_CONNECTION_BYTES))),
    );
    const fitting = Math.floor(BUDGET_BYTES / SENT_PER_CONNECTION_BYTES);
    const info = await pollUntil('the connections past the budget closed', WAIT_MS, async () => {
      const current = await stats();
      return current.connectionsClosedFrameBudget! >= CONNECTIONS - fitting - 1 ? current : undefined;
    });
    assert.ok(info.unfinishedFrameBytes! <= BUDGET_BYTES, `holding ${info.unfinishedFrameBytes}`);
    assert.ok(connections.filter((connection) => connection.isClosed).length >= CONNECTIONS - fitting - 1);
  } finally {
    for (const connection of connections) connection.destroy();
    clearInterval(sampler);
  }
  console.log(`pre-auth memory: broker peak RSS ${(peakRss / MIB).toFixed(0)} MiB, budget ${BUDGET_BYTES / MIB} MiB`);
  assert.ok(peakRss < BUDGET_BYTES + RSS_ALLOWANCE_BYTES, `peak RSS ${(peakRss / MIB).toFixed(0)} MiB`);
  await pollUntil('every held byte given back', WAIT_MS, async () =>
    (await stats()).unfinishedFrameBytes === 0 ? true : undefined,
  );
  const producer = new Producer({ nameServer: fixture!.nameServer, group: 'pre-auth-after' });
  await producer.start();
  try {
    const result = await producer.send({ topic: TOPIC, body: 'after the flood' });
    assert.equal(result.queueOffset, 0);
  } finally {
    await producer.shutdown();
  }
});

test('with ACL, a frame whose header names no account is closed before its body arrives', async () => {
  const admin: AccessCredentials = { accessKey: 'pre-auth-admin', secretKey: 'pre-auth-secret-1234' };
  const directory = temporaryDirectory('pre-auth-acl');
  const aclBroker = await startBrokerProcess({
    dataDirectory: directory.path,
    acl: { globalWhiteRemoteAddresses: [], accounts: [{ ...admin, admin: true }] },
    label: 'pre-auth acl broker',
  });
  const signedProbe = new RemotingClient({ credentials: admin });
  try {
    const frames = [
      RawConnection.frame({ code: REQUEST_CODE.SEND_MESSAGE_V2, body: Buffer.alloc(FRAME_BYTES_MAX - 4096) }),
      RawConnection.frame({
        code: REQUEST_CODE.SEND_MESSAGE_V2,
        extFields: { AccessKey: 'nobody-at-all', Signature: 'x' },
        body: Buffer.alloc(FRAME_BYTES_MAX - 4096),
      }),
    ];
    for (const frame of frames) {
      const connection = await RawConnection.open(aclBroker.address);
      // The header and a sliver of the body: a broker waiting for the body would keep it open.
      connection.write(frame.subarray(0, frame.readUInt32BE(4) + 8 + 1024));
      await connection.closed;
    }
    const info = await brokerRuntimeInfo(signedProbe, aclBroker.address);
    assert.equal(info.connectionsClosedHeaderRefused, 2);
    assert.equal(info.unfinishedFrameBytes, 0);
  } finally {
    signedProbe.close();
    await aclBroker.stop();
    directory.remove();
  }
});

test.run();
