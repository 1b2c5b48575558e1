// What a consumer does with a pulled record it cannot decode (see QueuePuller): it reports an
// UndecodableMessageError naming the record, then handles it as a failed message: sends it
// back by its commit log offset (CONSUMER_SEND_MSG_BACK), so it goes through %RETRY%<group>
// and, after maxReconsumeTimes, to %DLQ%<group>, and then counts it processed so the queue's
// offset moves past it. A send-back that fails is reported and tried again after a pause, as a
// failed handler's message is; the record stays held meanwhile, so its offset is not committed.
import type { ProcessQueue } from './process-queue.js';
import type { UndecodableRecord } from '../../protocol/message-decoder.js';
import { UndecodableMessageError } from './undecodable-message-error.js';

export interface UndecodableRecordHooks {
  report(error: unknown): void;
  /** CONSUMER_SEND_MSG_BACK of the record; resolves once the broker has stored the copy. */
  sendBack(processQueue: ProcessQueue, record: UndecodableRecord): Promise<void>;
  processed(processQueue: ProcessQueue, record: UndecodableRecord): void;
}

export class UndecodableRecords {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly hooks: UndecodableRecordHooks,
    /** Pause before a failed send-back is tried again. */
    private readonly retryDelayMs: number,
  ) {}

  handle(processQueue: ProcessQueue, record: UndecodableRecord): void {
    const ids = {
      queue: processQueue.queue,
      msgId: record.offsetMsgId,
      queueOffset: record.queueOffset,
      commitLogOffset: record.commitLogOffset,
    };
    this.hooks.report(new UndecodableMessageError(ids, record.error.message, record.error));
    this.sendBack(processQueue, record);
  }

  /** Stops retrying; records not yet sent back stay uncommitted, so the next owner gets them. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private sendBack(processQueue: ProcessQueue, record: UndecodableRecord): void {
    if (this.closed || processQueue.dropped) return;
    this.hooks.sendBack(processQueue, record).then(
      () => this.hooks.processed(processQueue, record),
      (error: unknown) => {
        if (this.closed) return; // Shutting down: the record stays uncommitted for the next owner.
        this.hooks.report(error);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.sendBack(processQueue, record);
        }, this.retryDelayMs);
        this.timers.add(timer);
      },
    );
  }
}
