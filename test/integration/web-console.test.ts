// The web console (README "Web console") end to end: Debian's chromium, driven headless by
// playwright-core, against a live broker child process. Each page loads and shows what the
// Admin API reports; each action works (create and delete a topic, reset offsets with a
// confirmation, send a test message, resend a dead letter); a message body holding <script>
// is shown as text. Screenshots go to a temporary directory printed below; with
// WRITE_DOCS_SCREENSHOT=1 the cluster page also goes to docs/console.png (the README's).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { test } from 'uvu';

import { Admin, Producer, type SendResult } from '../../client/index.js';
import { startBrokerProcess, stopAll, type BrokerProcess } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { recordingConsumer, waitFor } from '../support/messaging-fixture.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const WAIT_MS = 30_000;
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../../docs/console.png', import.meta.url));
const TOPIC = 'console-orders';
const GROUP = 'console-readers';
const FAIL_GROUP = 'console-failing';
const XSS_BODY = '<script>window.__consoleXss = 1</script><b>not bold</b> & "quoted"';
const ADMIN_ACCOUNT = { accessKey: 'console-admin', secretKey: 'console-admin-secret-71c' };
const READER_ACCOUNT = { accessKey: 'console-reader', secretKey: 'console-reader-secret-2d9' };

function chromiumMissing(): boolean {
  if (fs.existsSync(CHROMIUM)) return false;
  console.log(`web console: skipped, ${CHROMIUM} is missing: apt-get install -y chromium`);
  return true;
}

function cells(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).allTextContents();
}

async function shoot(page: Page, directory: string, name: string): Promise<void> {
  await page.screenshot({ path: path.join(directory, `${name}.png`), fullPage: true });
}

/** A browser page on the console of the broker under test, and the Admin API to compare it with. */
interface ConsoleVisit {
  readonly page: Page;
  /** The console's URL, without a trailing slash. */
  readonly base: string;
  readonly admin: Admin;
  /** The screenshot directory. */
  readonly shots: string;
}

type RecordingConsumer = Awaited<ReturnType<typeof recordingConsumer>>;
type GroupProgress = Awaited<ReturnType<Admin['groupProgress']>>;

/**
 * A topic with an XSS body among six messages, read by a live reader (all committed) and by a
 * group whose handler always fails (all dead-lettered, then it leaves).
 */
async function makeTraffic(
  admin: Admin,
  producer: Producer,
  nameServer: string,
  consumers: { consumer: { shutdown(): Promise<void> } }[],
): Promise<{ xss: SendResult; reader: RecordingConsumer }> {
  await admin.createTopic(TOPIC, { queues: 2 });
  await pollUntil('route', WAIT_MS, async () => (await admin.listTopics()).includes(TOPIC) || undefined);
  await producer.start();
  const xss = await producer.send({ topic: TOPIC, body: XSS_BODY, keys: 'xss-key' });
  for (let i = 0; i < 5; i++) await producer.send({ topic: TOPIC, body: `order ${i}` });
  const common = { nameServer, subscriptions: { [TOPIC]: '*' }, commitIntervalMs: 100 };
  const reader = await recordingConsumer({ ...common, group: GROUP });
  consumers.push(reader);
  const failing = await recordingConsumer({ ...common, group: FAIL_GROUP, maxReconsumeTimes: 1 }, () => {
    throw new Error('always fails');
  });
  consumers.push(failing);
  await waitFor('all consumed', WAIT_MS, () => reader.received.length >= 6);
  await pollUntil('committed', WAIT_MS, async () =>
    (await admin.groupProgress(GROUP, TOPIC)).totalLag === 0 ? true : undefined,
  );
  await pollUntil('dead letters', WAIT_MS, async () =>
    (await admin.dlqMessages(FAIL_GROUP)).length >= 6 ? true : undefined,
  );
  await failing.consumer.shutdown();
  return { xss, reader };
}

/** Cluster: this broker as the Admin API lists it. */
async function checkClusterPage(visit: ConsoleVisit): Promise<void> {
  const { page, base, admin, shots } = visit;
  await page.goto(`${base}/cluster`);
  const [listed] = await admin.clusterList();
  assert.equal((await page.locator('[data-field=brokerName]').textContent())?.trim(), listed!.brokerName);
  assert.equal((await page.locator('[data-field=address]').textContent())?.trim(), listed!.address);
  assert.deepEqual(await cells(page, '#brokers td:nth-child(4)'), [listed!.address]);
  assert.deepEqual(await cells(page, '#name-servers td:nth-child(2)'), ['yes']);
  const { table } = (await admin.brokerStatus(listed!.address))[0]!;
  for (const name of [
    'brokerName',
    'clusterName',
    'brokerAddress',
    'brokerVersionDesc',
    'commitLogMaxOffset',
    'commitLogSegments',
    'topicCount',
  ]) {
    assert.equal((await page.locator(`[data-status=${name}]`).textContent())?.trim(), table[name], name);
  }
  assert.equal(
    (await page.locator('[data-field=bootTimestamp]').textContent())?.trim(),
    new Date(Number(table.bootTimestamp)).toISOString(),
  );
  assert.ok(Number(await page.locator('[data-field=tpsIn]').textContent()) > 0, 'messages came in this minute');
  assert.ok(Number(await page.locator('[data-field=tpsOut]').textContent()) > 0, 'and went out');
  await shoot(page, shots, 'cluster');
  if (process.env.WRITE_DOCS_SCREENSHOT === '1') await page.screenshot({ path: DOCS_SCREENSHOT });
}

/** Topics: the queue offsets the Admin API reports. */
async function checkTopicPage(visit: ConsoleVisit): Promise<void> {
  const { page, base, admin, shots } = visit;
  await page.goto(`${base}/topics`);
  await page.click(`a:text-is("${TOPIC}")`);
  const status = await admin.topicStatus(TOPIC);
  assert.deepEqual(
    await cells(page, '#queues [data-field=minOffset]'),
    status.map((q) => String(q.minOffset)),
  );
  assert.deepEqual(
    await cells(page, '#queues [data-field=maxOffset]'),
    status.map((q) => String(q.maxOffset)),
  );
  assert.equal(await page.locator('#route tr').count(), 2, 'one route row');
  await shoot(page, shots, 'topic');
}

/** Messages: found by id, offset id, key and time; the <script> body is text, and does not run. */
async function checkMessagesPage(visit: ConsoleVisit, xss: SendResult): Promise<void> {
  const { page, base, shots } = visit;
  await page.goto(`${base}/messages?id=${encodeURIComponent(xss.msgId)}&topic=${TOPIC}`);
  assert.equal(await page.locator('#messages pre.body').textContent(), XSS_BODY);
  assert.equal(await page.locator('#messages pre.body b').count(), 0);
  assert.equal(await page.evaluate('typeof window.__consoleXss'), 'undefined');
  await page.goto(`${base}/messages?id=${xss.offsetMsgId}`);
  assert.deepEqual(await cells(page, '#messages pre.body'), [XSS_BODY], 'by offset id alone');
  const foreignId = `${xss.offsetMsgId.slice(0, 8)}00000001${xss.offsetMsgId.slice(16)}`;
  await page.goto(`${base}/messages?id=${foreignId}`);
  assert.equal(await page.locator('#messages tr.message').count(), 0, "another broker's offset id finds nothing here");
  await page.goto(`${base}/messages?topic=${TOPIC}&from=yesterday`);
  assert.equal(await page.locator('#messages tr.message').count(), 0, 'not a time');
  await page.goto(`${base}/messages?topic=${TOPIC}&key=xss-key`);
  assert.deepEqual(await cells(page, '#messages pre.body'), [XSS_BODY]);
  await page.goto(`${base}/messages?topic=${TOPIC}&from=0`);
  assert.equal(await page.locator('#messages tr.message').count(), 6);
  await shoot(page, shots, 'messages');
}

/** Send a test message: the Admin API finds it by the id the page shows. */
async function checkSendMessage(visit: ConsoleVisit): Promise<void> {
  const { page, base, admin, shots } = visit;
  await page.goto(`${base}/messages`);
  await page.fill('#send-message input[name=topic]', TOPIC);
  await page.fill('#send-message input[name=keys]', 'from-console');
  await page.fill('#send-message textarea[name=body]', 'hello from the console');
  await page.click('#send-message button');
  const sentId = await page.locator('#messages tr.message').getAttribute('data-msg-id');
  const found = await admin.messageById(sentId!, TOPIC);
  assert.equal(Buffer.from(found!.body).toString('utf8'), 'hello from the console');
  await shoot(page, shots, 'message-sent');
}

/** Groups: the members, subscriptions, offsets and lag the Admin API reports (the reader leaves on the way); returns the offsets shown. */
async function checkGroupPages(visit: ConsoleVisit, reader: RecordingConsumer): Promise<GroupProgress> {
  const { page, base, admin, shots } = visit;
  await waitFor('reader got the test message', WAIT_MS, () => reader.received.length >= 7);
  await pollUntil('committed again', WAIT_MS, async () =>
    (await admin.groupProgress(GROUP, TOPIC)).totalLag === 0 ? true : undefined,
  );
  await page.goto(`${base}/groups?group=${GROUP}`);
  const described = await admin.describeGroup(GROUP);
  assert.deepEqual(
    await cells(page, '#members td:first-child'),
    described.members.map((member) => member.clientId),
  );
  assert.deepEqual(
    (await cells(page, '#subscriptions td:first-child')).sort(),
    described.subscriptions.map((subscription) => subscription.topic).sort(),
  );
  await shoot(page, shots, 'group-live');
  await page.goto(`${base}/groups`);
  assert.equal((await page.locator(`[data-group=${GROUP}] [data-field=members]`).textContent())?.trim(), '1');
  await reader.consumer.shutdown();
  await page.goto(`${base}/groups?group=${GROUP}`);
  const progress = await admin.groupProgress(GROUP, TOPIC);
  assert.deepEqual(
    await cells(page, '#offsets [data-field=consumerOffset]'),
    progress.queues.map((q) => String(q.consumerOffset)),
  );
  assert.deepEqual(
    await cells(page, '#offsets [data-field=lag]'),
    progress.queues.map((q) => String(q.lag)),
  );
  await shoot(page, shots, 'group');
  return progress;
}

/** Reset offsets to the epoch from the group page left open, through the confirmation page: nothing changes before confirming. */
async function checkResetOffsets(visit: ConsoleVisit, before: GroupProgress): Promise<void> {
  const { page, admin, shots } = visit;
  await page.fill('#reset-offset input[name=time]', '0');
  await page.click('#reset-offset button');
  assert.match((await page.locator('#question').textContent()) ?? '', /Reset group console-readers/);
  assert.deepEqual(await cells(page, '#plan [data-field=newOffset]'), ['0', '0']);
  await shoot(page, shots, 'reset-confirm');
  assert.deepEqual(
    (await admin.groupProgress(GROUP, TOPIC)).queues.map((q) => q.consumerOffset),
    before.queues.map((q) => q.consumerOffset),
    'nothing before confirming',
  );
  await page.click('#confirm button');
  assert.match((await page.locator('#message').textContent()) ?? '', /^Reset console-readers/);
  assert.deepEqual(
    (await admin.groupProgress(GROUP, TOPIC)).queues.map((q) => q.consumerOffset),
    [0, 0],
  );
}

/** Dead letters: the listing matches, and a resend lands in the retry topic. */
async function checkDeadLetters(visit: ConsoleVisit): Promise<void> {
  const { page, base, admin, shots } = visit;
  const letters = await admin.dlqMessages(FAIL_GROUP);
  await page.goto(`${base}/dead-letters?group=${FAIL_GROUP}`);
  assert.equal(await page.locator('#dead-letters tr.message').count(), letters.length);
  await shoot(page, shots, 'dead-letters');
  const retryTopic = `%RETRY%${FAIL_GROUP}`;
  const retriedBefore = (await admin.topicStatus(retryTopic)).reduce((sum, q) => sum + q.maxOffset, 0);
  await page.locator('#dead-letters tr.message').first().locator('button').click();
  assert.match((await page.locator('#message').textContent()) ?? '', /^Resent /);
  const retriedAfter = (await admin.topicStatus(retryTopic)).reduce((sum, q) => sum + q.maxOffset, 0);
  assert.equal(retriedAfter, retriedBefore + 1);
}

/** Charts: two SVG charts of two lines each. */
async function checkChartsPage(visit: ConsoleVisit): Promise<void> {
  const { page, base, shots } = visit;
  await page.goto(`${base}/charts`);
  assert.equal(await page.locator('svg polyline').count(), 4);
  await shoot(page, shots, 'charts');
}

/** Create, then delete a topic (after confirming). */
async function checkCreateAndDeleteTopic(visit: ConsoleVisit): Promise<void> {
  const { page, base, admin, shots } = visit;
  await page.goto(`${base}/topics`);
  await page.fill('#create-topic input[name=topic]', 'console-created');
  await page.fill('#create-topic input[name=queues]', '3');
  await page.click('#create-topic button');
  assert.equal((await page.locator('#message').textContent())?.trim(), 'Created topic console-created');
  assert.equal((await admin.topicStatus('console-created')).length, 3);
  await pollUntil(
    'created route',
    WAIT_MS,
    async () => (await admin.listTopics()).includes('console-created') || undefined,
  );
  await page.click('#delete-topic button');
  await shoot(page, shots, 'delete-confirm');
  await page.click('#confirm button');
  assert.equal((await page.locator('#message').textContent())?.trim(), 'Deleted topic console-created');
  await pollUntil(
    'route gone',
    WAIT_MS,
    async () => !(await admin.listTopics()).includes('console-created') || undefined,
  );
  assert.ok(!(await cells(page, '#topics td:first-child')).includes('console-created'));
}

test('web console: every page shows what the Admin API reports and every action works, in chromium', async () => {
  if (chromiumMissing()) return;
  const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-console-'));
  console.log(`web console: screenshots in ${shots}`);
  const directory = temporaryDirectory('web-console');
  const broker = await startBrokerProcess({ dataDirectory: directory.path, httpPort: 0, label: 'web-console' });
  const nameServer = broker.nameServerAddress!;
  const admin = new Admin({ nameServer });
  const producer = new Producer({ nameServer, group: 'console-producer' });
  let browser: Browser | undefined;
  const consumers: { consumer: { shutdown(): Promise<void> } }[] = [];
  try {
    const { xss, reader } = await makeTraffic(admin, producer, nameServer, consumers);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const visit: ConsoleVisit = { page, base: `http://127.0.0.1:${broker.httpPort}/console`, admin, shots };
    await checkClusterPage(visit);
    await checkTopicPage(visit);
    await checkMessagesPage(visit, xss);
    await checkSendMessage(visit);
    const progress = await checkGroupPages(visit, reader);
    await checkResetOffsets(visit, progress);
    await checkDeadLetters(visit);
    await checkChartsPage(visit);
    await checkCreateAndDeleteTopic(visit);
  } finally {
    await browser?.close();
    for (const { consumer } of consumers) await consumer.shutdown().catch(() => undefined);
    await producer.shutdown();
    await admin.close();
    await stopAll([broker]);
    directory.remove();
  }
});

function basic(account: { accessKey: string; secretKey: string }): string {
  return `Basic ${Buffer.from(`${account.accessKey}:${account.secretKey}`).toString('base64')}`;
}

async function post(
  broker: BrokerProcess,
  action: string,
  form: Record<string, string>,
  headers: Record<string, string>,
) {
  return fetch(`http://127.0.0.1:${broker.httpPort}/console/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
}

test('web console: a cross-site or tokenless form is refused and a read-only account cannot act or read bodies', async () => {
  const directory = temporaryDirectory('web-console-acl');
  const broker = await startBrokerProcess({
    dataDirectory: directory.path,
    httpPort: 0,
    acl: { accounts: [{ ...ADMIN_ACCOUNT, admin: true }, { ...READER_ACCOUNT }] },
    label: 'web-console-acl',
  });
  const base = `http://127.0.0.1:${broker.httpPort}/console`;
  try {
    const asAdmin = { authorization: basic(ADMIN_ACCOUNT) };
    const asReader = { authorization: basic(READER_ACCOUNT) };
    assert.equal((await fetch(`${base}/cluster`)).status, 401);
    assert.equal((await fetch(`${base}/cluster`, { headers: asReader })).status, 200);
    assert.equal((await fetch(`${base}/messages`, { headers: asReader })).status, 403, 'bodies are for admins');
    assert.equal((await fetch(`${base}/dead-letters`, { headers: asReader })).status, 403, 'so are dead letters');
    for (const page of ['topics', 'groups', 'charts'])
      assert.equal((await fetch(`${base}/${page}`, { headers: asReader })).status, 200, page);
    const topicsPage = await (await fetch(`${base}/topics`, { headers: asAdmin })).text();
    const token = /name="csrf" value="([^"]+)"/.exec(topicsPage)![1]!;
    const create = (name: string) => ({ topic: name, queues: '1', csrf: token });
    assert.equal((await post(broker, 'topics/create', { topic: 'no-token' }, asAdmin)).status, 403);
    assert.equal(
      (await post(broker, 'topics/create', create('cross-site'), { ...asAdmin, 'sec-fetch-site': 'cross-site' }))
        .status,
      403,
    );
    assert.equal(
      (await post(broker, 'topics/create', create('other-origin'), { ...asAdmin, origin: 'http://evil.example' }))
        .status,
      403,
    );
    assert.equal((await post(broker, 'topics/create', create('by-reader'), asReader)).status, 403);
    const huge = await post(broker, 'topics/create', { ...create('too-large'), pad: 'x'.repeat(300 * 1024) }, asAdmin);
    assert.equal(huge.status, 413, 'a form past HTTP_FORM_BYTES_MAX');
    const topics = await (await fetch(`${base}/topics`, { headers: asAdmin })).text();
    for (const refused of ['no-token', 'cross-site', 'other-origin', 'by-reader', 'too-large'])
      assert.ok(!topics.includes(refused), refused);
    const made = await post(broker, 'topics/create', create('by-admin'), {
      ...asAdmin,
      'sec-fetch-site': 'same-origin',
    });
    assert.equal(made.status, 200);
    assert.match(await made.text(), /Created topic by-admin/);
  } finally {
    await stopAll([broker]);
    directory.remove();
  }
});

test.run();
