// The bytes a remoting server holds in unfinished frames, across all its connections: a peer
// can send most of a frame and stop, before any check that needs the body (the signature) can
// run, so this is the memory unauthenticated peers can make the server hold. A connection
// whose next chunk would pass the limit is closed (remoting-frame.ts takes and gives).
import type { FrameByteBudget } from '../protocol/remoting-frame.js';

export class UnfinishedFrameBudget implements FrameByteBudget {
  private held = 0;

  constructor(readonly limitBytes: number) {}

  /** Bytes of unfinished frames held now. */
  get heldBytes(): number {
    return this.held;
  }

  take(bytes: number): boolean {
    if (this.held + bytes > this.limitBytes) return false;
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held -= bytes;
  }
}
