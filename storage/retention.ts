// Retention: deletes the oldest sealed segments once their newest record is older than the
// retention period or while the disk is fuller than the retention ratio; never the newest
// segment, never one a state machine still needs (below the retention floor), and unmaps a
// deleted segment only when its readers are done (or the release timeout passes). Consume
// queues and index files follow the log's start.
import type { CommitLog } from './commit-log.js';
import type { IndexService } from './index-service.js';
import type { MappedFile } from './mapped-file.js';
import { RECORD_LAYOUT } from './message-record.js';
import { Int64 } from './int64.js';
import { DISK_RETENTION_SEGMENTS_PER_PASS_MAX } from './storage-constants.js';
import type { TopicRegistry } from './topic-registry.js';

export interface RetentionPolicy {
  readonly retentionMs: number;
  /** At or above this used fraction of the disk, the oldest segments go whatever their age. */
  readonly diskRetentionRatio: number;
  /** Samples the used fraction of the disk now. */
  readonly diskUsedRatio: () => number;
  readonly releaseTimeoutMs: number;
  readonly floor: (() => number) | undefined;
  readonly now: () => number;
}

export class Retention {
  private readonly releasing: { file: MappedFile; since: number }[] = [];

  constructor(
    private readonly commitLog: CommitLog,
    private readonly topics: TopicRegistry,
    private readonly index: IndexService,
    private readonly policy: RetentionPolicy,
  ) {}

  /** One pass; returns the number of segments deleted. Throws a StoreError if a sync fails. */
  run(): number {
    const now = this.policy.now();
    const floor = this.policy.floor?.() ?? Number.POSITIVE_INFINITY;
    const files = this.commitLog.files.files;
    let deleted = 0;
    while (files.length > 1) {
      const [oldest, next] = [files[0]!, files[1]!];
      // Every record of `oldest` is at most as new as the first record of `next`.
      if (next.wrotePosition === 0) break;
      const newest = Int64.read(next.view, RECORD_LAYOUT.storeTimestamp);
      if (now - newest < this.policy.retentionMs || oldest.endOffset > floor) break;
      this.removeOldest(now);
      deleted++;
    }
    deleted += this.relieveDisk(now, floor);
    if (deleted > 0) {
      // The log's deletions are made durable before the queues and index follow, so a crash
      // never brings back segments that queues no longer list.
      this.commitLog.files.syncDirectory();
      const minOffset = this.commitLog.minOffset;
      for (const queue of this.topics.allQueues()) queue.dropBelow(minOffset);
      this.index.dropBelow(minOffset);
    }
    this.forceOverdue(now);
    return deleted;
  }

  /** Deletes oldest segments, young or not, while the disk is too full; at most a batch a pass. */
  private relieveDisk(now: number, floor: number): number {
    const files = this.commitLog.files.files;
    let deleted = 0;
    while (deleted < DISK_RETENTION_SEGMENTS_PER_PASS_MAX && files.length > 1 && files[0]!.endOffset <= floor) {
      if (this.policy.diskUsedRatio() < this.policy.diskRetentionRatio) break;
      this.removeOldest(now);
      deleted++;
    }
    return deleted;
  }

  private removeOldest(now: number): void {
    const oldest = this.commitLog.files.removeFirst();
    if (oldest?.state === 'deleting') this.releasing.push({ file: oldest, since: now });
  }

  private forceOverdue(now: number): void {
    for (let i = this.releasing.length - 1; i >= 0; i--) {
      const { file, since } = this.releasing[i]!;
      if (file.state === 'released') {
        this.releasing.splice(i, 1);
      } else if (now - since >= this.policy.releaseTimeoutMs) {
        this.releasing.splice(i, 1);
        void file.forceRelease();
      }
    }
  }
}
