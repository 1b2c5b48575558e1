// Orderly mode: the broker locks of the queues this consumer consumes (LOCK_BATCH_MQ and
// UNLOCK_BATCH_MQ, one request per broker for all of its queues). A queue is taken only after
// lock() grants it; renew() runs every 20 s and re-locks every queue owned or being released.
//
// The client's view of a lock is deliberately shorter than the broker's: it counts as held
// until the *send* time of the last granted request plus `expiryMs` (30 s), while the broker
// keeps it 60 s from when it *received* that request. So the client stops consuming a queue
// well before anyone else could lock it. A queue past its client-side expiry, or whose renewal
// the broker refused (someone else holds it), is reported lost and abandoned by the consumer.
// A renewal that gets no answer changes nothing: the expiry decides.
import { ClientError } from '../client-error.js';
import type { ClientInstance } from '../client-instance.js';
import type { ProcessQueue } from './process-queue.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { queueKey, type MessageQueue } from '../topic-route.js';

export class QueueLockKeeper {
  constructor(
    private readonly client: ClientInstance,
    private readonly group: string,
    private readonly expiryMs: number,
    /** Every queue whose lock is to be kept: owned and being released. */
    private readonly queues: () => readonly ProcessQueue[],
    private readonly onLost: (processQueue: ProcessQueue, reason: 'expired' | 'refused') => void,
  ) {}

  /** Locks `queues`; resolves with each granted queue's key and client-side lock expiry. */
  async lock(queues: readonly MessageQueue[]): Promise<Map<string, number>> {
    const sentAtMs = Date.now();
    const granted = new Map<string, number>();
    await Promise.all(
      [...byBroker(queues)].map(async ([brokerName, list]) => {
        const keys = await this.request(REQUEST_CODE.LOCK_BATCH_MQ, brokerName, list).catch(() => undefined);
        for (const key of keys ?? []) granted.set(key, sentAtMs + this.expiryMs);
      }),
    );
    return granted;
  }

  /** Renews every kept lock; reports those expired client-side or refused. */
  async renew(): Promise<void> {
    const sentAtMs = Date.now();
    const live: ProcessQueue[] = [];
    for (const pq of this.queues()) {
      if (pq.lockLost) continue;
      if (pq.isLocked(sentAtMs)) live.push(pq);
      else this.onLost(pq, 'expired');
    }
    const byKey = new Map(live.map((pq) => [queueKey(pq.queue), pq]));
    await Promise.all(
      [...byBroker(live.map((pq) => pq.queue))].map(async ([brokerName, list]) => {
        const keys = await this.request(REQUEST_CODE.LOCK_BATCH_MQ, brokerName, list).catch(() => undefined);
        if (keys === undefined) return;
        const granted = new Set(keys);
        for (const queue of list) {
          const pq = byKey.get(queueKey(queue))!;
          if (granted.has(queueKey(queue))) pq.lockedUntilMs = Math.max(pq.lockedUntilMs, sentAtMs + this.expiryMs);
          else if (!pq.lockLost) this.onLost(pq, 'refused');
        }
      }),
    );
  }

  /** Unlocks `queues`; failures are ignored (the broker lets the lock expire). */
  async unlock(queues: readonly MessageQueue[]): Promise<void> {
    await Promise.all(
      [...byBroker(queues)].map(([brokerName, list]) =>
        this.request(REQUEST_CODE.UNLOCK_BATCH_MQ, brokerName, list).catch(() => undefined),
      ),
    );
  }

  /** One lock or unlock request; resolves with the keys of the queues the broker says we hold. */
  private async request(code: number, brokerName: string, queues: readonly MessageQueue[]): Promise<string[]> {
    const address = this.client.brokerAddress(brokerName);
    if (address === undefined) throw new ClientError('BROKER_UNAVAILABLE', brokerName);
    const mqSet = queues.map(({ topic, queueId }) => ({ topic, brokerName, queueId }));
    const body = { consumerGroup: this.group, clientId: this.client.clientId, onlyThisBroker: true, mqSet };
    const response = await this.client.invoke(address, { code, body: Buffer.from(JSON.stringify(body)) });
    if (response.code !== RESPONSE_CODE.SUCCESS)
      throw ClientError.fromResponse(response.code, response.remark, `lock request to ${brokerName}`);
    if (code !== REQUEST_CODE.LOCK_BATCH_MQ) return [];
    const parsed = JSON.parse((response.body as Buffer | undefined)?.toString('utf8') ?? '{}') as {
      lockOKMQSet?: MessageQueue[];
    };
    return (parsed.lockOKMQSet ?? []).map((queue) => queueKey({ ...queue, queueId: Number(queue.queueId) }));
  }
}

function byBroker(queues: readonly MessageQueue[]): Map<string, MessageQueue[]> {
  const grouped = new Map<string, MessageQueue[]>();
  for (const queue of queues) {
    const list = grouped.get(queue.brokerName) ?? [];
    list.push(queue);
    grouped.set(queue.brokerName, list);
  }
  return grouped;
}
