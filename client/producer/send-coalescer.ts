// Batches concurrent sends to the same queue without adding latency: while a request to a
// queue is in flight, further sends to it wait, and when it returns they all go in one
// SEND_BATCH_MESSAGE. One awaited send therefore goes out at once, alone; a thousand sends in
// flight become a handful of frames. At most one request per queue is in flight, which also
// keeps each queue's order. Sends that may not be batched (delayed ones) go alone, in order.

export interface CoalescedSend<Message, Result> {
  readonly message: Message;
  readonly bytes: number;
  readonly batchable: boolean;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export interface CoalescerLimits {
  readonly maxBatchCount: number;
  readonly maxBatchBytes: number;
}

interface Lane<Message, Result> {
  busy: boolean;
  readonly waiting: CoalescedSend<Message, Result>[];
}

export class SendCoalescer<Queue, Message, Result> {
  private readonly lanes = new Map<string, Lane<Message, Result>>();

  constructor(
    private readonly keyOf: (queue: Queue) => string,
    /** Sends one or more messages to a queue as one request; one result per message. */
    private readonly sendRequest: (queue: Queue, messages: Message[]) => Promise<Result[]>,
    private readonly limits: CoalescerLimits,
  ) {}

  submit(queue: Queue, message: Message, bytes: number, batchable: boolean): Promise<Result> {
    return new Promise<Result>((resolve, reject) =>
      this.enqueue(queue, { message, bytes, batchable, resolve, reject }),
    );
  }

  /** submit() for a caller that settles its own promise (resolve and reject are called once). */
  enqueue(queue: Queue, send: CoalescedSend<Message, Result>): void {
    const key = this.keyOf(queue);
    let lane = this.lanes.get(key);
    if (lane === undefined) this.lanes.set(key, (lane = { busy: false, waiting: [] }));
    lane.waiting.push(send);
    if (!lane.busy) void this.drain(key, lane, queue);
  }

  private async drain(key: string, lane: Lane<Message, Result>, queue: Queue): Promise<void> {
    lane.busy = true;
    while (lane.waiting.length > 0) {
      const group = this.takeGroup(lane.waiting);
      try {
        const results = await this.sendRequest(
          queue,
          group.map((send) => send.message),
        );
        group.forEach((send, i) => send.resolve(results[i]!));
      } catch (error) {
        for (const send of group) send.reject(error);
      }
    }
    lane.busy = false;
    this.lanes.delete(key);
  }

  /** The next request's sends: a run of batchable ones within the limits, or one alone. */
  private takeGroup(waiting: CoalescedSend<Message, Result>[]): CoalescedSend<Message, Result>[] {
    const first = waiting[0]!;
    if (!first.batchable) return waiting.splice(0, 1);
    let count = 1;
    let bytes = first.bytes;
    while (count < waiting.length && count < this.limits.maxBatchCount) {
      const next = waiting[count]!;
      if (!next.batchable || bytes + next.bytes > this.limits.maxBatchBytes) break;
      bytes += next.bytes;
      count++;
    }
    return waiting.splice(0, count);
  }
}
