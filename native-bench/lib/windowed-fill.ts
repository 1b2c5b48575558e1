// How the broker benchmarks (orderly, delayed delivery) fill a topic before they measure: sends
// in windows of FILL_SEND_WINDOW, each window awaited before the next, so the fill is fast but
// never has more than a window outstanding.

/** Queues of a broker benchmark's topic. */
export const FILL_QUEUES = 8;
export const FILL_BODY_BYTES = 100;
export const FILL_SEND_WINDOW = 1000;

/** Calls `send(n)` for n = 0 .. total-1, FILL_SEND_WINDOW at a time. */
export async function windowedFill(total: number, send: (n: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < total; i += FILL_SEND_WINDOW) {
    const count = Math.min(FILL_SEND_WINDOW, total - i);
    await Promise.all(Array.from({ length: count }, (_, j) => send(i + j)));
  }
}
