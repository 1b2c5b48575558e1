// Decides which queues this consumer owns and starts or stops pulling them. In clustering mode
// the group's members split each topic's queues with the averaging allocation, recomputed
// every 20 s and whenever the broker says membership changed; broadcasting members take every
// queue. A queue given away is released cleanly: pulling stops, its in-flight messages get a
// bounded time to finish, and its offset is committed before anyone else starts from it.
import type { ClientInstance } from './client-instance.js';
import { ProcessQueue } from './process-queue.js';
import { allocateAveragely } from './queue-allocation.js';
import { REQUEST_CODE } from './remoting/request-code.js';
import { RESPONSE_CODE } from './remoting/response-code.js';
import { masterAddress, queueKey, readableQueues, type MessageQueue, type TopicRoute } from './topic-route.js';

/** How long a released queue waits for its in-flight messages before committing anyway. */
export const RELEASE_WAIT_MS = 10_000;

export interface RebalanceHooks {
  /** Where consumption of a newly owned queue starts. */
  startOffset(queue: MessageQueue): Promise<number>;
  /** Starts pulling a newly owned queue. */
  startPulling(processQueue: ProcessQueue): void;
  /** Stops the pull loop of a queue given away. */
  stopPulling(processQueue: ProcessQueue): void;
  /** Commits a released queue's offset to the broker. */
  commit(processQueue: ProcessQueue): Promise<void>;
}

export class Rebalancer {
  readonly owned = new Map<string, ProcessQueue>();
  private running: Promise<boolean> | undefined;
  private again = false;

  constructor(
    private readonly client: ClientInstance,
    private readonly group: string,
    private readonly clustering: boolean,
    private readonly topics: () => readonly string[],
    private readonly hooks: RebalanceHooks,
  ) {}

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

  /** Releases every owned queue (shutdown). */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.owned.values()].map((pq) => this.release(pq)));
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
      if (pq.queue.topic === topic && !wanted.has(key)) releases.push(this.release(pq));
    }
    await Promise.all(releases);
    for (const queue of mine) {
      const key = queueKey(queue);
      if (this.owned.has(key)) continue;
      const pq = new ProcessQueue(queue, await this.hooks.startOffset(queue));
      if (this.owned.has(key)) continue;
      this.owned.set(key, pq);
      this.hooks.startPulling(pq);
    }
    return true;
  }

  /** The group's live members, as any broker of the route knows them. */
  private async members(route: TopicRoute): Promise<string[] | undefined> {
    for (const broker of route.brokerDatas) {
      const address = masterAddress(route, broker.brokerName);
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

  private async release(pq: ProcessQueue): Promise<void> {
    const key = queueKey(pq.queue);
    if (this.owned.get(key) !== pq) return;
    this.owned.delete(key);
    pq.drop();
    this.hooks.stopPulling(pq);
    await Promise.race([
      pq.waitUntilIdle(),
      new Promise<void>((resolve) => setTimeout(resolve, RELEASE_WAIT_MS).unref()),
    ]);
    await this.hooks.commit(pq);
  }
}
