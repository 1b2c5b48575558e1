// Runs the user's handler over delivered messages, at most `concurrency` at a time, across
// all queues. A handler that resolves marks its message done; one that throws or returns
// 'retry' sends it back to the broker for a later redelivery (then it is done here); if even
// that fails it is retried locally after a pause. The async iterator mode yields messages one
// at a time instead, and counts a message done when the loop asks for the next one.
import type { ProcessQueue } from './process-queue.js';
import type { ReceivedMessage } from '../../protocol/message-decoder.js';
import { LOCAL_RETRY_DELAY_MS } from '../client-constants.js';

/**
 * What a handler may return: 'success' (the same as returning nothing) or 'retry' (the same as
 * throwing: the message is sent back for a later redelivery).
 */
export type ConsumeVerdict = 'success' | 'retry';
/**
 * A PushConsumer's handler: resolving (or returning 'success') marks the message done; throwing,
 * rejecting or returning 'retry' sends it back for a later retry (orderly: retried in place).
 */
export type MessageHandler = (message: ReceivedMessage) => unknown;

interface Delivery {
  readonly processQueue: ProcessQueue;
  readonly message: ReceivedMessage;
}

/** One deliver() call's messages, handed out in order; `next` is the first not yet taken. */
interface Run {
  readonly processQueue: ProcessQueue;
  readonly messages: readonly ReceivedMessage[];
  next: number;
}

/** Taken runs are dropped from the front of the line once this many have piled up there. */
const TAKEN_RUNS_COMPACT_AT = 1024;

export interface DispatcherHooks {
  /** The message is done: drop it from its queue and advance the committable offset. */
  processed(processQueue: ProcessQueue, message: ReceivedMessage): void;
  /** Sends a failed message back to the broker for redelivery. */
  sendBack(processQueue: ProcessQueue, message: ReceivedMessage): Promise<void>;
  /** Called with an error a handler threw, for the owner's 'error' reporting. */
  handlerFailed(error: unknown, message: ReceivedMessage): void;
}

export class ConsumeDispatcher {
  /** Delivered messages not yet started, a run per deliver() (no object per message). */
  private readonly pending: (Run | undefined)[] = [];
  private head = 0;
  private running = 0;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private idleWaiters: (() => void)[] = [];
  private handler: MessageHandler | undefined;
  private iteratorWaiter: ((delivery: Delivery | undefined) => void) | undefined;
  /** The message the iterator loop holds: done only when the loop asks for the next one. */
  private held: Delivery | undefined;
  private closed = false;
  /** Set while pump() runs, so handlers settling synchronously do not re-enter it. */
  private pumping = false;

  constructor(
    private readonly concurrency: number,
    private readonly hooks: DispatcherHooks,
  ) {}

  useHandler(handler: MessageHandler): void {
    this.handler = handler;
  }

  deliver(processQueue: ProcessQueue, messages: readonly ReceivedMessage[]): void {
    if (messages.length === 0) return;
    this.pending.push({ processQueue, messages, next: 0 });
    this.pump();
  }

  /** Messages as an async iterator; each is done when the loop moves on to the next. */
  async *messages(): AsyncGenerator<ReceivedMessage, void, undefined> {
    let current: Delivery | undefined;
    try {
      for (;;) {
        // Not held any more when close() let it go: then it was not processed.
        if (current !== undefined && this.held === current) {
          this.hooks.processed(current.processQueue, current.message);
          current.processQueue.endRun();
        }
        this.held = current = undefined;
        current = await this.nextDelivery();
        // Closed while that was settling: the message stays unprocessed, for the next owner.
        if (current === undefined || this.closed) return;
        current.processQueue.beginRun();
        this.held = current;
        yield current.message;
      }
    } finally {
      // A loop that stopped early leaves its message unprocessed: the next owner gets it again.
      if (current !== undefined && this.held === current) current.processQueue.endRun();
      this.held = undefined;
      this.notifyIdle();
    }
  }

  /** Stops taking new work; resolves when running handlers finish or `timeoutMs` passes. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    this.iteratorWaiter?.(undefined);
    // The message an iterator loop holds is not waited for (the loop may be what awaits this
    // shutdown): it stays unprocessed, so uncommitted, and the group's next owner gets it.
    this.held?.processQueue.endRun();
    this.held = undefined;
    if (this.running === 0) return;
    await Promise.race([
      new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
      new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
  }

  private nextDelivery(): Promise<Delivery | undefined> {
    const run = this.liveRun();
    if (run !== undefined)
      return Promise.resolve({ processQueue: run.processQueue, message: run.messages[run.next++]! });
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.iteratorWaiter = resolve;
    });
  }

  /** The run with the next message to start; runs of dropped queues are skipped. */
  private liveRun(): Run | undefined {
    while (this.head < this.pending.length) {
      const run = this.pending[this.head]!;
      if (run.next < run.messages.length && !run.processQueue.dropped) return run;
      // Let go of the run's messages now, not only when the line is compacted.
      this.pending[this.head++] = undefined;
      if (this.head >= TAKEN_RUNS_COMPACT_AT && this.head * 2 > this.pending.length) {
        this.pending.splice(0, this.head);
        this.head = 0;
      }
    }
    return undefined;
  }

  private pump(): void {
    if (this.handler === undefined) {
      const waiter = this.iteratorWaiter;
      if (waiter === undefined) return;
      const run = this.liveRun();
      if (run === undefined) return;
      this.iteratorWaiter = undefined;
      waiter({ processQueue: run.processQueue, message: run.messages[run.next++]! });
      return;
    }
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.running < this.concurrency) {
        const run = this.liveRun();
        if (run === undefined) return;
        this.start(run.processQueue, run.messages[run.next++]!);
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Runs the handler. A synchronous handler's message is settled at once, with no promise per
   * message (that cost more than decoding it); a promise is settled when it resolves.
   */
  private start(processQueue: ProcessQueue, message: ReceivedMessage): void {
    this.running++;
    processQueue.beginRun();
    let verdict: unknown;
    try {
      verdict = this.handler!(message);
    } catch (error) {
      this.hooks.handlerFailed(error, message);
      verdict = 'retry';
    }
    if (!isThenable(verdict)) return this.settle(processQueue, message, verdict);
    verdict.then(
      (resolved) => this.settle(processQueue, message, resolved),
      (error: unknown) => {
        this.hooks.handlerFailed(error, message);
        this.settle(processQueue, message, 'retry');
      },
    );
  }

  /** Marks the message done, or sends it back (or schedules a local retry) for 'retry'. */
  private settle(processQueue: ProcessQueue, message: ReceivedMessage, verdict: unknown): void {
    if (verdict !== 'retry' || processQueue.dropped) {
      if (verdict !== 'retry') this.hooks.processed(processQueue, message);
      return this.finish(processQueue);
    }
    this.hooks.sendBack(processQueue, message).then(
      () => {
        this.hooks.processed(processQueue, message);
        this.finish(processQueue);
      },
      () => {
        const timer = setTimeout(() => {
          this.retryTimers.delete(timer);
          if (!this.closed && !processQueue.dropped) this.deliver(processQueue, [message]);
        }, LOCAL_RETRY_DELAY_MS);
        this.retryTimers.add(timer);
        this.finish(processQueue);
      },
    );
  }

  private finish(processQueue: ProcessQueue): void {
    processQueue.endRun();
    this.running--;
    if (this.running === 0) this.notifyIdle();
    this.pump();
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
