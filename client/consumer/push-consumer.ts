// PushConsumer: consumes the topics a group subscribes to, with a handler (start(handler)) or
// an async iterator (messages()). Clustering members split the queues and share offsets on
// the broker; broadcasting members each get everything. Failed messages come back through
// the group's %RETRY% topic, and end in %DLQ% after maxReconsumeTimes. Offsets are committed
// every 5 s and at shutdown, which finishes in-flight work first and leaves the group.
//
// With `orderly: true` each queue is consumed strictly serially in offset order (queues in
// parallel, up to `concurrency`), clustering members lock their queues at the broker
// (QueueLockKeeper), and a failed message is retried in place (OrderlyDispatcher). With
// `deduplicate`, messages whose id was already processed are skipped (MessageDeduplicator).
//
// A pulled record the client cannot decode is reported as an error event
// (UndecodableMessageError, with its id and queue) and sent back like a failed message, so
// the queue moves on (UndecodableRecords); orderly consumers send it straight to the DLQ, as
// retrying in place cannot make it decode.
import { ConsumeDispatcher, type MessageHandler } from './consume-dispatcher.js';
import {
  LOCAL_RETRY_DELAY_MS,
  SUSPEND_MS_DEFAULT,
  LOCK_EXPIRY_MS_DEFAULT,
  LOCK_RENEW_INTERVAL_MS_DEFAULT,
  PREFETCH_BYTES_PER_QUEUE_DEFAULT,
  PREFETCH_COUNT_PER_QUEUE_DEFAULT,
  PULL_BATCH_SIZE_DEFAULT,
  RELEASE_WAIT_MS,
} from '../client-constants.js';
import { ClientError } from '../client-error.js';
import { ClientInstance } from '../client-instance.js';
import type { ClientOptions } from '../client-options.js';
import type { HeartbeatGroups } from '../shared-client-instance.js';
import { DeduplicationWindow, type DeduplicationStore } from './deduplication-window.js';
import { MessageDeduplicator } from './message-deduplicator.js';
import { LocalOffsetStore, RemoteOffsetStore, type OffsetStore } from './offset-store.js';
import { OrderlyDispatcher } from './orderly-dispatcher.js';
import type { HeldRecord, ProcessQueue } from './process-queue.js';
import { groupNameProblem, RETRY_TOPIC_PREFIX } from '../../protocol/name-rules.js';
import { QueueLockKeeper } from './queue-lock-keeper.js';
import { QueuePuller } from './queue-puller.js';
import { Rebalancer, type RebalanceHooks } from './rebalancer.js';
import { receivedMessageFields, type ReceivedMessage } from '../../protocol/message-decoder.js';
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { SubscriptionSet } from './subscription-set.js';
import { applyOffsetReset } from './offset-reset.js';
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { queueKey, type MessageQueue } from '../topic-route.js';
import { UndecodableRecords } from './undecodable-records.js';
import { tracedHandler } from './traced-handler.js';

/**
 * Options of a PushConsumer: the group and subscriptions are required, every other option has the
 * default named on its field.
 */
export interface PushConsumerOptions extends ClientOptions {
  group: string;
  /** topic -> tag expression ('*', 'a || b'). */
  subscriptions: Readonly<Record<string, string>>;
  /** Where a group with no committed offset starts: 'first', 'last' (default) or a timestamp in ms. */
  consumeFrom?: 'first' | 'last' | number;
  messageModel?: 'clustering' | 'broadcasting';
  /** Deliveries before a message goes to the dead-letter queue (default 16). */
  maxReconsumeTimes?: number;
  /** Handlers running at once (default 16). */
  concurrency?: number;
  /**
   * Messages asked for per pull (default 512). RocketMQ's Java client asks for 32; each pull
   * costs a request and a loopback write on both sides: at 128 a backlog drains about 1.6-2.4x
   * faster than at 32, and at 512 with ~20% less CPU per message on each side than at 128
   * (tributary bench consume --pull-batch; native-bench/README.md). The prefetch bounds cap
   * what a queue holds whatever the batch.
   */
  pullBatchSize?: number;
  /**
   * Per-queue prefetch bounds: a queue is not pulled while it holds this many messages
   * (default 1000) or body bytes (default 16 MiB) pulled and unprocessed; see queue-puller.ts.
   */
  prefetchCount?: number;
  prefetchBytes?: number;
  commitIntervalMs?: number;
  rebalanceIntervalMs?: number;
  /** Longest a shutdown waits for running handlers (default 30 s). */
  shutdownTimeoutMs?: number;
  /**
   * Consume each queue strictly serially, in offset order, locking it at the broker
   * (clustering); a failed message is retried in place after `suspendMs` (default false).
   */
  orderly?: boolean;
  /** Orderly: pause of a queue after a failed message, before retrying it (default 1 s). */
  suspendMs?: number;
  /** Orderly: how often queue locks are renewed (default 20 s). */
  lockRenewIntervalMs?: number;
  /**
   * Orderly: a lock not renewed for this long counts as lost here (default 30 s). Must stay well
   * below the broker's lock lifetime (60 s), which is what keeps two consumers off one queue.
   */
  lockExpiryMs?: number;
  /** Skip messages whose id was already processed successfully (for non-idempotent handlers). */
  deduplicate?: DeduplicateOptions;
}

/**
 * How PushConsumer's `deduplicate` remembers processed message ids: an in-memory window (the
 * defaults) or your own store.
 */
export interface DeduplicateOptions {
  /** How long a processed id is remembered (default 10 min). */
  windowMs?: number;
  /** At most this many ids are remembered; the oldest go first (default 100,000). */
  maxEntries?: number;
  /** A shared or durable store instead of the in-memory window (then the two bounds are its own). */
  store?: DeduplicationStore;
}

const DEFAULTS = {
  maxReconsumeTimes: 16,
  concurrency: 16,
  pullBatchSize: PULL_BATCH_SIZE_DEFAULT,
  prefetchCount: PREFETCH_COUNT_PER_QUEUE_DEFAULT,
  prefetchBytes: PREFETCH_BYTES_PER_QUEUE_DEFAULT,
  commitIntervalMs: 5000,
  rebalanceIntervalMs: 20_000,
  shutdownTimeoutMs: 30_000,
  /** A round that could not settle every topic is retried this soon. */
  unsettledRetryMs: 1000,
} as const;

/** CONSUMER_SEND_MSG_BACK's delay level that sends a message straight to %DLQ%<group>. */
const DEAD_LETTER_DELAY_LEVEL = -1;

/**
 * Consumes the topics of a consumer group: with a handler (start) or as an async iterator
 * (messages). Clustering members split the queues; broadcasting members each get everything. Failed
 * messages are retried through %RETRY%<group> and end in %DLQ%<group> after maxReconsumeTimes.
 * Offsets are committed every commitIntervalMs and at shutdown.
 * @throws ClientError INVALID_GROUP_NAME for a group the broker would refuse, INVALID_ARGUMENT for
 * inconsistent options.
 */
export class PushConsumer {
  private readonly client: ClientInstance;
  private readonly subscriptions: SubscriptionSet;
  private readonly offsets: OffsetStore;
  private readonly dispatcher: ConsumeDispatcher | OrderlyDispatcher;
  private readonly rebalancer: Rebalancer;
  /** Orderly clustering only. */
  private readonly locks: QueueLockKeeper | undefined;
  private readonly deduplicator: MessageDeduplicator | undefined;
  private readonly undecodable: UndecodableRecords;
  private readonly pullers = new Map<ProcessQueue, QueuePuller>();
  private readonly timers: NodeJS.Timeout[] = [];
  private lockTimer: NodeJS.Timeout | undefined;
  private unsettledRetry: NodeJS.Timeout | undefined;
  private state: 'created' | 'started' | 'stopping' | 'stopped' = 'created';
  private readonly errorListeners: ((error: unknown, message?: ReceivedMessage) => void)[] = [];

  constructor(private readonly options: PushConsumerOptions) {
    if (typeof options?.group !== 'string' || options.group === '')
      throw new ClientError('INVALID_ARGUMENT', 'group is required');
    // The broker would refuse every heartbeat of such a group, and nothing would be delivered.
    const problem = groupNameProblem(options.group, 'consumer');
    if (problem !== undefined) throw new ClientError('INVALID_GROUP_NAME', problem);
    const renewMs = options.lockRenewIntervalMs ?? LOCK_RENEW_INTERVAL_MS_DEFAULT;
    if (!(renewMs > 0 && renewMs < (options.lockExpiryMs ?? LOCK_EXPIRY_MS_DEFAULT)))
      throw new ClientError('INVALID_ARGUMENT', 'lockRenewIntervalMs must be positive and below lockExpiryMs');
    if (!((options.prefetchCount ?? 1) >= 1 && (options.prefetchBytes ?? 1) >= 1))
      throw new ClientError('INVALID_ARGUMENT', 'prefetchCount and prefetchBytes must be at least 1');
    const clustering = (options.messageModel ?? 'clustering') === 'clustering';
    this.subscriptions = new SubscriptionSet(
      options.subscriptions,
      clustering ? RETRY_TOPIC_PREFIX + options.group : undefined,
    );
    this.client = this.joinClientInstance();
    this.offsets = clustering ? new RemoteOffsetStore(this.client, options.group) : new LocalOffsetStore();
    this.dispatcher = this.createDispatcher();
    const undecodableLevel = options.orderly === true ? DEAD_LETTER_DELAY_LEVEL : 0;
    this.undecodable = new UndecodableRecords(
      {
        report: (error) => this.emitError(error),
        sendBack: (pq, record) =>
          this.sendBack(
            pq,
            {
              commitLogOffset: record.commitLogOffset,
              msgId: record.offsetMsgId,
              topic: record.topic ?? pq.queue.topic,
            },
            undecodableLevel,
          ),
        processed: (pq, record) => this.processed(pq, record),
      },
      LOCAL_RETRY_DELAY_MS,
    );
    if (options.orderly === true && clustering) {
      this.locks = new QueueLockKeeper(
        this.client,
        options.group,
        options.lockExpiryMs ?? LOCK_EXPIRY_MS_DEFAULT,
        () => [
          ...this.rebalancer.owned.values(),
          ...[...this.rebalancer.releasing.values()].map((r) => r.processQueue),
        ],
        (pq, reason) => this.lockLost(pq, reason),
      );
    }
    if (options.deduplicate !== undefined) {
      const { windowMs, maxEntries, store } = options.deduplicate;
      this.deduplicator = new MessageDeduplicator(store ?? new DeduplicationWindow(windowMs, maxEntries), (error, m) =>
        this.emitError(error, m),
      );
    }
    this.rebalancer = new Rebalancer(
      this.client,
      options.group,
      clustering,
      () => this.subscriptions.topics,
      this.rebalanceHooks(),
    );
  }

  /** This consumer's view of the process's shared client instance (client-instance.ts). */
  private joinClientInstance(): ClientInstance {
    const handlers = {
      heartbeat: () => this.heartbeat(),
      onConsumerIdsChanged: () => void this.rebalanceUntilSettled(),
      heartbeatFailed: (error: ClientError) => this.emitError(error),
      onRequest: (request: RemotingCommand) => this.onBrokerRequest(request),
    };
    return new ClientInstance(this.options, handlers, { consumerGroup: this.options.group });
  }

  /** Messages skipped by `deduplicate` as already processed. */
  get duplicatesSkipped(): number {
    return this.deduplicator?.skipped ?? 0;
  }

  get clientId(): string {
    return this.client.clientId;
  }

  /** The queues this consumer currently owns (after the last rebalance). */
  assignment(): MessageQueue[] {
    return [...this.rebalancer.owned.values()].map((pq) => pq.queue);
  }

  /**
   * What each owned queue holds pulled and not yet processed (RocketMQ's cachedMsgCount and
   * cachedMsgSize), bounded by prefetchCount and prefetchBytes.
   */
  prefetched(): { queue: MessageQueue; count: number; bytes: number }[] {
    return [...this.rebalancer.owned.values()].map((pq) => ({ queue: pq.queue, count: pq.count, bytes: pq.bytes }));
  }

  /** Reports handler failures and background errors. */
  onError(listener: (error: unknown, message?: ReceivedMessage) => void): void {
    this.errorListeners.push(listener);
  }

  /**
   * Starts consuming; with a handler, every message goes to it. Rejects with HEARTBEAT_REFUSED
   * (and leaves the consumer shut down) when a broker refuses the first heartbeat: the group
   * would get nothing. Later heartbeat failures are reported through onError.
   */
  async start(handler?: MessageHandler): Promise<void> {
    if (this.state !== 'created') throw new ClientError('INVALID_ARGUMENT', 'start() may be called once');
    if (handler !== undefined)
      this.dispatcher.useHandler(tracedHandler(this.deduplicator?.wrap(handler) ?? handler, this.options.group));
    this.state = 'started';
    this.client.start();
    for (const topic of this.subscriptions.userTopics) await this.client.route(topic);
    const refusal = (await this.client.heartbeatAll()).find((failure) => failure.responseCode !== undefined);
    if (refusal !== undefined) {
      await this.stopRefused();
      throw new ClientError('HEARTBEAT_REFUSED', `group ${this.options.group}: ${refusal.message}`, {
        cause: refusal,
        responseCode: refusal.responseCode,
      });
    }
    await this.rebalanceUntilSettled();
    const every = (ms: number, task: () => Promise<unknown>): void => {
      this.timers.push(setInterval(() => void task().catch((error: unknown) => this.emitError(error)), ms).unref());
    };
    every(this.options.commitIntervalMs ?? DEFAULTS.commitIntervalMs, () => this.offsets.persist());
    every(this.options.rebalanceIntervalMs ?? DEFAULTS.rebalanceIntervalMs, () => this.rebalanceUntilSettled());
    const locks = this.locks;
    if (locks !== undefined) {
      const renewMs = this.options.lockRenewIntervalMs ?? LOCK_RENEW_INTERVAL_MS_DEFAULT;
      this.lockTimer = setInterval(() => void locks.renew().catch((error: unknown) => this.emitError(error)), renewMs);
      this.lockTimer.unref();
    }
  }

  /**
   * Messages as an async iterator (starts the consumer if needed: a start that fails is thrown
   * by the first next()); bounded by the prefetch limits.
   */
  messages(): AsyncGenerator<ReceivedMessage, void, undefined> {
    const starting = this.state === 'created' ? this.start() : undefined;
    starting?.catch(() => undefined); // Thrown to the loop instead, when it asks.
    const delivered = this.dispatcher.messages();
    const messages = this.deduplicator?.filter(delivered) ?? delivered;
    return starting === undefined ? messages : afterStart(starting, messages);
  }

  /** Finishes in-flight work, commits offsets and leaves the group; a consumer never started lets its client instance go. */
  async shutdown(): Promise<void> {
    if (this.state === 'created') {
      this.state = 'stopped';
      return this.client.close();
    }
    if (this.state !== 'started') return;
    this.state = 'stopping';
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.unsettledRetry);
    this.undecodable.close();
    const draining = this.dispatcher.close(this.options.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs);
    for (const [pq, puller] of this.pullers) {
      pq.drop();
      puller.interrupt();
    }
    await draining;
    await this.rebalancer.releaseAll(RELEASE_WAIT_MS);
    clearInterval(this.lockTimer);
    await this.offsets.persist();
    await this.client.close({ consumerGroup: this.options.group });
    this.state = 'stopped';
  }

  /** A start whose heartbeat was refused: undoes what start() began. */
  private async stopRefused(): Promise<void> {
    this.state = 'stopping';
    await this.dispatcher.close(0);
    await this.client.close({ consumerGroup: this.options.group });
    this.state = 'stopped';
  }

  private createDispatcher(): ConsumeDispatcher | OrderlyDispatcher {
    const concurrency = this.options.concurrency ?? DEFAULTS.concurrency;
    const processed = (pq: ProcessQueue, message: ReceivedMessage): void => this.processed(pq, message);
    const handlerFailed = (error: unknown, message: ReceivedMessage): void => this.emitError(error, message);
    if (this.options.orderly !== true)
      return new ConsumeDispatcher(concurrency, {
        processed,
        handlerFailed,
        sendBack: (pq, message) => this.sendBack(pq, message, 0),
      });
    const settings = {
      concurrency,
      suspendMs: this.options.suspendMs ?? SUSPEND_MS_DEFAULT,
      maxReconsumeTimes: this.options.maxReconsumeTimes ?? DEFAULTS.maxReconsumeTimes,
    };
    return new OrderlyDispatcher(settings, {
      processed,
      handlerFailed,
      deadLetter: (pq, message) => this.sendBack(pq, message, DEAD_LETTER_DELAY_LEVEL),
    });
  }

  private rebalanceHooks(): RebalanceHooks {
    const hooks: RebalanceHooks = {
      startOffset: (queue) => this.startOffset(queue),
      startPulling: (pq) => this.startPulling(pq),
      stopPulling: (pq) => this.pullers.get(pq)?.interrupt(),
      commit: async (pq) => {
        this.offsets.update(pq.queue, pq.committableOffset());
        await this.offsets.persist([pq.queue]);
        this.offsets.forget(pq.queue);
        this.pullers.delete(pq);
      },
      forget: (pq) => {
        this.offsets.forget(pq.queue);
        this.pullers.delete(pq);
      },
    };
    const locks = this.locks;
    if (locks === undefined) return hooks;
    return { ...hooks, lock: (queues) => locks.lock(queues), unlock: (queue) => locks.unlock([queue]) };
  }

  /** Requests a broker sends this consumer: an admin's offset reset. */
  private async onBrokerRequest(request: RemotingCommand): Promise<RemotingCommand> {
    if (request.code === REQUEST_CODE.RESET_CONSUMER_CLIENT_OFFSET && this.state === 'started')
      return applyOffsetReset(request, this.options.group, this.rebalancer, this.offsets);
    return responseTo(request, RESPONSE_CODE.REQUEST_CODE_NOT_SUPPORTED, `request code ${request.code} not supported`);
  }

  /** Orderly: a queue's lock was refused or expired; consume it again only once relocked. */
  private lockLost(pq: ProcessQueue, reason: 'expired' | 'refused'): void {
    this.rebalancer.abandon(pq);
    this.emitError(new ClientError('QUEUE_LOCK_LOST', `${queueKey(pq.queue)} (${reason})`));
    if (this.state === 'started') void this.rebalanceUntilSettled();
  }

  /**
   * Rebalances, and again every second while a round could not settle every queue (a route or
   * the member list missing, or in orderly mode a queue its previous owner has not unlocked yet).
   */
  private async rebalanceUntilSettled(): Promise<void> {
    const settled = await this.rebalancer.rebalance();
    if (settled || this.state !== 'started' || this.unsettledRetry !== undefined) return;
    this.unsettledRetry = setTimeout(() => {
      this.unsettledRetry = undefined;
      void this.rebalanceUntilSettled();
    }, DEFAULTS.unsettledRetryMs);
    this.unsettledRetry.unref();
  }

  private startPulling(pq: ProcessQueue): void {
    const topic = pq.queue.topic;
    const puller = new QueuePuller(
      this.client,
      this.offsets,
      pq,
      {
        group: this.options.group,
        batchSize: this.options.pullBatchSize ?? DEFAULTS.pullBatchSize,
        prefetchCount: this.options.prefetchCount ?? DEFAULTS.prefetchCount,
        prefetchBytes: this.options.prefetchBytes ?? DEFAULTS.prefetchBytes,
        expression: this.subscriptions.expression(topic),
        accepts: this.subscriptions.tagCheck(topic),
      },
      (queue, messages) => this.dispatcher.deliver(queue, this.presentedAll(messages)),
      () => this.state === 'started',
      {
        undecodable: (queue, record) => this.undecodable.handle(queue, record),
        skipped: (error) => this.emitError(error),
        failed: (error) => this.emitError(error),
      },
    );
    this.pullers.set(pq, puller);
    void puller.run();
  }

  /** `messages` as presented: the same array when none is a retried message (most pulls). */
  private presentedAll(messages: ReceivedMessage[]): ReceivedMessage[] {
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      const presented = this.presented(message);
      if (presented !== message) messages[i] = presented;
    }
    return messages;
  }

  /** A retried message shows its original topic, as RocketMQ consumers see it. */
  private presented(message: ReceivedMessage): ReceivedMessage {
    // The topic first: properties are decoded only when read (see ReceivedMessage).
    if (!message.topic.startsWith(RETRY_TOPIC_PREFIX)) return message;
    const original = message.properties[PROPERTY.retryTopic];
    if (original === undefined) return message;
    return { ...receivedMessageFields(message), topic: original };
  }

  private processed(pq: ProcessQueue, message: HeldRecord): void {
    const offset = pq.remove(message);
    // A queue whose lock was lost may be someone else's now: its offset is not ours to move.
    if (!pq.lockLost && (!pq.dropped || this.state === 'stopping')) this.offsets.update(pq.queue, offset);
  }

  /** CONSUMER_SEND_MSG_BACK: level 0 lets the broker pick the retry delay; -1 means the DLQ. */
  private async sendBack(
    pq: ProcessQueue,
    message: Pick<ReceivedMessage, 'commitLogOffset' | 'msgId' | 'topic'>,
    delayLevel: number,
  ): Promise<void> {
    const address = this.client.brokerAddress(pq.queue.brokerName);
    if (address === undefined) throw new ClientError('BROKER_UNAVAILABLE', pq.queue.brokerName);
    const response = await this.client.invoke(address, {
      code: REQUEST_CODE.CONSUMER_SEND_MSG_BACK,
      extFields: {
        offset: message.commitLogOffset,
        group: this.options.group,
        delayLevel,
        originMsgId: message.msgId,
        originTopic: message.topic,
        unitMode: false,
        maxReconsumeTimes: this.options.maxReconsumeTimes ?? DEFAULTS.maxReconsumeTimes,
      },
    });
    if (response.code !== RESPONSE_CODE.SUCCESS)
      throw ClientError.fromResponse(response.code, response.remark, 'send back');
  }

  private async startOffset(queue: MessageQueue): Promise<number> {
    const committed = await this.offsets.fetch(queue);
    if (committed !== undefined) return committed;
    const from = this.options.consumeFrom ?? 'last';
    if (queue.topic.startsWith(RETRY_TOPIC_PREFIX) || from === 'first')
      return this.queryOffset(queue, REQUEST_CODE.GET_MIN_OFFSET);
    if (from === 'last') return this.queryOffset(queue, REQUEST_CODE.GET_MAX_OFFSET);
    return this.queryOffset(queue, REQUEST_CODE.SEARCH_OFFSET_BY_TIMESTAMP, from);
  }

  private async queryOffset(queue: MessageQueue, code: number, timestamp?: number): Promise<number> {
    const address = this.client.brokerReadAddress(queue.brokerName);
    if (address === undefined) throw new ClientError('BROKER_UNAVAILABLE', queue.brokerName);
    const extFields = { topic: queue.topic, queueId: queue.queueId, ...(timestamp === undefined ? {} : { timestamp }) };
    const response = await this.client.invoke(address, { code, extFields });
    if (response.code !== RESPONSE_CODE.SUCCESS)
      throw ClientError.fromResponse(response.code, response.remark, `offset of ${queueKey(queue)}`);
    return Number(response.extFields?.offset);
  }

  private heartbeat(): HeartbeatGroups {
    const clustering = (this.options.messageModel ?? 'clustering') === 'clustering';
    const from = this.options.consumeFrom ?? 'last';
    return {
      producerDataSet: [],
      consumerDataSet: [
        {
          groupName: this.options.group,
          consumeType: 'CONSUME_PASSIVELY',
          messageModel: clustering ? 'CLUSTERING' : 'BROADCASTING',
          consumeFromWhere:
            from === 'first'
              ? 'CONSUME_FROM_FIRST_OFFSET'
              : from === 'last'
                ? 'CONSUME_FROM_LAST_OFFSET'
                : 'CONSUME_FROM_TIMESTAMP',
          subscriptionDataSet: this.subscriptions.heartbeatData(),
          unitMode: false,
        },
      ],
    };
  }

  private emitError(error: unknown, message?: ReceivedMessage): void {
    for (const listener of this.errorListeners) listener(error, message);
  }
}

async function* afterStart(
  starting: Promise<void>,
  messages: AsyncGenerator<ReceivedMessage, void, undefined>,
): AsyncGenerator<ReceivedMessage, void, undefined> {
  await starting;
  yield* messages;
}
