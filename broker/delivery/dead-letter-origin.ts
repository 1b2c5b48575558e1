// What a dead letter records about where it came from, in RocketMQ 5's property names plus
// the reconsume count, so `tributary dlq list` can show it and a resend can undo it:
//
// | property              | value                                                      |
// |-----------------------|------------------------------------------------------------|
// | DLQ_ORIGIN_TOPIC      | the topic the message was first sent to (not %RETRY%...)   |
// | DLQ_ORIGIN_MESSAGE_ID | the producer's message id (UNIQ_KEY) of the first delivery |
// | DLQ_RECONSUME_TIMES   | deliveries that failed (also the record's RECONSUMETIMES)  |
import { PROPERTY } from '../../protocol/message-properties-codec.js';

export interface DeadLetterOrigin {
  readonly topic: string;
  readonly msgId: string;
  readonly reconsumeTimes: number;
}

/** Writes `origin` into a dead letter's properties and drops its delay. */
export function recordDeadLetterOrigin(properties: Record<string, string>, origin: DeadLetterOrigin): void {
  delete properties[PROPERTY.delayLevel];
  properties[PROPERTY.dlqOriginTopic] = origin.topic;
  properties[PROPERTY.dlqOriginMessageId] = origin.msgId;
  properties[PROPERTY.dlqReconsumeTimes] = String(origin.reconsumeTimes);
}

/** Properties a resent dead letter leaves behind: it starts over as a fresh retry. */
export const DEAD_LETTER_ONLY_PROPERTIES = [
  PROPERTY.dlqOriginTopic,
  PROPERTY.dlqOriginMessageId,
  PROPERTY.dlqReconsumeTimes,
  PROPERTY.delayLevel,
  PROPERTY.scheduleSource,
] as const;
