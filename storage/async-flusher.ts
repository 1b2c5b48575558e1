// Async flush: appends resolve once their bytes are in the mapping, and this flusher msyncs
// the commit log in the background, every interval when enough pages are dirty and
// everything at the thorough interval. A failed msync is handed to the store, which stops
// accepting writes: silently carrying on would hide lost data.
import { StoreError } from './store-error.js';

export interface AsyncFlusherOptions {
  readonly intervalMs: number;
  readonly leastPages: number;
  readonly thoroughIntervalMs: number;
}

export class AsyncFlusher {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lastThoroughMs: number;

  constructor(
    private readonly flush: () => Promise<number>,
    private readonly dirtyPages: () => number,
    private readonly options: AsyncFlusherOptions,
    private readonly now: () => number,
    private readonly onFailure: (error: StoreError) => void,
  ) {
    this.lastThoroughMs = now();
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    const now = this.now();
    const thorough = now - this.lastThoroughMs >= this.options.thoroughIntervalMs;
    const dirty = this.dirtyPages();
    if (dirty === 0 || (!thorough && dirty < this.options.leastPages)) return;
    this.running = true;
    try {
      await this.flush();
      if (thorough) this.lastThoroughMs = now;
    } catch (error) {
      this.stop();
      this.onFailure(error instanceof StoreError ? error : new StoreError('FLUSH_FAILED', undefined, { cause: error }));
    } finally {
      this.running = false;
    }
  }
}
