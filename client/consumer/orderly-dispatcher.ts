// Orderly consumption: each queue's messages go to the handler strictly one after another, in
// offset order, while different queues run in parallel, at most `concurrency` at a time. A
// queue is served only while its lock holds (see ProcessQueue.isLocked). After each message a
// queue goes to the back of the line, so with fewer slots than queues every queue progresses.
//
// A handler that throws or returns 'retry' does not skip ahead: its queue is suspended for
// `suspendMs` (RocketMQ's SUSPEND_CURRENT_QUEUE_A_MOMENT, 1 s) and the same message is handed
// over again, with reconsumeTimes counting the local attempts. Once the message has failed
// past maxReconsumeTimes (as many attempts as concurrent mode's retries give: 1 + max), it is
// sent to the group's dead-letter queue (CONSUMER_SEND_MSG_BACK, delay level -1) and the queue
// moves on; if that send fails, the queue is suspended and the send tried again, never skipped.
//
// The async iterator mode hands out one message at a time across all queues (so order holds
// trivially) and counts it done when the loop asks for the next one.
import type { ProcessQueue } from './process-queue.js';
import { receivedMessageFields, type ReceivedMessage } from '../../protocol/message-decoder.js';
import type { MessageHandler } from './consume-dispatcher.js';

/** Compact a queue's backlog once this many consumed messages sit at its front. */
const BACKLOG_COMPACT_AT = 1024;

export interface OrderlyHooks {
  /** The message is done: drop it from its queue and advance the committable offset. */
  processed(processQueue: ProcessQueue, message: ReceivedMessage): void;
  /** Sends a message that failed too often to the dead-letter queue. */
  deadLetter(processQueue: ProcessQueue, message: ReceivedMessage): Promise<void>;
  /** Called with an error a handler threw, for the owner's error reporting. */
  handlerFailed(error: unknown, message: ReceivedMessage): void;
}

export interface OrderlySettings {
  readonly concurrency: number;
  readonly suspendMs: number;
  readonly maxReconsumeTimes: number;
}

/** One queue's line of messages. */
interface Lane {
  readonly processQueue: ProcessQueue;
  readonly backlog: ReceivedMessage[];
  /** Index of the next message to consume in `backlog`. */
  head: number;
  /** A message of this queue is with the handler (or the iterator's loop). */
  busy: boolean;
  /** Waiting in `ready`. */
  queued: boolean;
  /** Failed attempts of the message at `head`. */
  failures: number;
  /** Set while the queue is suspended after a failure. */
  resumeTimer: NodeJS.Timeout | undefined;
}

export class OrderlyDispatcher {
  /** Weak, so a dropped queue's line goes away with its ProcessQueue. */
  private readonly lanes = new WeakMap<ProcessQueue, Lane>();
  private ready: Lane[] = [];
  private running = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private idleWaiters: (() => void)[] = [];
  private handler: MessageHandler | undefined;
  private iteratorWaiter: ((lane: Lane | undefined) => void) | undefined;
  /** The lane whose message the iterator loop holds: done only when the loop asks for the next one. */
  private heldLane: Lane | undefined;
  private closed = false;

  constructor(
    private readonly settings: OrderlySettings,
    private readonly hooks: OrderlyHooks,
  ) {}

  useHandler(handler: MessageHandler): void {
    this.handler = handler;
  }

  deliver(processQueue: ProcessQueue, messages: readonly ReceivedMessage[]): void {
    if (processQueue.dropped || this.closed) return;
    let lane = this.lanes.get(processQueue);
    if (lane === undefined) {
      lane = { processQueue, backlog: [], head: 0, busy: false, queued: false, failures: 0, resumeTimer: undefined };
      this.lanes.set(processQueue, lane);
    }
    for (const message of messages) lane.backlog.push(message);
    this.schedule(lane);
    this.pump();
  }

  /** Messages as an async iterator; each is done when the loop moves on to the next. */
  async *messages(): AsyncGenerator<ReceivedMessage, void, undefined> {
    let lane: Lane | undefined;
    try {
      for (;;) {
        // Not held any more when close() let it go: then it was not processed.
        if (lane !== undefined && this.heldLane === lane) {
          this.hooks.processed(lane.processQueue, lane.backlog[lane.head]!);
          this.advance(lane);
          this.finish(lane);
        }
        this.heldLane = lane = undefined;
        lane = await this.nextLane();
        // Closed while that was settling: the message stays unprocessed, for the next owner.
        if (lane === undefined || this.closed) return;
        lane.busy = true;
        lane.processQueue.beginRun();
        this.heldLane = lane;
        yield lane.backlog[lane.head]!;
      }
    } finally {
      // A loop that stopped early leaves its message unprocessed: the next owner gets it again.
      if (lane !== undefined && this.heldLane === lane) this.finish(lane);
      this.heldLane = undefined;
      this.notifyIdle();
    }
  }

  /** Stops taking new work; resolves when running handlers finish or `timeoutMs` passes. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.iteratorWaiter?.(undefined);
    // The message an iterator loop holds is not waited for (the loop may be what awaits this
    // shutdown): it stays unprocessed, so uncommitted, and the queue's next owner gets it.
    const held = this.heldLane;
    this.heldLane = undefined;
    if (held !== undefined) this.finish(held);
    if (this.running === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs).unref())),
    ]);
    clearTimeout(timer);
  }

  /** Puts a lane in line if it has a message to consume and nothing stops it. */
  private schedule(lane: Lane): void {
    if (lane.queued || lane.busy || lane.resumeTimer !== undefined || this.closed) return;
    if (lane.processQueue.dropped || lane.head >= lane.backlog.length) return;
    lane.queued = true;
    this.ready.push(lane);
  }

  /**
   * The next lane that may consume now. A lane whose lock has expired is left out of line: the
   * lock keeper abandons its queue, and a fresh ProcessQueue takes over once it is locked again.
   */
  private takeReady(): Lane | undefined {
    const now = Date.now();
    while (this.ready.length > 0) {
      const lane = this.ready.shift()!;
      lane.queued = false;
      const pq = lane.processQueue;
      if (pq.dropped || !pq.isLocked(now) || lane.busy || lane.head >= lane.backlog.length) continue;
      return lane;
    }
    return undefined;
  }

  private nextLane(): Promise<Lane | undefined> {
    const lane = this.takeReady();
    if (lane !== undefined || this.closed) return Promise.resolve(lane);
    return new Promise((resolve) => {
      this.iteratorWaiter = resolve;
    });
  }

  private pump(): void {
    if (this.handler === undefined) {
      const waiter = this.iteratorWaiter;
      if (waiter === undefined) return;
      const lane = this.takeReady();
      if (lane === undefined) return;
      this.iteratorWaiter = undefined;
      waiter(lane);
      return;
    }
    while (!this.closed && this.running < this.settings.concurrency) {
      const lane = this.takeReady();
      if (lane === undefined) return;
      this.running++;
      lane.busy = true;
      lane.processQueue.beginRun();
      void this.consumeHead(lane).finally(() => {
        this.running--;
        this.finish(lane);
        if (this.running === 0) this.notifyIdle();
        this.pump();
      });
    }
  }

  /** Consumes the lane's next message once; on failure suspends the lane. */
  private async consumeHead(lane: Lane): Promise<void> {
    const message = lane.backlog[lane.head]!;
    const outcome = await this.attempt(lane, message).catch(() => 'suspend' as const);
    if (outcome === 'done') {
      this.hooks.processed(lane.processQueue, message);
      this.advance(lane);
    } else {
      this.suspend(lane);
    }
  }

  private async attempt(lane: Lane, message: ReceivedMessage): Promise<'done' | 'suspend'> {
    const limit = this.settings.maxReconsumeTimes;
    if (message.reconsumeTimes + lane.failures > limit) return this.deadLetter(lane, message);
    const shown =
      lane.failures === 0
        ? message
        : { ...receivedMessageFields(message), reconsumeTimes: message.reconsumeTimes + lane.failures };
    let verdict: unknown;
    try {
      verdict = await this.handler!(shown);
    } catch (error) {
      this.hooks.handlerFailed(error, shown);
      verdict = 'retry';
    }
    if (verdict !== 'retry') return 'done';
    lane.failures++;
    if (message.reconsumeTimes + lane.failures > limit) return this.deadLetter(lane, message);
    return 'suspend';
  }

  private async deadLetter(lane: Lane, message: ReceivedMessage): Promise<'done' | 'suspend'> {
    try {
      await this.hooks.deadLetter(lane.processQueue, message);
      return 'done';
    } catch {
      return 'suspend';
    }
  }

  /** Moves past the message at the head. */
  private advance(lane: Lane): void {
    lane.failures = 0;
    lane.head++;
    if (lane.head >= BACKLOG_COMPACT_AT && lane.head * 2 >= lane.backlog.length) {
      lane.backlog.splice(0, lane.head);
      lane.head = 0;
    }
  }

  /** The lane's message is no longer running: back in line if it has more. */
  private finish(lane: Lane): void {
    lane.busy = false;
    lane.processQueue.endRun();
    this.schedule(lane);
  }

  private suspend(lane: Lane): void {
    if (lane.processQueue.dropped || this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      lane.resumeTimer = undefined;
      this.schedule(lane);
      this.pump();
    }, this.settings.suspendMs);
    lane.resumeTimer = timer;
    this.timers.add(timer);
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
