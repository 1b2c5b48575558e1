// Long polling: a pull that finds nothing is parked here instead of answered, for up to the
// client's suspend timeout, and woken the moment a message lands in its queue (the broker
// calls arrived() after every append) or when its time is up. A consumer group unregistered
// on a connection (UNREGISTER_CLIENT at the consumer's shutdown) has its pulls there answered
// at once: the connection may stay open for other users of a shared client instance, and
// their pulls would otherwise stay held, and the client waiting on them, until their time is up.
import type { Channel } from '../../server/remoting-server.js';

export interface HeldPull {
  readonly group: string;
  readonly topic: string;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly channel: Channel;
  /**
   * Re-runs the pull and answers it; `from` is the connection whose send brought the message,
   * when one did.
   */
  readonly wake: (from?: Channel) => void;
}

interface Parked {
  readonly pull: HeldPull;
  readonly timer: NodeJS.Timeout;
}

export class PullRequestHoldService {
  private readonly parked = new Map<string, Set<Parked>>();
  private count = 0;

  hold(pull: HeldPull, timeoutMs: number): void {
    const key = queueKey(pull.topic, pull.queueId);
    let set = this.parked.get(key);
    if (set === undefined) this.parked.set(key, (set = new Set()));
    const entry: Parked = { pull, timer: setTimeout(() => this.release(key, entry), timeoutMs) };
    set.add(entry);
    this.count++;
  }

  /**
   * Messages now reach `maxQueueOffset` in the queue: wakes pulls waiting below it. `from`: the
   * connection of the send that appended them, if any.
   */
  arrived(topic: string, queueId: number, maxQueueOffset: number, from?: Channel): void {
    const key = queueKey(topic, queueId);
    const set = this.parked.get(key);
    if (set === undefined) return;
    for (const entry of [...set]) if (entry.pull.queueOffset < maxQueueOffset) this.release(key, entry, from);
  }

  channelClosed(channel: Channel): void {
    for (const [key, set] of this.parked) {
      for (const entry of [...set]) {
        if (entry.pull.channel !== channel) continue;
        clearTimeout(entry.timer);
        this.remove(key, entry);
      }
    }
  }

  /** Answers now the pulls of `group` parked from `channel` (the group left; see the top). */
  releaseGroup(channel: Channel, group: string): void {
    for (const [key, set] of [...this.parked]) {
      for (const entry of [...set])
        if (entry.pull.channel === channel && entry.pull.group === group) this.release(key, entry);
    }
  }

  /** Answers every parked pull now (shutdown). */
  releaseAll(): void {
    for (const [key, set] of [...this.parked]) for (const entry of [...set]) this.release(key, entry);
  }

  get size(): number {
    return this.count;
  }

  private release(key: string, entry: Parked, from?: Channel): void {
    clearTimeout(entry.timer);
    if (this.remove(key, entry)) entry.pull.wake(from);
  }

  private remove(key: string, entry: Parked): boolean {
    const set = this.parked.get(key);
    if (set?.delete(entry) !== true) return false;
    this.count--;
    if (set.size === 0) this.parked.delete(key);
    return true;
  }
}

function queueKey(topic: string, queueId: number): string {
  return `${topic}@${queueId}`;
}
