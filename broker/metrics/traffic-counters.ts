// Messages and bytes in and out, counted on the send and pull paths as plain numbers (a map
// lookup and two additions per request); the metrics read them when scraped. Also where each
// group's pulls have reached per queue, for rocketmq_consumer_inflight_messages.
import { BoundedLabels } from './bounded-labels.js';

export interface TrafficCount {
  readonly topic: string;
  /** Empty for messages in. */
  readonly group: string;
  messages: number;
  bytes: number;
}

export class TrafficCounters {
  readonly topicLabels: BoundedLabels;
  readonly groupLabels: BoundedLabels;
  /** By topic name (not label), so the hot path does one lookup. */
  private readonly incoming = new Map<string, TrafficCount>();
  private readonly outgoing = new Map<string, TrafficCount>();
  /** 'group\0topic\0queueId' -> the next offset the group's last pull on that queue returned. */
  private readonly pulledTo = new Map<string, number>();

  constructor(labelsMax: number) {
    this.topicLabels = new BoundedLabels(labelsMax);
    this.groupLabels = new BoundedLabels(labelsMax);
  }

  messagesIn(topic: string, messages: number, bytes: number): void {
    let count = this.incoming.get(topic);
    if (count === undefined) {
      count = { topic: this.topicLabels.labelOf(topic), group: '', messages: 0, bytes: 0 };
      this.incoming.set(topic, count);
    }
    count.messages += messages;
    count.bytes += bytes;
  }

  messagesOut(
    group: string,
    topic: string,
    queueId: number,
    nextOffset: number,
    messages: number,
    bytes: number,
  ): void {
    const key = `${group}\u0000${topic}`;
    let count = this.outgoing.get(key);
    if (count === undefined) {
      count = { topic: this.topicLabels.labelOf(topic), group: this.groupLabels.labelOf(group), messages: 0, bytes: 0 };
      this.outgoing.set(key, count);
    }
    count.messages += messages;
    count.bytes += bytes;
    this.pulledTo.set(`${key}\u0000${queueId}`, nextOffset);
  }

  /** Where `group` has pulled `topic`'s queue to, if it pulled it since the broker started. */
  pulledOffset(group: string, topic: string, queueId: number): number | undefined {
    return this.pulledTo.get(`${group}\u0000${topic}\u0000${queueId}`);
  }

  /** Everything in and out since the broker started (the console's rate history samples it). */
  totals(): { messagesIn: number; bytesIn: number; messagesOut: number; bytesOut: number } {
    const totals = { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 };
    for (const count of this.incoming.values()) {
      totals.messagesIn += count.messages;
      totals.bytesIn += count.bytes;
    }
    for (const count of this.outgoing.values()) {
      totals.messagesOut += count.messages;
      totals.bytesOut += count.bytes;
    }
    return totals;
  }

  /** Counts summed per label pair (several names may share `_other`). */
  incomingByLabel(): TrafficCount[] {
    return sumByLabel(this.incoming.values());
  }

  outgoingByLabel(): TrafficCount[] {
    return sumByLabel(this.outgoing.values());
  }
}

function sumByLabel(counts: Iterable<TrafficCount>): TrafficCount[] {
  const summed = new Map<string, TrafficCount>();
  for (const count of counts) {
    const key = `${count.group}\u0000${count.topic}`;
    const total = summed.get(key);
    if (total === undefined) summed.set(key, { ...count });
    else {
      total.messages += count.messages;
      total.bytes += count.bytes;
    }
  }
  return [...summed.values()];
}
