// A send waiting in the producer's coalescer, as one object: its message, where it goes and how
// it settles. A first failure goes to the producer's retries; reject() returns them, so an
// ordered lane can wait for them before its next request. Built per message on the hot
// path, it replaces an object literal plus a closure over the message and queue (one
// allocation instead of two, and no closure context).
import type { CoalescedSend } from './send-coalescer.js';
import type { OutgoingMessage } from './outgoing-message.js';
import type { MessageQueue } from '../topic-route.js';

/** What a failed first attempt becomes: the retries' result, or the error when not retriable. */
export type AfterFirstFailure<Result> = (
  message: OutgoingMessage,
  brokerName: string,
  error: unknown,
) => Promise<Result>;

export class QueuedSend<Result> implements CoalescedSend<OutgoingMessage, Result> {
  readonly bytes: number;
  readonly batchable: boolean;
  readonly ordered: boolean;

  constructor(
    readonly message: OutgoingMessage,
    private readonly queue: MessageQueue,
    readonly resolve: (result: Result) => void,
    private readonly fail: (error: unknown) => void,
    private readonly afterFirstFailure: AfterFirstFailure<Result>,
  ) {
    this.bytes = message.body.length + message.properties.length;
    this.batchable = message.batchable;
    this.ordered = message.shardingKey !== undefined;
  }

  reject(error: unknown): Promise<void> {
    return this.afterFirstFailure(this.message, this.queue.brokerName, error).then(this.resolve, this.fail);
  }
}
