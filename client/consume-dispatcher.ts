// Runs the user's handler over delivered messages, at most `concurrency` at a time, across
// all queues. A handler that resolves marks its message done; one that throws or returns
// 'retry' sends it back to the broker for a later redelivery (then it is done here); if even
// that fails it is retried locally after a pause. The async iterator mode yields messages one
// at a time instead, and counts a message done when the loop asks for the next one.
import type { ProcessQueue } from './process-queue.js';
import type { ReceivedMessage } from './remoting/message-decoder.js';

export type ConsumeVerdict = 'success' | 'retry';
export type MessageHandler = (message: ReceivedMessage) => unknown;

/** Pause before re-running a handler whose message could not be sent back (RocketMQ: 5 s). */
export const LOCAL_RETRY_DELAY_MS = 5000;

interface Delivery {
  readonly processQueue: ProcessQueue;
  readonly message: ReceivedMessage;
}

export interface DispatcherHooks {
  /** The message is done: drop it from its queue and advance the committable offset. */
  processed(processQueue: ProcessQueue, message: ReceivedMessage): void;
  /** Sends a failed message back to the broker for redelivery. */
  sendBack(processQueue: ProcessQueue, message: ReceivedMessage): Promise<void>;
  /** Called with an error a handler threw, for the owner's 'error' reporting. */
  handlerFailed(error: unknown, message: ReceivedMessage): void;
}

export class ConsumeDispatcher {
  private readonly pending: Delivery[] = [];
  private head = 0;
  private running = 0;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private idleWaiters: (() => void)[] = [];
  private handler: MessageHandler | undefined;
  private iteratorWaiter: ((delivery: Delivery | undefined) => void) | undefined;
  private closed = false;

  constructor(
    private readonly concurrency: number,
    private readonly hooks: DispatcherHooks,
  ) {}

  useHandler(handler: MessageHandler): void {
    this.handler = handler;
  }

  deliver(processQueue: ProcessQueue, messages: readonly ReceivedMessage[]): void {
    for (const message of messages) this.pending.push({ processQueue, message });
    this.pump();
  }

  /** Messages as an async iterator; each is done when the loop moves on to the next. */
  async *messages(): AsyncGenerator<ReceivedMessage, void, undefined> {
    let current: Delivery | undefined;
    try {
      for (;;) {
        if (current !== undefined) {
          this.hooks.processed(current.processQueue, current.message);
          current.processQueue.endRun();
          current = undefined;
        }
        current = await this.nextDelivery();
        if (current === undefined) return;
        current.processQueue.beginRun();
        yield current.message;
      }
    } finally {
      // A loop that stopped early leaves its message unprocessed: the next owner gets it again.
      current?.processQueue.endRun();
      this.notifyIdle();
    }
  }

  /** Stops taking new work; resolves when running handlers finish or `timeoutMs` passes. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    this.iteratorWaiter?.(undefined);
    if (this.running === 0) return;
    await Promise.race([
      new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
      new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
  }

  private nextDelivery(): Promise<Delivery | undefined> {
    const ready = this.takeLive();
    if (ready !== undefined || this.closed) return Promise.resolve(ready);
    return new Promise((resolve) => {
      this.iteratorWaiter = resolve;
    });
  }

  /** The next pending delivery whose queue is still ours; dropped queues' messages are skipped. */
  private takeLive(): Delivery | undefined {
    while (this.head < this.pending.length) {
      const delivery = this.pending[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.pending.length) {
        this.pending.splice(0, this.head);
        this.head = 0;
      }
      if (!delivery.processQueue.dropped) return delivery;
    }
    return undefined;
  }

  private pump(): void {
    if (this.handler === undefined) {
      const waiter = this.iteratorWaiter;
      if (waiter === undefined) return;
      const delivery = this.takeLive();
      if (delivery === undefined) return;
      this.iteratorWaiter = undefined;
      waiter(delivery);
      return;
    }
    while (!this.closed && this.running < this.concurrency) {
      const delivery = this.takeLive();
      if (delivery === undefined) return;
      this.running++;
      void this.consume(delivery).finally(() => {
        this.running--;
        if (this.running === 0) this.notifyIdle();
        this.pump();
      });
    }
  }

  private async consume(delivery: Delivery): Promise<void> {
    const { processQueue, message } = delivery;
    processQueue.beginRun();
    try {
      await this.consumeRunning(processQueue, message);
    } finally {
      processQueue.endRun();
    }
  }

  /** Runs the handler, then marks the message done or sends it back (or schedules a local retry). */
  private async consumeRunning(processQueue: ProcessQueue, message: ReceivedMessage): Promise<void> {
    let verdict: unknown;
    try {
      verdict = await this.handler!(message);
    } catch (error) {
      this.hooks.handlerFailed(error, message);
      verdict = 'retry';
    }
    if (verdict !== 'retry') return this.hooks.processed(processQueue, message);
    if (processQueue.dropped) return;
    try {
      await this.hooks.sendBack(processQueue, message);
      this.hooks.processed(processQueue, message);
    } catch {
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        if (!this.closed && !processQueue.dropped) this.deliver(processQueue, [message]);
      }, LOCAL_RETRY_DELAY_MS);
      this.retryTimers.add(timer);
    }
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
