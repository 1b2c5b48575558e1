// The consumer's `receive <topic>` span (kind CONSUMER), one per pull that brought messages:
// from the moment the pull was sent to its answer, linked to each message's producer context
// (the messaging conventions' batch receive). Empty long polls record nothing, or every idle
// queue would add a span each suspend period. Called only when tracingActive().
import { SpanKind, trace, type Link } from '@opentelemetry/api';

import {
  MESSAGING_ATTRIBUTE as A,
  MESSAGING_SYSTEM,
  contextFromProperties,
  messagingTracer,
} from '../../protocol/messaging-tracing.js';
import type { ReceivedMessage } from '../../protocol/message-decoder.js';
import type { MessageQueue } from '../topic-route.js';

const OPERATION = 'receive';

export function recordReceiveSpan(
  group: string,
  queue: MessageQueue,
  address: string,
  startedMs: number,
  messages: readonly ReceivedMessage[],
): void {
  const links: Link[] = [];
  for (const message of messages) {
    const producer = trace.getSpanContext(contextFromProperties(message.properties));
    if (producer !== undefined) links.push({ context: producer });
  }
  const colon = address.lastIndexOf(':');
  const span = messagingTracer().startSpan(`${OPERATION} ${queue.topic}`, {
    kind: SpanKind.CONSUMER,
    startTime: startedMs,
    links,
    attributes: {
      [A.system]: MESSAGING_SYSTEM,
      [A.operationType]: OPERATION,
      [A.operationName]: OPERATION,
      [A.destination]: queue.topic,
      [A.partition]: String(queue.queueId),
      [A.consumerGroup]: group,
      [A.clientGroup]: group,
      [A.brokerName]: queue.brokerName,
      [A.batchCount]: messages.length,
      [A.serverAddress]: address.slice(0, colon),
      [A.serverPort]: Number(address.slice(colon + 1)),
    },
  });
  span.end();
}
