// Enforces the quotas of quota-table.ts with token buckets: produce per topic and per account
// (messages/s, bytes/s), pulls per consumer group. A request over a quota is refused whole with
// SYSTEM_BUSY and a retry-after hint (quota-busy-response.ts); nothing of it is taken from any
// bucket, so a refused request costs the quota nothing. Hot path: with no quota at all one size
// check; otherwise a map lookup per scope and arithmetic, no allocation. Each quota's requests
// allowed and refused are plain numbers the metrics read when scraped; they outlive a deleted
// quota (set again, it counts on), so its counters never go backwards.
import { QUOTA_BURST_MS, QUOTA_RETRY_AFTER_MS_MAX, QUOTA_RETRY_AFTER_MS_MIN } from '../broker-constants.js';
import type { Quota, QuotaScope, QuotaTable } from '../state/quota-table.js';
import { TokenBucket } from './token-bucket.js';

/** Requests a quota let through and refused since the broker started. */
export interface QuotaTally {
  allowed: number;
  refused: number;
}

interface Buckets {
  messages: TokenBucket | undefined;
  bytes: TokenBucket | undefined;
  pulls: TokenBucket | undefined;
  readonly tally: QuotaTally;
}

export class QuotaEnforcer {
  private readonly byScope: Record<QuotaScope, Map<string, Buckets>> = {
    topic: new Map(),
    account: new Map(),
    group: new Map(),
  };
  private count = 0;
  /** Per scope, quota name -> its tally (kept after the quota is deleted). */
  readonly tallies: Record<QuotaScope, Map<string, QuotaTally>> = {
    topic: new Map(),
    account: new Map(),
    group: new Map(),
  };

  constructor(
    readonly table: QuotaTable,
    private readonly now: () => number = Date.now,
  ) {
    for (const quota of table.all()) this.change(quota.scope, quota.name, quota);
    table.onChange((scope, name, quota) => this.change(scope, name, quota));
  }

  /** 0 when `messages` of `bytes` may be stored now (and are counted), else the ms to wait. */
  admitProduce(topic: string, account: string | undefined, messages: number, bytes: number): number {
    if (this.count === 0) return 0;
    const byTopic = this.byScope.topic.get(topic);
    const byAccount = account === undefined ? undefined : this.byScope.account.get(account);
    if (byTopic === undefined && byAccount === undefined) return 0;
    const now = this.now();
    const topicWait = Math.max(byTopic?.messages?.waitMs(messages, now) ?? 0, byTopic?.bytes?.waitMs(bytes, now) ?? 0);
    const accountWait = Math.max(
      byAccount?.messages?.waitMs(messages, now) ?? 0,
      byAccount?.bytes?.waitMs(bytes, now) ?? 0,
    );
    if (topicWait > 0 || accountWait > 0) {
      // Refused by whichever quota had too few tokens; the other one was not what stopped it.
      if (topicWait > 0) byTopic!.tally.refused++;
      if (accountWait > 0) byAccount!.tally.refused++;
      return hint(Math.max(topicWait, accountWait));
    }
    if (byTopic !== undefined) {
      byTopic.messages?.take(messages);
      byTopic.bytes?.take(bytes);
      byTopic.tally.allowed++;
    }
    if (byAccount !== undefined) {
      byAccount.messages?.take(messages);
      byAccount.bytes?.take(bytes);
      byAccount.tally.allowed++;
    }
    return 0;
  }

  /** 0 when a pull of `group` may be served now (and is counted), else the ms to wait. */
  admitPull(group: string): number {
    if (this.count === 0) return 0;
    const buckets = this.byScope.group.get(group);
    const bucket = buckets?.pulls;
    if (bucket === undefined) return 0;
    const wait = bucket.waitMs(1, this.now());
    if (wait > 0) {
      buckets!.tally.refused++;
      return hint(wait);
    }
    bucket.take(1);
    buckets!.tally.allowed++;
    return 0;
  }

  private change(scope: QuotaScope, name: string, quota: Quota | undefined): void {
    const map = this.byScope[scope];
    const existing = map.get(name);
    if (quota === undefined) {
      if (existing !== undefined) this.count--;
      map.delete(name);
      return;
    }
    const now = this.now();
    const buckets = existing ?? {
      messages: undefined,
      bytes: undefined,
      pulls: undefined,
      tally: this.tallyOf(scope, name),
    };
    buckets.messages = bucketFor(buckets.messages, quota.messagesPerS, now);
    buckets.bytes = bucketFor(buckets.bytes, quota.bytesPerS, now);
    buckets.pulls = bucketFor(buckets.pulls, quota.pullsPerS, now);
    if (existing === undefined) {
      map.set(name, buckets);
      this.count++;
    }
  }

  private tallyOf(scope: QuotaScope, name: string): QuotaTally {
    const tallies = this.tallies[scope];
    let tally = tallies.get(name);
    if (tally === undefined) tallies.set(name, (tally = { allowed: 0, refused: 0 }));
    return tally;
  }
}

/** The bucket for `ratePerS` (the existing one reconfigured, keeping its tokens), or none. */
function bucketFor(
  existing: TokenBucket | undefined,
  ratePerS: number | undefined,
  now: number,
): TokenBucket | undefined {
  if (ratePerS === undefined) return undefined;
  const capacity = Math.max(1, (ratePerS * QUOTA_BURST_MS) / 1000);
  if (existing === undefined) return new TokenBucket(ratePerS, capacity, now);
  existing.reconfigure(ratePerS, capacity);
  return existing;
}

function hint(waitMs: number): number {
  return Math.min(QUOTA_RETRY_AFTER_MS_MAX, Math.max(QUOTA_RETRY_AFTER_MS_MIN, Math.ceil(waitMs)));
}
