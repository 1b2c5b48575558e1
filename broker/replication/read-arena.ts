// Where a replica's socket reads go: the free tail of the current arena, another once less than
// the minimum read is left, starting with the decoder's unfinished frame (moved, so the frame
// stays one run of memory and the decoder hands it on as a view instead of joining reads).
// Frames are views of an arena, valid until applied, so a full arena is read into again only
// once every frame decoded from it has been applied (`applied` settles), none is held past that
// (a snapshot may be: `keep`) and the decoder holds no part of it (an unfinished frame too
// large to move stays where it is); otherwise it is left to the garbage collector. Reusing
// arenas matters: a fresh 32 MiB one each ~1.5 s at 20 k msgs/s was external memory that made
// V8 mark the whole heap that often, a pause on the replica's apply path.
import {
  REPLICA_READ_ARENAS_SPARE_MAX,
  REPLICA_READ_ARENA_BYTES,
  REPLICA_READ_BYTES_MIN,
} from '../broker-constants.js';
import type { ReplicationFrameDecoder } from './replication-frame.js';

export interface ReadArenaSizes {
  readonly arenaBytes: number;
  readonly readBytesMin: number;
}

export class ReadArena {
  /** Arenas allocated so far (the first included): reuse keeps it at a few. */
  allocated = 1;
  private arena: Buffer;
  private at = 0;
  private reusable = true;
  private readonly spare: Buffer[] = [];

  constructor(
    private readonly decoder: ReplicationFrameDecoder,
    /** Settles once every frame handed on so far is applied. */
    private readonly applied: () => Promise<void>,
    private readonly sizes: ReadArenaSizes = {
      arenaBytes: REPLICA_READ_ARENA_BYTES,
      readBytesMin: REPLICA_READ_BYTES_MIN,
    },
  ) {
    this.arena = Buffer.allocUnsafe(sizes.arenaBytes);
  }

  /** Room for the next read. */
  free(): Buffer {
    const { arenaBytes, readBytesMin } = this.sizes;
    if (this.arena.length - this.at < readBytesMin) {
      const [full, reusable] = [this.arena, this.reusable];
      this.arena = this.spare.pop() ?? this.allocate();
      this.reusable = true;
      this.at = this.decoder.moveInto(this.arena.subarray(0, arenaBytes - readBytesMin));
      if (reusable && this.decoder.pendingBytes === this.at) void this.applied().then(() => this.retire(full));
    }
    return this.arena.subarray(this.at);
  }

  /** The last read filled `bytes` of the room `free` gave. */
  used(bytes: number): void {
    this.at += bytes;
  }

  /** A frame of the current arena may be held after it is applied: the arena is not read into again. */
  keep(): void {
    this.reusable = false;
  }

  private allocate(): Buffer {
    this.allocated++;
    return Buffer.allocUnsafe(this.sizes.arenaBytes);
  }

  private retire(arena: Buffer): void {
    if (this.spare.length < REPLICA_READ_ARENAS_SPARE_MAX) this.spare.push(arena);
  }
}
