// The producer's `send <topic>` span (kind PRODUCER, messaging semantic conventions): started
// under the caller's active context, its context written into the message's properties by the
// registered propagator (so the broker's store span and the consumer's process span join the
// same trace), ended when the send settles, status ERROR when it fails. The producer calls this
// only when tracingActive(): untraced sends pay nothing. A batch gets one span per message,
// since each message carries its own context to its consumers.
import { SpanKind, context, trace, type Span } from '@opentelemetry/api';

import {
  MESSAGING_ATTRIBUTE as A,
  MESSAGING_SYSTEM,
  messagingTracer,
  propertiesForContext,
  recordSpanError,
} from '../../protocol/messaging-tracing.js';
import type { Message } from './outgoing-message.js';

const OPERATION = 'send';

export type SendMessageType = 'normal' | 'fifo' | 'delay' | 'transaction';

/** What the span records of a send's result (SendResult has these). */
export interface SentMessage {
  readonly msgId: string;
  readonly brokerName: string;
  readonly queueId: number;
}

export interface SendSpan {
  readonly span: Span;
  /** The message with the trace context added to its properties. */
  readonly message: Message;
}

/** Starts the span and returns the message carrying its context (the message as given when it is not an object). */
export function startSendSpan(message: Message, group: string, transactional: boolean): SendSpan {
  const topic = String((message as Partial<Message> | null)?.topic);
  const span = messagingTracer().startSpan(`${OPERATION} ${topic}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      [A.system]: MESSAGING_SYSTEM,
      [A.operationType]: OPERATION,
      [A.operationName]: OPERATION,
      [A.destination]: topic,
      [A.clientGroup]: group,
    },
  });
  if (message === null || typeof message !== 'object') return { span, message };
  span.setAttribute(A.messageType, messageType(message, transactional));
  if (typeof message.tags === 'string') span.setAttribute(A.tag, message.tags);
  if (message.keys !== undefined)
    span.setAttribute(A.keys, typeof message.keys === 'string' ? [message.keys] : [...message.keys]);
  const carried = propertiesForContext(trace.setSpan(context.active(), span));
  return { span, message: { ...message, properties: { ...message.properties, ...carried } } };
}

/** Ends the span when `sending` settles: the ids and queue on success, the error otherwise. */
export function endSendSpan<Result extends SentMessage>(
  span: Span,
  sending: Promise<Result>,
  brokerAddress: (brokerName: string) => string | undefined,
): Promise<Result> {
  return sending.then(
    (result) => {
      span.setAttribute(A.messageId, result.msgId);
      span.setAttribute(A.partition, String(result.queueId));
      span.setAttribute(A.brokerName, result.brokerName);
      const address = brokerAddress(result.brokerName);
      const colon = address?.lastIndexOf(':') ?? -1;
      if (address !== undefined && colon > 0) {
        span.setAttribute(A.serverAddress, address.slice(0, colon));
        span.setAttribute(A.serverPort, Number(address.slice(colon + 1)));
      }
      span.end();
      return result;
    },
    (error: unknown) => {
      recordSpanError(span, error);
      span.end();
      throw error;
    },
  );
}

function messageType(message: Message, transactional: boolean): SendMessageType {
  if (transactional) return 'transaction';
  if (message.delayLevel !== undefined || message.deliverAt !== undefined) return 'delay';
  return message.shardingKey !== undefined ? 'fifo' : 'normal';
}
