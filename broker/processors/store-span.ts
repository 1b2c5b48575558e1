// The broker's `store <topic>` span, one per message stored for a producer's send: a child of
// the producer's send span, whose context the message carries in its properties (read by the
// registered propagator). Kind SERVER: the broker serves the producer's send request; the
// messaging conventions keep PRODUCER and CONSUMER for the two ends, and the consumer's process
// span is a child of the producer's span too (the broker stores `traceparent` as sent). A batch
// gets a span per message, each in its own message's trace. Called only when tracingActive().
import { SpanKind, type Span } from '@opentelemetry/api';

import {
  MESSAGING_ATTRIBUTE as A,
  MESSAGING_SYSTEM,
  contextFromProperties,
  messagingTracer,
  recordSpanError,
} from '../../protocol/messaging-tracing.js';
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import type { AppendResult } from '../../storage/index.js';

const OPERATION = 'store';

export interface StoreTarget {
  readonly topic: string;
  readonly queueId: number;
  readonly producerGroup: string;
}

/** One span per message, each under the context its properties carry. */
export function startStoreSpans(target: StoreTarget, messages: readonly Readonly<Record<string, string>>[]): Span[] {
  const tracer = messagingTracer();
  return messages.map((properties) => {
    const span = tracer.startSpan(
      `${OPERATION} ${target.topic}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [A.system]: MESSAGING_SYSTEM,
          [A.operationName]: OPERATION,
          [A.destination]: target.topic,
          [A.partition]: String(target.queueId),
          [A.clientGroup]: target.producerGroup,
        },
      },
      contextFromProperties(properties),
    );
    const id = properties[PROPERTY.uniqueKey];
    if (id !== undefined) span.setAttribute(A.messageId, id);
    if (messages.length > 1) span.setAttribute(A.batchCount, messages.length);
    return span;
  });
}

/** Ends the spans when the append settles: status ERROR when it failed. */
export function endStoreSpans(spans: readonly Span[], appending: Promise<readonly AppendResult[]>): void {
  appending.then(
    () => {
      for (const span of spans) span.end();
    },
    (error: unknown) => {
      for (const span of spans) {
        recordSpanError(span, error);
        span.end();
      }
    },
  );
}
