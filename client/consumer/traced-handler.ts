// The consumer's `process <topic>` span (kind CONSUMER), one per message given to the handler:
// a child of the producer's send span, whose context the message carries in its properties (so
// one trace runs producer -> broker -> consumer), and the active span while the handler runs,
// so the handler's own spans nest under it. A handler that throws, rejects or returns 'retry'
// ends it with status ERROR. Untraced (no provider registered) the handler runs as it is.
import { SpanKind, context, trace, type Span } from '@opentelemetry/api';

import {
  MESSAGING_ATTRIBUTE as A,
  MESSAGING_SYSTEM,
  contextFromProperties,
  messagingTracer,
  recordSpanError,
  tracingActive,
} from '../../protocol/messaging-tracing.js';
import type { ReceivedMessage } from '../../protocol/message-decoder.js';
import type { MessageHandler } from './consume-dispatcher.js';

const OPERATION = 'process';
const RETRY_VERDICT = 'retry';

/** `handler`, tracing each message when a tracer provider is registered. */
export function tracedHandler(handler: MessageHandler, group: string): MessageHandler {
  return (message) => (tracingActive() ? processTraced(handler, group, message) : handler(message));
}

function processTraced(handler: MessageHandler, group: string, message: ReceivedMessage): unknown {
  const parent = contextFromProperties(message.properties);
  const span = messagingTracer().startSpan(
    `${OPERATION} ${message.topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        [A.system]: MESSAGING_SYSTEM,
        [A.operationType]: OPERATION,
        [A.operationName]: OPERATION,
        [A.destination]: message.topic,
        [A.partition]: String(message.queueId),
        [A.consumerGroup]: group,
        [A.clientGroup]: group,
        [A.messageId]: message.msgId,
        [A.bodySize]: message.body.length,
      },
    },
    parent,
  );
  if (message.tags !== undefined) span.setAttribute(A.tag, message.tags);
  if (message.keys.length > 0) span.setAttribute(A.keys, [...message.keys]);
  let verdict: unknown;
  try {
    verdict = context.with(trace.setSpan(parent, span), handler, undefined, message);
  } catch (error) {
    endProcessSpan(span, undefined, error);
    throw error;
  }
  if (typeof (verdict as { then?: unknown } | null)?.then !== 'function') {
    endProcessSpan(span, verdict, undefined);
    return verdict;
  }
  (verdict as PromiseLike<unknown>).then(
    (resolved) => endProcessSpan(span, resolved, undefined),
    (error: unknown) => endProcessSpan(span, undefined, error),
  );
  return verdict;
}

function endProcessSpan(span: Span, verdict: unknown, error: unknown): void {
  if (error !== undefined) recordSpanError(span, error);
  else if (verdict === RETRY_VERDICT) recordSpanError(span, new Error('the handler asked for a retry'));
  span.end();
}
