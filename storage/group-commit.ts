// Sync flush by group commit: an append waits until the commit log is durable past its end.
// Appends that arrive while an msync runs share the next one, so one msync covers as many
// appends as arrive during the previous one. An append not durable within the timeout is
// rejected with FLUSH_TIMEOUT; a failed msync rejects every waiter with FLUSH_FAILED.
import { StoreError } from './store-error.js';

interface Waiter {
  readonly offset: number;
  readonly deadline: number;
  readonly resolve: () => void;
  readonly reject: (error: StoreError) => void;
}

export class GroupCommit {
  private readonly waiters: Waiter[] = [];
  private head = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** msyncs everything written so far; resolves to the durable offset. */
    private readonly flush: () => Promise<number>,
    private readonly timeoutMs: number,
    private readonly now: () => number,
    private readonly onFailure: (error: StoreError) => void,
  ) {}

  /** Resolves once the log is durable up to `offset`. */
  waitFor(offset: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ offset, deadline: this.now() + this.timeoutMs, resolve, reject });
      if (!this.running) {
        this.running = true;
        queueMicrotask(() => void this.run());
      }
      this.timer ??= setInterval(() => this.expire(), Math.max(1, this.timeoutMs / 10)).unref();
    });
  }

  get pending(): number {
    return this.waiters.length - this.head;
  }

  private async run(): Promise<void> {
    while (this.pending > 0) {
      let durable: number;
      try {
        durable = await this.flush();
      } catch (error) {
        const failure =
          error instanceof StoreError ? error : new StoreError('FLUSH_FAILED', undefined, { cause: error });
        this.rejectAll(failure);
        this.onFailure(failure);
        break;
      }
      while (this.head < this.waiters.length && this.waiters[this.head]!.offset <= durable) {
        this.waiters[this.head++]!.resolve();
      }
      this.compact();
    }
    this.running = false;
    this.stopTimerIfIdle();
  }

  private expire(): void {
    const now = this.now();
    while (this.head < this.waiters.length && this.waiters[this.head]!.deadline <= now) {
      this.waiters[this.head++]!.reject(new StoreError('FLUSH_TIMEOUT', `not durable within ${this.timeoutMs} ms`));
    }
    this.compact();
    this.stopTimerIfIdle();
  }

  /** At close: resolves waiters durable by `durable`, rejects the rest with `error`. */
  settle(durable: number, error: StoreError): void {
    while (this.head < this.waiters.length && this.waiters[this.head]!.offset <= durable) {
      this.waiters[this.head++]!.resolve();
    }
    this.rejectAll(error);
    this.stopTimerIfIdle();
  }

  /** Rejects every waiter (failure or close). */
  rejectAll(error: StoreError): void {
    while (this.head < this.waiters.length) this.waiters[this.head++]!.reject(error);
    this.compact();
  }

  private compact(): void {
    if (this.head === this.waiters.length) {
      this.waiters.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
  }

  private stopTimerIfIdle(): void {
    if (this.pending === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
