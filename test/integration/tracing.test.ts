// OpenTelemetry tracing across producer -> broker -> consumer, recorded by the SDK's in-memory
// exporter. The first test runs with no provider registered (nothing is written into
// messages); the rest register a BasicTracerProvider and the W3C propagator globally, as an
// application would. The chain test runs the broker in this process, so its store spans are
// recorded too; the others use a broker child process, whose spans are not ours to see.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

import { startBroker } from '../../broker/index.js';
import { Admin, Producer, TransactionProducer, type SendResult } from '../../client/index.js';
import { startNameServer } from '../../namesrv/index.js';
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import { AsyncLocalContextManager } from '../support/async-local-context-manager.js';
import { TEST_STORE_OPTIONS } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { recordingConsumer, startMessaging, waitFor, type MessagingFixture } from '../support/messaging-fixture.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const HOST = '127.0.0.1';
const WAIT_MS = 20_000;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

function registerTracing(): void {
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(new AsyncLocalContextManager());
}

function spansNamed(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.name === name);
}

function parentSpanId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

let fixture: MessagingFixture;

test.before(async () => {
  fixture = await startMessaging('tracing', {
    topics: {
      'untraced-orders': 1,
      'failing-orders': 1,
      'poison-orders': 1,
      'batched-orders': 2,
      'pending-orders': 1,
    },
  });
});

test.after(async () => {
  trace.disable();
  propagation.disable();
  context.disable();
  await provider.shutdown();
  await fixture?.close();
});

test('with no tracer provider registered a message carries no traceparent and no span is made', async () => {
  const { consumer, received } = await recordingConsumer({
    nameServer: fixture.nameServer,
    group: 'untraced-group',
    subscriptions: { 'untraced-orders': '*' },
    consumeFrom: 'first',
  });
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'untraced-producer' });
  try {
    await producer.start();
    await producer.send({ topic: 'untraced-orders', body: 'plain', tags: 'a' });
    await waitFor('the untraced message', WAIT_MS, () => received.length === 1);
    assert.is(received[0]!.properties[PROPERTY.traceParent], undefined);
    assert.is(exporter.getFinishedSpans().length, 0);
  } finally {
    await producer.shutdown();
    await consumer.shutdown();
  }
});

/** Sends one order inside an active root span, as a request handler of an application would. */
function sendInCheckoutSpan(producer: Producer): Promise<SendResult> {
  return trace.getTracer('test').startActiveSpan('checkout-request', { root: true }, async (request) => {
    try {
      return await producer.send({ topic: 'chain-orders', body: 'order 1', tags: 'paid', keys: ['k1', 'k2'] });
    } finally {
      request.end();
    }
  });
}

/** The spans of one message's way through, from the application's request to its processing. */
interface ChainSpans {
  readonly request: ReadableSpan;
  readonly send: ReadableSpan;
  readonly store: ReadableSpan;
  readonly receive: ReadableSpan;
  readonly process: ReadableSpan;
}

function chainSpans(): ChainSpans {
  const [request] = spansNamed('checkout-request');
  const [send] = spansNamed('send chain-orders');
  const [store] = spansNamed('store chain-orders');
  const [receive] = spansNamed('receive chain-orders');
  const [process] = spansNamed('process chain-orders');
  assert.ok(request && send && store && receive && process, 'every span recorded');
  return { request, send, store, receive, process };
}

/** One trace: each span a child of the one before, receive linked to the message, the traceparent stored as sent. */
function expectChainLinked({ request, send, store, receive, process }: ChainSpans, carried: string | undefined): void {
  const traceId = send.spanContext().traceId;
  for (const span of [request, store, process]) assert.is(span.spanContext().traceId, traceId, span.name);
  assert.is(parentSpanId(send), request.spanContext().spanId, 'send is a child of the active span');
  assert.is(parentSpanId(store), send.spanContext().spanId, 'store is a child of send');
  assert.is(parentSpanId(process), send.spanContext().spanId, 'process is a child of send');
  const [work] = spansNamed('handler-work');
  assert.is(parentSpanId(work!), process.spanContext().spanId, "the handler's spans nest under process");
  assert.equal(
    receive.links.map((link) => link.context.spanId),
    [send.spanContext().spanId],
    'receive links to the message',
  );
  assert.equal(TRACEPARENT.exec(carried ?? '')?.slice(1), [traceId, send.spanContext().spanId], 'stored as sent');
}

/** Span kinds and the OpenTelemetry messaging attributes (semantic conventions, RocketMQ's). */
function expectChainAttributes({ send, store, receive, process }: ChainSpans, msgId: string, port: number): void {
  assert.is(send.kind, SpanKind.PRODUCER);
  assert.is(store.kind, SpanKind.SERVER);
  assert.is(receive.kind, SpanKind.CONSUMER);
  assert.is(process.kind, SpanKind.CONSUMER);
  assert.is(send.instrumentationScope.name, 'tributary');
  assert.equal(
    {
      system: send.attributes['messaging.system'],
      operation: send.attributes['messaging.operation.type'],
      destination: send.attributes['messaging.destination.name'],
      id: send.attributes['messaging.message.id'],
      tag: send.attributes['messaging.rocketmq.message.tag'],
      keys: send.attributes['messaging.rocketmq.message.keys'],
      group: send.attributes['messaging.rocketmq.client_group'],
      type: send.attributes['messaging.rocketmq.message.type'],
      server: send.attributes['server.address'],
      port: send.attributes['server.port'],
    },
    {
      system: 'rocketmq',
      operation: 'send',
      destination: 'chain-orders',
      id: msgId,
      tag: 'paid',
      keys: ['k1', 'k2'],
      group: 'chain-producer',
      type: 'normal',
      server: HOST,
      port,
    },
  );
  assert.is(store.attributes['messaging.message.id'], msgId);
  assert.is(process.attributes['messaging.message.id'], msgId);
  assert.is(process.attributes['messaging.consumer.group.name'], 'chain-group');
  assert.is(process.attributes['messaging.operation.type'], 'process');
  assert.is(receive.attributes['messaging.batch.message_count'], 1);
  assert.is(process.status.code, SpanStatusCode.UNSET);
}

test('one trace crosses producer send -> broker store -> consumer process, parents linked', async () => {
  registerTracing();
  exporter.reset();
  const directory = temporaryDirectory('tracing-chain');
  const nameServer = await startNameServer({ host: HOST, port: 0 });
  const nameServerAddress = `${HOST}:${nameServer.port}`;
  const broker = await startBroker({
    host: HOST,
    advertisedHost: HOST,
    port: 0,
    dataDirectory: directory.path,
    nameServers: [nameServerAddress],
    store: TEST_STORE_OPTIONS,
  });
  const admin = new Admin({ nameServer: nameServerAddress });
  const producer = new Producer({ nameServer: nameServerAddress, group: 'chain-producer' });
  let consumer: Awaited<ReturnType<typeof recordingConsumer>>['consumer'] | undefined;
  try {
    await admin.createTopic('chain-orders', { queues: 1 });
    await pollUntil(
      'route of chain-orders',
      WAIT_MS,
      async () => (await admin.listTopics()).includes('chain-orders') || undefined,
    );
    await producer.start();
    const sent = await sendInCheckoutSpan(producer);
    const recorded = await recordingConsumer(
      {
        nameServer: nameServerAddress,
        group: 'chain-group',
        subscriptions: { 'chain-orders': '*' },
        consumeFrom: 'first',
      },
      () => trace.getTracer('test').startSpan('handler-work').end(),
    );
    consumer = recorded.consumer;
    await waitFor('the traced message', WAIT_MS, () => recorded.received.length === 1);
    await waitFor('the process span', WAIT_MS, () => spansNamed('process chain-orders').length === 1);

    const spans = chainSpans();
    expectChainLinked(spans, recorded.received[0]!.properties[PROPERTY.traceParent]);
    expectChainAttributes(spans, sent.msgId, broker.port);
  } finally {
    await consumer?.shutdown();
    await producer.shutdown();
    await admin.close();
    await broker.close();
    await nameServer.close();
    directory.remove();
  }
});

test('a handler that throws ends its process span with status ERROR and the retry copy keeps the traceparent', async () => {
  registerTracing();
  exporter.reset();
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'failing-producer' });
  let attempts = 0;
  const { consumer, received } = await recordingConsumer(
    {
      nameServer: fixture.nameServer,
      group: 'failing-group',
      subscriptions: { 'failing-orders': '*' },
      consumeFrom: 'first',
    },
    () => {
      if (++attempts === 1) throw new Error('first attempt fails');
    },
  );
  consumer.onError(() => {});
  try {
    await producer.start();
    await producer.send({ topic: 'failing-orders', body: 'flaky' });
    await waitFor('the redelivery', WAIT_MS, () => spansNamed('process failing-orders').length === 2);
    const [send] = spansNamed('send failing-orders');
    const [failed, retried] = spansNamed('process failing-orders');
    assert.ok(send && failed && retried);
    assert.is(failed.status.code, SpanStatusCode.ERROR);
    assert.is(failed.status.message, 'first attempt fails');
    assert.ok(
      failed.events.some((event) => event.name === 'exception'),
      'the exception is recorded',
    );
    assert.is(retried.status.code, SpanStatusCode.UNSET);
    for (const span of [failed, retried]) {
      assert.is(span.spanContext().traceId, send.spanContext().traceId);
      assert.is(parentSpanId(span), send.spanContext().spanId);
    }
    assert.is(received.length, 2);
    assert.is(received[0]!.properties[PROPERTY.traceParent], received[1]!.properties[PROPERTY.traceParent]);
  } finally {
    await producer.shutdown();
    await consumer.shutdown();
  }
});

test('a dead letter keeps the traceparent its message was sent with', async () => {
  registerTracing();
  exporter.reset();
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'poison-producer' });
  const { consumer } = await recordingConsumer(
    {
      nameServer: fixture.nameServer,
      group: 'poison-group',
      subscriptions: { 'poison-orders': '*' },
      consumeFrom: 'first',
      maxReconsumeTimes: 1,
    },
    () => {
      throw new Error('always fails');
    },
  );
  consumer.onError(() => {});
  try {
    await producer.start();
    await producer.send({ topic: 'poison-orders', body: 'poison' });
    const [dead] = await pollUntil('a dead letter', WAIT_MS, async () => {
      const letters = await fixture.admin.dlqMessages('poison-group');
      return letters.length > 0 ? letters : undefined;
    });
    const [send] = spansNamed('send poison-orders');
    const carried = dead!.message.properties[PROPERTY.traceParent];
    assert.equal(TRACEPARENT.exec(carried ?? '')?.slice(1), [send!.spanContext().traceId, send!.spanContext().spanId]);
  } finally {
    await producer.shutdown();
    await consumer.shutdown();
  }
});

test('a failed send ends its span with status ERROR', async () => {
  registerTracing();
  exporter.reset();
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'refused-producer', retries: 0 });
  try {
    await producer.start();
    await producer.send({ topic: 'no-such-topic-here', body: 'lost' }).then(
      () => assert.unreachable('the send should fail'),
      () => {},
    );
    const [send] = spansNamed('send no-such-topic-here');
    assert.ok(send, 'the span is recorded');
    assert.is(send.status.code, SpanStatusCode.ERROR);
  } finally {
    await producer.shutdown();
  }
});

test('sendBatch makes one send span per message, each consumed in its own trace', async () => {
  registerTracing();
  exporter.reset();
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'batch-producer' });
  const { consumer, received } = await recordingConsumer({
    nameServer: fixture.nameServer,
    group: 'batch-group',
    subscriptions: { 'batched-orders': '*' },
    consumeFrom: 'first',
  });
  try {
    await producer.start();
    const results = await producer.sendBatch('batched-orders', [{ body: 'one' }, { body: 'two' }, { body: 'three' }]);
    await waitFor('the batch', WAIT_MS, () => spansNamed('process batched-orders').length === 3);
    const sends = spansNamed('send batched-orders');
    assert.equal(
      sends.map((span) => span.attributes['messaging.message.id']).sort(),
      results.map((r) => r.msgId).sort(),
    );
    assert.is(new Set(sends.map((span) => span.spanContext().traceId)).size, 3, 'a trace per message');
    for (const process of spansNamed('process batched-orders')) {
      const send = sends.find(
        (span) => span.attributes['messaging.message.id'] === process.attributes['messaging.message.id'],
      );
      assert.is(parentSpanId(process), send?.spanContext().spanId);
    }
    assert.is(received.length, 3);
  } finally {
    await producer.shutdown();
    await consumer.shutdown();
  }
});

test('a transaction message committed later is processed under its send span', async () => {
  registerTracing();
  exporter.reset();
  const producer = new TransactionProducer({
    nameServer: fixture.nameServer,
    group: 'pending-producer',
    check: () => 'commit',
  });
  const { consumer } = await recordingConsumer({
    nameServer: fixture.nameServer,
    group: 'pending-group',
    subscriptions: { 'pending-orders': '*' },
    consumeFrom: 'first',
  });
  try {
    await producer.start();
    await producer.sendInTransaction({ topic: 'pending-orders', body: 'paid' }, () => 'commit');
    await waitFor('the committed message', WAIT_MS, () => spansNamed('process pending-orders').length === 1);
    const [send] = spansNamed('send pending-orders');
    const [process] = spansNamed('process pending-orders');
    assert.is(send?.attributes['messaging.rocketmq.message.type'], 'transaction');
    assert.is(parentSpanId(process!), send?.spanContext().spanId);
  } finally {
    await producer.shutdown();
    await consumer.shutdown();
  }
});

test.run();
