// How Tributary's producer, broker and consumer trace messages with OpenTelemetry: the tracer,
// the messaging semantic convention attribute names they share, and the trace context carried
// in message properties (`traceparent`, `tracestate`). Only @opentelemetry/api is used: spans go
// wherever the application's registered tracer provider sends them, and the context is written
// and read by whichever propagator it registered (W3CTraceContextPropagator from
// @opentelemetry/core writes `traceparent`). With no provider registered nothing is traced and
// nothing is allocated per message: tracingActive() is false and the callers skip all of it.
import { readFileSync } from 'node:fs';

import {
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanStatusCode,
  propagation,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';

export const TRACER_NAME = 'tributary';

/** The messaging semantic conventions' names (OpenTelemetry semconv 1.26+), as Tributary sets them. */
export const MESSAGING_ATTRIBUTE = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destination: 'messaging.destination.name',
  partition: 'messaging.destination.partition.id',
  messageId: 'messaging.message.id',
  bodySize: 'messaging.message.body.size',
  batchCount: 'messaging.batch.message_count',
  consumerGroup: 'messaging.consumer.group.name',
  tag: 'messaging.rocketmq.message.tag',
  keys: 'messaging.rocketmq.message.keys',
  messageType: 'messaging.rocketmq.message.type',
  clientGroup: 'messaging.rocketmq.client_group',
  brokerName: 'messaging.rocketmq.broker_name',
  serverAddress: 'server.address',
  serverPort: 'server.port',
} as const;

export const MESSAGING_SYSTEM = 'rocketmq';

/** The package's version, for the tracer's instrumentation scope. */
const TRACER_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** What an unset global provider delegates to: recognised to skip tracing at no cost. */
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * True when the application registered a tracer provider. Checked per message before anything
 * else: the API's no-op tracer would still allocate a span, a context and a carrier per message.
 */
export function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NOOP_TRACER_PROVIDER;
}

export function messagingTracer(): Tracer {
  return trace.getTracer(TRACER_NAME, TRACER_VERSION);
}

const PROPERTIES_GETTER: TextMapGetter<Readonly<Record<string, string>>> = {
  keys: (properties) => Object.keys(properties),
  get: (properties, key) => properties[key],
};

const PROPERTIES_SETTER: TextMapSetter<Record<string, string>> = {
  set: (properties, key, value) => {
    properties[key] = value;
  },
};

/** The producer's context carried in a message's properties, or the root context when there is none. */
export function contextFromProperties(properties: Readonly<Record<string, string>>): Context {
  return propagation.extract(ROOT_CONTEXT, properties, PROPERTIES_GETTER);
}

/** The properties the registered propagator writes for `context` (none when no propagator is registered). */
export function propertiesForContext(context: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context, carrier, PROPERTIES_SETTER);
  return carrier;
}

/** Records a failure on a span: the exception event and status ERROR. */
export function recordSpanError(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
