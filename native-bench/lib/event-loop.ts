// Yielding to the event loop. A loop of awaits on already-resolved promises runs entirely in
// microtasks: timers, I/O callbacks and the store's background work never get a turn. Drivers
// call this every so often to behave like a server that returns to the loop between socket reads.
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
