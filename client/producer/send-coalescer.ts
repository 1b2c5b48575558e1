// Batches concurrent sends to the same queue without adding latency: a send to a queue with no
// request in flight goes out at once, alone; sends arriving while requests are in flight wait
// and go together in the next SEND_BATCH_MESSAGE. One awaited send therefore costs one request;
// a thousand sends in flight become a handful of frames.
//
// Each queue has two lanes. Ordered sends (a sharding key) keep one request in flight, so they
// are stored in the order they were sent; when one fails, the lane waits for its sends' retries,
// one after another, before the next request goes (see CoalescedSend.reject). Plain sends promise
// no order within a queue (as RocketMQ's plain send), so their lane keeps up to
// `plainRequestsInFlight` requests in flight: the broker appends one batch while the client
// encodes the next. Sends that may not be batched (delayed ones) go alone.

export interface CoalescedSend<Message, Result> {
  readonly message: Message;
  readonly bytes: number;
  readonly batchable: boolean;
  /** Stored in send order within its queue: a lane of one request in flight. */
  readonly ordered: boolean;
  resolve(result: Result): void;
  /**
   * Settles a failed send. A promise returned here is awaited by an ordered lane before its next
   * request (the send's retries, which go to the broker directly, not through the lane).
   */
  reject(error: unknown): Promise<unknown> | void;
}

export interface CoalescerLimits {
  readonly maxBatchCount: number;
  readonly maxBatchBytes: number;
  /** Requests one queue's plain (unordered) lane may have in flight at once. */
  readonly plainRequestsInFlight: number;
}

interface Lane<Message, Result> {
  inFlight: number;
  readonly limit: number;
  /** A fill of the lane's free request slots is queued for when the current reactions end. */
  fillQueued: boolean;
  readonly waiting: CoalescedSend<Message, Result>[];
}

type Lanes<Message, Result> = Map<string, Lane<Message, Result>>;

export class SendCoalescer<Queue, Message, Result> {
  private readonly plainLanes: Lanes<Message, Result> = new Map();
  private readonly orderedLanes: Lanes<Message, Result> = new Map();

  constructor(
    private readonly keyOf: (queue: Queue) => string,
    /** Sends one or more messages to a queue as one request; one result per message. */
    private readonly sendRequest: (queue: Queue, messages: Message[]) => Promise<Result[]>,
    private readonly limits: CoalescerLimits,
  ) {}

  submit(queue: Queue, message: Message, bytes: number, batchable: boolean, ordered = false): Promise<Result> {
    return new Promise<Result>((resolve, reject) =>
      this.enqueue(queue, { message, bytes, batchable, ordered, resolve, reject }),
    );
  }

  /** submit() for a caller that settles its own promise (resolve and reject are called once). */
  enqueue(queue: Queue, send: CoalescedSend<Message, Result>): void {
    const lanes = send.ordered ? this.orderedLanes : this.plainLanes;
    const key = this.keyOf(queue);
    let lane = lanes.get(key);
    if (lane === undefined) {
      const limit = send.ordered ? 1 : this.limits.plainRequestsInFlight;
      lanes.set(key, (lane = { inFlight: 0, limit, fillQueued: false, waiting: [] }));
    }
    lane.waiting.push(send);
    // A lane with a free slot fills it once this turn's sends have all arrived, so they share
    // the request. That costs an awaited send no latency: the connection holds this turn's
    // frames until its reactions end anyway (RemotingConnection.send).
    if (lane.inFlight < lane.limit) this.queueFill(lanes, key, lane, queue);
  }

  private queueFill(lanes: Lanes<Message, Result>, key: string, lane: Lane<Message, Result>, queue: Queue): void {
    if (lane.fillQueued) return;
    lane.fillQueued = true;
    queueMicrotask(() => {
      lane.fillQueued = false;
      this.fill(lanes, key, lane, queue);
    });
  }

  /** Starts requests while the lane has sends waiting and a free slot; forgets an idle lane. */
  private fill(lanes: Lanes<Message, Result>, key: string, lane: Lane<Message, Result>, queue: Queue): void {
    while (lane.inFlight < lane.limit && lane.waiting.length > 0) {
      lane.inFlight++;
      void this.run(lanes, key, lane, queue, this.takeGroup(lane.waiting));
    }
    if (lane.inFlight === 0 && !lane.fillQueued && lanes.get(key) === lane) lanes.delete(key);
  }

  private async run(
    lanes: Lanes<Message, Result>,
    key: string,
    lane: Lane<Message, Result>,
    queue: Queue,
    group: CoalescedSend<Message, Result>[],
  ): Promise<void> {
    try {
      const results = await this.sendRequest(
        queue,
        group.map((send) => send.message),
      );
      group.forEach((send, i) => send.resolve(results[i]!));
    } catch (error) {
      if (lane.limit === 1) {
        // Ordered: each failed send's retries finish, in order, before the lane moves on.
        for (const send of group) await send.reject(error);
      } else for (const send of group) void send.reject(error);
    }
    lane.inFlight--;
    // The sends this request's results released arrive in the reactions just queued: the next
    // request of the lane takes them too.
    if (lane.waiting.length > 0) this.queueFill(lanes, key, lane, queue);
    else this.fill(lanes, key, lane, queue);
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
