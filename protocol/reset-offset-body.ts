// ResetOffsetBody: the new offset of each queue, in the body of INVOKE_BROKER_TO_RESET_OFFSET's
// response and of RESET_CONSUMER_CLIENT_OFFSET. RocketMQ serializes its Map<MessageQueue, Long>
// with fastjson, which writes each key as an object (fields in alphabetical order), a form
// JSON.parse cannot read; Java clients expect exactly it:
//
//   {"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"orders"}:42,...}}
//
// Topic and broker names never contain '"' or '\' (protocol/name-rules.ts), so no escaping.

/** A queue (topic, broker, queue id) and an offset in it. */
export interface QueueOffset {
  readonly topic: string;
  readonly brokerName: string;
  readonly queueId: number;
  readonly offset: number;
}

const ENTRY_PATTERN = /\{"brokerName":"([^"\\]*)","queueId":(\d+),"topic":"([^"\\]*)"\}:(-?\d+)/g;

export function encodeResetOffsetBody(offsets: readonly QueueOffset[]): Buffer {
  const entries = offsets.map(
    (entry) =>
      `{"brokerName":"${entry.brokerName}","queueId":${entry.queueId},"topic":"${entry.topic}"}:${entry.offset}`,
  );
  return Buffer.from(`{"offsetTable":{${entries.join(',')}}}`, 'utf8');
}

export function decodeResetOffsetBody(body: Buffer): QueueOffset[] {
  const offsets: QueueOffset[] = [];
  for (const match of body.toString('utf8').matchAll(ENTRY_PATTERN)) {
    offsets.push({ brokerName: match[1]!, queueId: Number(match[2]), topic: match[3]!, offset: Number(match[4]) });
  }
  return offsets;
}
