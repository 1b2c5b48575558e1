// Opt-in de-duplication for handlers that are not idempotent themselves: a message whose id
// (UNIQ_KEY, which stays the same across redeliveries, retries and producer re-sends) was
// already processed successfully is not handed to the handler again, and counts as done.
//
// An id is remembered only after the handler succeeded, so a failed message is still retried.
// Two deliveries of one id running at once (a producer's re-send landing in another queue) are
// serialised: the second waits for the first's outcome, then is skipped if it succeeded.
// A crash between the handler's success and `remember` can still let one redelivery through
// (a store whose seen() answers at once but whose remember() is asynchronous widens that by the
// remember's duration: its message counts as done without waiting for it, see runUnseen).
import type { MessageHandler } from './consume-dispatcher.js';
import type { DeduplicationStore } from './deduplication-window.js';
import type { ReceivedMessage } from '../../protocol/message-decoder.js';

export class MessageDeduplicator {
  private readonly inProgress = new Map<string, Promise<unknown>>();
  private skippedCount = 0;

  constructor(
    private readonly store: DeduplicationStore,
    /** A store that could not record an id: the message is done, a redelivery may pass. */
    private readonly onRememberFailed: (error: unknown, message: ReceivedMessage) => void,
  ) {}

  /** Messages skipped as already processed. */
  get skipped(): number {
    return this.skippedCount;
  }

  /**
   * `handler`, skipping messages already processed. With a synchronous store this adds no turn
   * of its own: a message is done as soon as its handler is, as without deduplication, so the
   * pull that follows a batch carries the batch's offsets (an async wrapper settled only after
   * that pull had left, and a SIGKILL then lost progress a plain consumer had committed).
   */
  wrap(handler: MessageHandler): MessageHandler {
    return (message) => {
      const id = message.msgId;
      // A delivery of the id still running: this one goes after it (and after any before it).
      const running = this.inProgress.get(id);
      if (running !== undefined) return this.track(id, this.after(running, message, handler));
      const seen = this.store.seen(id);
      if (isThenable(seen))
        return this.track(
          id,
          Promise.resolve(seen).then((s) => this.runUnseen(message, handler, s, false)),
        );
      const outcome = this.runUnseen(message, handler, seen, true);
      return isThenable(outcome) ? this.track(id, Promise.resolve(outcome)) : outcome;
    };
  }

  /**
   * `messages` without those already processed. A message counts as processed when the loop
   * asks for the next one (as the consumer's iterator counts it done).
   */
  async *filter(messages: AsyncIterable<ReceivedMessage>): AsyncGenerator<ReceivedMessage, void, undefined> {
    let previous: ReceivedMessage | undefined;
    for await (const message of messages) {
      if (previous !== undefined) await this.remember(previous);
      previous = undefined;
      if (await this.store.seen(message.msgId)) {
        this.skippedCount++;
        continue;
      }
      yield message;
      previous = message;
    }
  }

  /** Runs the message once `running` settled, unless that (or an earlier) delivery succeeded. */
  private async after(running: Promise<unknown>, message: ReceivedMessage, handler: MessageHandler): Promise<unknown> {
    await running.catch(() => undefined);
    return this.runUnseen(message, handler, await this.store.seen(message.msgId), false);
  }

  /**
   * Runs the handler unless `seen`. When the store answered synchronously, the handler's own
   * promise is returned and the id is remembered by a reaction registered on it before the
   * dispatcher's: that runs first, in the same turn, so the message is remembered before it
   * counts as done, and is done no later than without deduplication. Otherwise the message
   * counts as done once the store has remembered it.
   */
  private runUnseen(message: ReceivedMessage, handler: MessageHandler, seen: boolean, synchronous: boolean): unknown {
    if (seen) {
      this.skippedCount++;
      return 'success';
    }
    const verdict = handler(message);
    if (!isThenable(verdict)) return this.rememberUnlessRetry(message, verdict);
    const settled = Promise.resolve(verdict);
    if (!synchronous) return settled.then((resolved) => this.rememberUnlessRetry(message, resolved));
    // The dispatcher reports the handler's failure.
    settled.then((resolved) => this.rememberUnlessRetry(message, resolved)).catch(() => undefined);
    return settled;
  }

  private rememberUnlessRetry(message: ReceivedMessage, verdict: unknown): unknown {
    if (verdict === 'retry') return verdict;
    const remembered = this.remember(message);
    return remembered === undefined ? verdict : remembered.then(() => verdict);
  }

  /** Keeps `run` as the id's running delivery until it settles; returns it. */
  private track(id: string, run: Promise<unknown>): Promise<unknown> {
    this.inProgress.set(id, run);
    const untrack = (): void => {
      if (this.inProgress.get(id) === run) this.inProgress.delete(id);
    };
    run.then(untrack, untrack);
    return run;
  }

  /**
   * Never turned into a failure: that would run the handler again, the very thing to avoid.
   * Undefined when a synchronous store recorded it at once.
   */
  private remember(message: ReceivedMessage): Promise<void> | undefined {
    let remembered: void | Promise<void>;
    try {
      remembered = this.store.remember(message.msgId);
    } catch (error) {
      this.onRememberFailed(error, message);
      return undefined;
    }
    if (!isThenable(remembered)) return undefined;
    return Promise.resolve(remembered).catch((error: unknown) => this.onRememberFailed(error, message));
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
