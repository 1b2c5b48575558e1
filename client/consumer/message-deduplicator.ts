// Opt-in de-duplication for handlers that are not idempotent themselves: a message whose id
// (UNIQ_KEY, which stays the same across redeliveries, retries and producer re-sends) was
// already processed successfully is not handed to the handler again, and counts as done.
//
// An id is remembered only after the handler succeeded, so a failed message is still retried.
// Two deliveries of one id running at once (a producer's re-send landing in another queue) are
// serialised: the second waits for the first's outcome, then is skipped if it succeeded.
// A crash between the handler's success and `remember` can still let one redelivery through.
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

  /** `handler`, skipping messages already processed. */
  wrap(handler: MessageHandler): MessageHandler {
    return async (message) => {
      const id = message.msgId;
      for (let running = this.inProgress.get(id); running !== undefined; running = this.inProgress.get(id))
        await running.catch(() => undefined);
      const run = this.runOnce(message, handler);
      this.inProgress.set(id, run);
      try {
        return await run;
      } finally {
        if (this.inProgress.get(id) === run) this.inProgress.delete(id);
      }
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

  private async runOnce(message: ReceivedMessage, handler: MessageHandler): Promise<unknown> {
    if (await this.store.seen(message.msgId)) {
      this.skippedCount++;
      return 'success';
    }
    const verdict = await handler(message);
    if (verdict !== 'retry') await this.remember(message);
    return verdict;
  }

  /** Never turned into a failure: that would run the handler again, the very thing to avoid. */
  private async remember(message: ReceivedMessage): Promise<void> {
    try {
      await this.store.remember(message.msgId);
    } catch (error) {
      this.onRememberFailed(error, message);
    }
  }
}
