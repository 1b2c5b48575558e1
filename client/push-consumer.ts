// PushConsumer: consumes the topics a group subscribes to, with a handler (start(handler)) or
// an async iterator (messages()). Clustering members split the queues and share offsets on
// the broker; broadcasting members each get everything. Failed messages come back through
// the group's %RETRY% topic, and end in %DLQ% after maxReconsumeTimes. Offsets are committed
// every 5 s and at shutdown, which finishes in-flight work first and leaves the group.
import { ClientError } from './client-error.js';
import { ClientInstance } from './client-instance.js';
import type { ClientOptions } from './client-options.js';
import { ConsumeDispatcher, type MessageHandler } from './consume-dispatcher.js';
import { LocalOffsetStore, RemoteOffsetStore, type OffsetStore } from './offset-store.js';
import type { ProcessQueue } from './process-queue.js';
import { QueuePuller } from './queue-puller.js';
import { Rebalancer } from './rebalancer.js';
import type { ReceivedMessage } from './remoting/message-decoder.js';
import { PROPERTY } from './remoting/message-properties-codec.js';
import { REQUEST_CODE } from './remoting/request-code.js';
import { RESPONSE_CODE } from './remoting/response-code.js';
import { SubscriptionSet } from './subscription-set.js';
import { queueKey, type MessageQueue } from './topic-route.js';

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
  pullBatchSize?: number;
  /** Per-queue prefetch bounds: messages (default 1000) and body bytes (default 16 MiB). */
  prefetchCount?: number;
  prefetchBytes?: number;
  commitIntervalMs?: number;
  rebalanceIntervalMs?: number;
  /** Longest a shutdown waits for running handlers (default 30 s). */
  shutdownTimeoutMs?: number;
  orderly?: boolean;
}

const DEFAULTS = {
  maxReconsumeTimes: 16,
  concurrency: 16,
  pullBatchSize: 32,
  prefetchCount: 1000,
  prefetchBytes: 16 * 1024 * 1024,
  commitIntervalMs: 5000,
  rebalanceIntervalMs: 20_000,
  shutdownTimeoutMs: 30_000,
  /** A round that could not settle every topic is retried this soon. */
  unsettledRetryMs: 1000,
} as const;

export const RETRY_TOPIC_PREFIX = '%RETRY%';

export class PushConsumer {
  private readonly client: ClientInstance;
  private readonly subscriptions: SubscriptionSet;
  private readonly offsets: OffsetStore;
  private readonly dispatcher: ConsumeDispatcher;
  private readonly rebalancer: Rebalancer;
  private readonly pullers = new Map<ProcessQueue, QueuePuller>();
  private readonly timers: NodeJS.Timeout[] = [];
  private state: 'created' | 'started' | 'stopping' | 'stopped' = 'created';
  private readonly errorListeners: ((error: unknown, message?: ReceivedMessage) => void)[] = [];

  constructor(private readonly options: PushConsumerOptions) {
    if (typeof options?.group !== 'string' || options.group === '')
      throw new ClientError('INVALID_ARGUMENT', 'group is required');
    if (options.orderly === true)
      throw new ClientError('INVALID_ARGUMENT', 'orderly consumption is not available in this version');
    const clustering = (options.messageModel ?? 'clustering') === 'clustering';
    this.subscriptions = new SubscriptionSet(
      options.subscriptions,
      clustering ? RETRY_TOPIC_PREFIX + options.group : undefined,
    );
    this.client = new ClientInstance(options, {
      heartbeat: (clientId) => this.heartbeat(clientId),
      onConsumerIdsChanged: () => void this.rebalancer.rebalance(),
    });
    this.offsets = clustering ? new RemoteOffsetStore(this.client, options.group) : new LocalOffsetStore();
    this.dispatcher = new ConsumeDispatcher(options.concurrency ?? DEFAULTS.concurrency, {
      processed: (pq, message) => this.processed(pq, message),
      sendBack: (pq, message) => this.sendBack(pq, message),
      handlerFailed: (error, message) => this.emitError(error, message),
    });
    this.rebalancer = new Rebalancer(this.client, options.group, clustering, () => this.subscriptions.topics, {
      startOffset: (queue) => this.startOffset(queue),
      startPulling: (pq) => this.startPulling(pq),
      stopPulling: (pq) => this.pullers.get(pq)?.interrupt(),
      commit: async (pq) => {
        this.offsets.update(pq.queue, pq.committableOffset());
        await this.offsets.persist([pq.queue]);
        this.offsets.forget(pq.queue);
        this.pullers.delete(pq);
      },
    });
  }

  get clientId(): string {
    return this.client.clientId;
  }

  /** The queues this consumer currently owns (after the last rebalance). */
  assignment(): MessageQueue[] {
    return [...this.rebalancer.owned.values()].map((pq) => pq.queue);
  }

  /** Reports handler failures and background errors. */
  onError(listener: (error: unknown, message?: ReceivedMessage) => void): void {
    this.errorListeners.push(listener);
  }

  /** Starts consuming; with a handler, every message goes to it. */
  async start(handler?: MessageHandler): Promise<void> {
    if (this.state !== 'created') throw new ClientError('INVALID_ARGUMENT', 'start() may be called once');
    if (handler !== undefined) this.dispatcher.useHandler(handler);
    this.state = 'started';
    this.client.start();
    for (const topic of this.subscriptions.userTopics) await this.client.route(topic);
    await this.client.heartbeatAll();
    await this.rebalanceUntilSettled();
    const every = (ms: number, task: () => Promise<unknown>): void => {
      this.timers.push(setInterval(() => void task().catch((error: unknown) => this.emitError(error)), ms).unref());
    };
    every(this.options.commitIntervalMs ?? DEFAULTS.commitIntervalMs, () => this.offsets.persist());
    every(this.options.rebalanceIntervalMs ?? DEFAULTS.rebalanceIntervalMs, () => this.rebalanceUntilSettled());
  }

  /** Messages as an async iterator (starts the consumer if needed); bounded by the prefetch limits. */
  messages(): AsyncGenerator<ReceivedMessage, void, undefined> {
    if (this.state === 'created') void this.start().catch((error: unknown) => this.emitError(error));
    return this.dispatcher.messages();
  }

  /** Finishes in-flight work, commits offsets and leaves the group. */
  async shutdown(): Promise<void> {
    if (this.state !== 'started') return;
    this.state = 'stopping';
    for (const timer of this.timers) clearInterval(timer);
    const draining = this.dispatcher.close(this.options.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs);
    for (const [pq, puller] of this.pullers) {
      pq.drop();
      puller.interrupt();
    }
    await draining;
    await this.rebalancer.releaseAll();
    await this.offsets.persist();
    await this.client.close({ consumerGroup: this.options.group });
    this.state = 'stopped';
  }

  private async rebalanceUntilSettled(): Promise<void> {
    const settled = await this.rebalancer.rebalance();
    if (!settled && this.state === 'started') {
      const retry = setTimeout(() => void this.rebalanceUntilSettled(), DEFAULTS.unsettledRetryMs);
      retry.unref();
    }
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
        accepts: (message) => this.subscriptions.accepts(topic, message),
      },
      (queue, messages) =>
        this.dispatcher.deliver(
          queue,
          messages.map((m) => this.presented(m)),
        ),
      () => this.state === 'started',
    );
    this.pullers.set(pq, puller);
    void puller.run();
  }

  /** A retried message shows its original topic, as RocketMQ consumers see it. */
  private presented(message: ReceivedMessage): ReceivedMessage {
    const original = message.properties[PROPERTY.retryTopic];
    if (!message.topic.startsWith(RETRY_TOPIC_PREFIX) || original === undefined) return message;
    return { ...message, topic: original };
  }

  private processed(pq: ProcessQueue, message: ReceivedMessage): void {
    const offset = pq.remove(message);
    if (!pq.dropped || this.state === 'stopping') this.offsets.update(pq.queue, offset);
  }

  private async sendBack(pq: ProcessQueue, message: ReceivedMessage): Promise<void> {
    const address = this.client.brokerAddress(pq.queue.brokerName);
    if (address === undefined) throw new ClientError('BROKER_UNAVAILABLE', pq.queue.brokerName);
    const response = await this.client.invoke(address, {
      code: REQUEST_CODE.CONSUMER_SEND_MSG_BACK,
      extFields: {
        offset: message.commitLogOffset,
        group: this.options.group,
        delayLevel: 0,
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
    const address = this.client.brokerAddress(queue.brokerName);
    if (address === undefined) throw new ClientError('BROKER_UNAVAILABLE', queue.brokerName);
    const extFields = { topic: queue.topic, queueId: queue.queueId, ...(timestamp === undefined ? {} : { timestamp }) };
    const response = await this.client.invoke(address, { code, extFields });
    if (response.code !== RESPONSE_CODE.SUCCESS)
      throw ClientError.fromResponse(response.code, response.remark, `offset of ${queueKey(queue)}`);
    return Number(response.extFields?.offset);
  }

  private heartbeat(clientId: string): object {
    const clustering = (this.options.messageModel ?? 'clustering') === 'clustering';
    const from = this.options.consumeFrom ?? 'last';
    return {
      clientID: clientId,
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
