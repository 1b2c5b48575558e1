// Decides which queues this consumer owns and starts or stops pulling them. In clustering mode
// the group's members split each topic's queues with the averaging allocation, recomputed
// every 20 s and whenever the broker says membership changed; broadcasting members take every
// queue. A queue given away is released cleanly: pulling stops, its running handlers get a
// bounded time to finish, and its offset is committed before anyone else starts from it.
//
// Orderly mode (hooks.lock present) adds the broker locks. A queue is taken only once its lock
// is granted, and the new owner fetches the committed offset after that, so it starts exactly
// where the previous owner committed. A queue given away is released in the background: its
// running handler (one at most) finishes however long it takes, its offset is committed, and
// only then is it unlocked. Until then the queue stays in `releasing`, its lock is still
// renewed, and it is not taken again. A queue whose lock was lost (refused or expired) is
// abandoned: no commit (another client may own it by now), no unlock, and it is taken again
// through a fresh lock and the committed offset.
import type { ClientInstance } from '../client-instance.js';
import { ProcessQueue } from './process-queue.js';
import { allocateAveragely } from './queue-allocation.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import {
  masterAddress,
  queueKey,
  readAddress,
  readableQueues,
  type MessageQueue,
  type TopicRoute,
} from '../topic-route.js';
import { RELEASE_WAIT_MS } from '../client-constants.js';

export interface RebalanceHooks {
  /** Where consumption of a newly owned queue starts. */
  startOffset(queue: MessageQueue): Promise<number>;
  /** Starts pulling a newly owned queue. */
  startPulling(processQueue: ProcessQueue): void;
  /** Stops the pull loop of a queue given away. */
  stopPulling(processQueue: ProcessQueue): void;
  /** Commits a released queue's offset to the broker. */
  commit(processQueue: ProcessQueue): Promise<void>;
  /** Forgets an abandoned queue's local offset without committing it. */
  forget(processQueue: ProcessQueue): void;
  /** Orderly mode: locks queues about to be taken; resolves with each granted key's lock expiry (ms). */
  lock?(queues: readonly MessageQueue[]): Promise<Map<string, number>>;
  /** Orderly mode: unlocks a released queue after its offset was committed. */
  unlock?(queue: MessageQueue): Promise<void>;
}

export class Rebalancer {
  readonly owned = new Map<string, ProcessQueue>();
  /** Orderly mode: queues given away whose handler, commit or unlock is still under way. */
  readonly releasing = new Map<string, { processQueue: ProcessQueue; done: Promise<void> }>();
  private running: Promise<boolean> | undefined;
  private again = false;

  constructor(
    private readonly client: ClientInstance,
    private readonly group: string,
    private readonly clustering: boolean,
    private readonly topics: () => readonly string[],
    private readonly hooks: RebalanceHooks,
  ) {}

  private get orderly(): boolean {
    return this.hooks.lock !== undefined;
  }

  /** Rebalances now (or right after a running round); true when every topic was settled. */
  rebalance(): Promise<boolean> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let settled = true;
      do {
        this.again = false;
        settled = true;
        for (const topic of this.topics()) settled = (await this.rebalanceTopic(topic).catch(() => false)) && settled;
      } while (this.again);
      return settled;
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /**
   * Releases every owned queue (shutdown), waiting at most `waitMs` for running handlers. In
   * orderly mode a queue whose handler is still running then is committed but not unlocked:
   * its lock expires at the broker instead, so nobody starts it while the handler runs.
   */
  async releaseAll(waitMs = RELEASE_WAIT_MS): Promise<void> {
    // Releases begun earlier (by a rebalance, or abandoned queues) wait for their handler without
    // limit; shutdown waits for them at most `waitMs`. Its own releases are bounded already.
    const earlier = Promise.all([...this.releasing.values()].map((entry) => entry.done));
    const releases = [...this.owned.values()].map((pq) => this.release(pq, waitMs));
    let timer: NodeJS.Timeout | undefined;
    await Promise.all([
      ...releases,
      Promise.race([earlier, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs).unref()))]),
    ]);
    clearTimeout(timer);
  }

  /**
   * An admin reset the group's offset of an owned queue: what was pulled is dropped without a
   * commit, and the queue starts again at `offset` at once (keeping its lock, in orderly mode).
   * False when this consumer does not own the queue.
   */
  restartAt(queue: MessageQueue, offset: number): boolean {
    const key = queueKey(queue);
    const old = this.owned.get(key);
    if (old === undefined) return false;
    old.drop();
    this.hooks.stopPulling(old);
    this.hooks.forget(old);
    const pq = new ProcessQueue(old.queue, offset);
    pq.lockedUntilMs = old.lockedUntilMs;
    this.owned.set(key, pq);
    this.hooks.startPulling(pq);
    return true;
  }

  /** Orderly mode: gives up a queue whose lock was lost, without commit or unlock. */
  abandon(pq: ProcessQueue): void {
    const key = queueKey(pq.queue);
    pq.lockLost = true;
    if (this.owned.get(key) !== pq) return;
    this.owned.delete(key);
    pq.drop();
    this.hooks.stopPulling(pq);
    this.hooks.forget(pq);
    this.track(key, pq, pq.waitUntilNoneRunning());
  }

  private async rebalanceTopic(topic: string): Promise<boolean> {
    const route = await this.client.route(topic);
    const queues = readableQueues(topic, route);
    let mine = queues;
    if (this.clustering) {
      const members = await this.members(route);
      if (members === undefined) return false;
      mine = allocateAveragely(queues, members, this.client.clientId);
    }
    const wanted = new Set(mine.map(queueKey));
    const releases: Promise<void>[] = [];
    for (const [key, pq] of this.owned) {
      if (pq.queue.topic !== topic || wanted.has(key)) continue;
      if (this.orderly) this.track(key, pq, this.release(pq, Number.POSITIVE_INFINITY));
      else releases.push(this.release(pq, RELEASE_WAIT_MS));
    }
    await Promise.all(releases);
    const missing = mine.filter((queue) => !this.owned.has(queueKey(queue)));
    // A queue still being released here is taken on a later round, after its unlock.
    const takeable = missing.filter((queue) => !this.releasing.has(queueKey(queue)));
    let settled = takeable.length === missing.length;
    const locks = this.orderly && takeable.length > 0 ? await this.hooks.lock!(takeable) : undefined;
    for (const queue of takeable) {
      const lockedUntilMs = locks === undefined ? Number.POSITIVE_INFINITY : locks.get(queueKey(queue));
      if (lockedUntilMs === undefined) settled = false;
      else await this.take(queue, lockedUntilMs);
    }
    return settled;
  }

  private async take(queue: MessageQueue, lockedUntilMs: number): Promise<void> {
    const key = queueKey(queue);
    if (this.owned.has(key)) return;
    let startOffset: number;
    try {
      startOffset = await this.hooks.startOffset(queue);
    } catch (error) {
      // Do not leave a lock behind for a queue we could not start: its next owner would wait.
      await this.hooks.unlock?.(queue);
      throw error;
    }
    const pq = new ProcessQueue(queue, startOffset);
    if (this.owned.has(key) || this.releasing.has(key)) return;
    pq.lockedUntilMs = lockedUntilMs;
    this.owned.set(key, pq);
    this.hooks.startPulling(pq);
  }

  /** The group's live members, as any broker of the route knows them. */
  private async members(route: TopicRoute): Promise<string[] | undefined> {
    for (const broker of route.brokerDatas) {
      const address = readAddress(route, broker.brokerName);
      if (address === undefined) continue;
      const response = await this.client
        .invoke(address, { code: REQUEST_CODE.GET_CONSUMER_LIST_BY_GROUP, extFields: { consumerGroup: this.group } })
        .catch(() => undefined);
      if (response?.code === RESPONSE_CODE.SUCCESS && response.body !== undefined) {
        const parsed = JSON.parse((response.body as Buffer).toString('utf8')) as { consumerIdList?: unknown };
        if (Array.isArray(parsed.consumerIdList)) return parsed.consumerIdList.map(String);
      }
    }
    return undefined;
  }

  /** Keeps `pq` in `releasing` until `work` settles. */
  private track(key: string, pq: ProcessQueue, work: Promise<void>): void {
    const done = work
      .catch(() => undefined)
      .finally(() => {
        if (this.releasing.get(key)?.processQueue === pq) this.releasing.delete(key);
      });
    this.releasing.set(key, { processQueue: pq, done });
  }

  private async release(pq: ProcessQueue, waitMs: number): Promise<void> {
    const key = queueKey(pq.queue);
    if (this.owned.get(key) !== pq) return;
    this.owned.delete(key);
    pq.drop();
    this.hooks.stopPulling(pq);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      pq.waitUntilNoneRunning().then(() => true),
      new Promise<boolean>((resolve) => {
        if (waitMs !== Number.POSITIVE_INFINITY) timer = setTimeout(() => resolve(false), waitMs).unref();
      }),
    ]);
    clearTimeout(timer);
    // Lost meanwhile: another client may own the queue, and our commit would move its offset back.
    if (pq.lockLost) return this.hooks.forget(pq);
    await this.hooks.commit(pq);
    if (finished) await this.hooks.unlock?.(pq.queue);
  }
}
