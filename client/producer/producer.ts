// Producer: sends messages to a topic's queues. Queues are chosen round-robin (one queue per
// event-loop turn's burst of plain sends), skipping brokers that just failed or were slow; a
// message with a sharding key always goes to the same queue. Failed sends are retried on another broker (twice by default). Concurrent sends to one
// queue are coalesced into batch requests (see SendCoalescer).
import {
  SEND_MESSAGE_V2_FIELD as F,
  AUTO_CREATE_TOPIC_KEY_TOPIC,
  AUTO_CREATE_TOPIC_QUEUE_COUNT,
} from '../../protocol/header-fields.js';
import { retryAfterFieldMs } from '../../protocol/retry-after-field.js';
import { BUSY_RESPONSES, QUOTA_WAIT_MS_MAX_DEFAULT, busyRetryDelayMs, hintedRetryDelayMs } from './busy-backoff.js';
import { ClientError } from '../client-error.js';
import { ClientInstance } from '../client-instance.js';
import { localIPv4, type ClientOptions } from '../client-options.js';
import { javaStringHash } from '../../protocol/java-string-hash.js';
import { LatencyFaultTolerance } from './latency-fault-tolerance.js';
import {
  FAILURE_LATENCY_MS,
  RETRIES_DEFAULT,
  MESSAGE_BYTES_MAX_DEFAULT,
  BATCH_COUNT_MAX_DEFAULT,
  BATCH_BYTES_MAX_DEFAULT,
  PLAIN_SEND_REQUESTS_IN_FLIGHT_PER_QUEUE,
  PLAIN_SEND_BURST_BYTES_MAX,
} from '../client-constants.js';
import { prepareOutgoing, type Message, type OutgoingMessage } from './outgoing-message.js';
import { QueuedSend, type AfterFirstFailure } from './queued-send.js';
import { encodeBatch } from '../../protocol/batch-message-codec.js';
import { groupNameProblem } from '../../protocol/name-rules.js';
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { SendCoalescer } from './send-coalescer.js';
import { masterAddress, queueKey, writableQueues, type MessageQueue, type TopicRoute } from '../topic-route.js';
import { UniqueMessageId } from './unique-message-id.js';
import { tracingActive } from '../../protocol/messaging-tracing.js';
import { endSendSpan, startSendSpan } from './send-span.js';

/** Options of a Producer: `group` is required, every other option has the default named on its field. */
export interface ProducerOptions extends ClientOptions {
  group: string;
  /** Extra attempts after a failed send (default 2). */
  retries?: number;
  /** Largest body (default 4 MiB). */
  maxMessageBytes?: number;
  /** zlib-compress bodies larger than this (default: never). */
  compressOverBytes?: number;
  /** Coalesce concurrent sends to a queue into batch requests (default true). */
  batching?: boolean;
  maxBatchCount?: number;
  maxBatchBytes?: number;
  /** Longest wait for one message in sends refused over a broker quota (default 60 s; see busy-backoff.ts). */
  quotaWaitMsMax?: number;
}

/** Where a sent message was stored, and its ids. */
export interface SendResult {
  /** The message id the producer assigned (UNIQ_KEY); stable across retries. */
  msgId: string;
  /** The broker's id: store host and commit log offset. */
  offsetMsgId: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
}

/** Broker answers after which a retry elsewhere may succeed (RocketMQ's list). */
const RETRIABLE_RESPONSES: ReadonlySet<number> = new Set([
  RESPONSE_CODE.SYSTEM_ERROR,
  RESPONSE_CODE.SYSTEM_BUSY,
  RESPONSE_CODE.SERVICE_NOT_AVAILABLE,
  RESPONSE_CODE.NO_PERMISSION,
  RESPONSE_CODE.TOPIC_NOT_EXIST,
]);

/**
 * Sends messages to topics. Queues are chosen round-robin, skipping brokers that just failed; a
 * message with a sharding key always goes to the same queue. A failed send is retried on another
 * broker (`retries`, default 2) when the failure is retriable; concurrent sends to one queue are
 * coalesced into batch requests.
 * @throws ClientError INVALID_ARGUMENT without a group, INVALID_GROUP_NAME for a group the broker
 * would refuse.
 */
export class Producer {
  /** Shared with subclasses (TransactionProducer) for requests of their own. */
  protected readonly client: ClientInstance;
  private readonly ids = new UniqueMessageId(localIPv4());
  private readonly faults = new LatencyFaultTolerance();
  private readonly coalescer: SendCoalescer<MessageQueue, OutgoingMessage, SendResult>;
  private readonly maxMessageBytes: number;
  private readonly compressOverBytes: number;
  private readonly batching: boolean;
  private nextQueue = 0;
  /** The queue this turn's plain sends go to (see chooseQueue), or undefined. */
  private burst: { queues: readonly MessageQueue[]; queue: MessageQueue; count: number; bytes: number } | undefined;
  private readonly burstMax: number;
  private state: 'created' | 'started' | 'shut down' = 'created';

  constructor(private readonly options: ProducerOptions) {
    if (typeof options?.group !== 'string' || options.group === '')
      throw new ClientError('INVALID_ARGUMENT', 'group is required');
    const problem = groupNameProblem(options.group, 'producer');
    if (problem !== undefined) throw new ClientError('INVALID_GROUP_NAME', problem);
    this.client = new ClientInstance(
      options,
      {
        heartbeat: () => ({ producerDataSet: [{ groupName: options.group }], consumerDataSet: [] }),
        onRequest: (request, address) => this.onBrokerRequest(request, address),
      },
      { producerGroup: options.group },
    );
    this.maxMessageBytes = options.maxMessageBytes ?? MESSAGE_BYTES_MAX_DEFAULT;
    this.compressOverBytes = options.compressOverBytes ?? Number.POSITIVE_INFINITY;
    this.batching = options.batching ?? true;
    this.burstMax = options.maxBatchCount ?? BATCH_COUNT_MAX_DEFAULT;
    this.coalescer = new SendCoalescer(queueKey, (queue, messages) => this.request(queue, messages), {
      maxBatchCount: options.maxBatchCount ?? BATCH_COUNT_MAX_DEFAULT,
      maxBatchBytes: options.maxBatchBytes ?? BATCH_BYTES_MAX_DEFAULT,
      plainRequestsInFlight: PLAIN_SEND_REQUESTS_IN_FLIGHT_PER_QUEUE,
    });
  }

  /**
   * Starts the producer (routes, heartbeats). Call once, before sending.
   * @throws ClientError INVALID_ARGUMENT when called twice, SHUT_DOWN after shutdown().
   */
  async start(): Promise<void> {
    if (this.state !== 'created')
      throw new ClientError(this.state === 'started' ? 'INVALID_ARGUMENT' : 'SHUT_DOWN', 'start() called twice');
    this.state = 'started';
    this.client.start();
  }

  /**
   * Sends one message and resolves once a broker stored it.
   * @throws ClientError: NOT_STARTED or SHUT_DOWN; INVALID_ARGUMENT for a bad message (topic, body
   * type or size past maxMessageBytes, separators in tags, keys or properties); NO_ROUTE when no
   * name server knows the topic; SEND_FAILED after every attempt failed with a retriable error;
   * BROKER_ERROR (with responseCode) when a broker refused it.
   */
  send(message: Message): Promise<SendResult> {
    if (!tracingActive()) return this.sendUntraced(message);
    const { span, message: carrying } = startSendSpan(message, this.options.group, false);
    return endSendSpan(span, this.sendUntraced(carrying), this.brokerAddressOf);
  }

  private sendUntraced(message: Message): Promise<SendResult> {
    let outgoing: OutgoingMessage;
    try {
      this.assertStarted();
      outgoing = prepareOutgoing(message, this.ids, this.maxMessageBytes, this.compressOverBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.sendWithRetries(outgoing);
  }

  /** Sends several messages of one topic; resolves with one result per message, in order. */
  async sendBatch(topic: string, messages: readonly Omit<Message, 'topic'>[]): Promise<SendResult[]> {
    this.assertStarted();
    if (!Array.isArray(messages)) throw new ClientError('INVALID_ARGUMENT', 'sendBatch takes an array');
    if (tracingActive()) return this.sendBatchTraced(topic, messages);
    const outgoing = messages.map((message) =>
      prepareOutgoing({ ...message, topic }, this.ids, this.maxMessageBytes, this.compressOverBytes),
    );
    return Promise.all(outgoing.map((message) => this.sendWithRetries(message)));
  }

  /** sendBatch with a send span per message; a message that fails its checks fails its span and the batch. */
  private async sendBatchTraced(topic: string, messages: readonly Omit<Message, 'topic'>[]): Promise<SendResult[]> {
    const spans = messages.map((message) => startSendSpan({ ...message, topic }, this.options.group, false));
    let outgoing: OutgoingMessage[];
    try {
      outgoing = spans.map(({ message }) =>
        prepareOutgoing(message, this.ids, this.maxMessageBytes, this.compressOverBytes),
      );
    } catch (error) {
      for (const { span } of spans) void endSendSpan(span, Promise.reject(error), this.brokerAddressOf).catch(() => {});
      throw error;
    }
    return Promise.all(
      outgoing.map((message, i) => endSendSpan(spans[i]!.span, this.sendWithRetries(message), this.brokerAddressOf)),
    );
  }

  private readonly brokerAddressOf = (brokerName: string): string | undefined => this.client.brokerAddress(brokerName);

  /** Leaves the producer group (brokers forget it) and closes the connections; later sends reject with SHUT_DOWN. */
  async shutdown(): Promise<void> {
    if (this.state === 'shut down') return;
    this.state = 'shut down';
    await this.client.close({ producerGroup: this.options.group });
  }

  /**
   * A request a broker sent this producer. A plain producer answers none; TransactionProducer
   * answers transaction checks.
   */
  protected onBrokerRequest(
    request: RemotingCommand,
    _brokerAddress: string,
  ): RemotingCommand | undefined | Promise<RemotingCommand | undefined> {
    return responseTo(request, RESPONSE_CODE.REQUEST_CODE_NOT_SUPPORTED, `request code ${request.code} not supported`);
  }

  /** Sends a transaction's half message: alone (never batched), with the usual retries. */
  protected async sendPrepared(message: Message): Promise<SendResult> {
    this.assertStarted();
    if (!tracingActive()) return this.sendPreparedUntraced(message);
    const { span, message: carrying } = startSendSpan(message, this.options.group, true);
    return endSendSpan(span, this.sendPreparedUntraced(carrying), this.brokerAddressOf);
  }

  private async sendPreparedUntraced(message: Message): Promise<SendResult> {
    const outgoing = prepareOutgoing(
      message,
      this.ids,
      this.maxMessageBytes,
      this.compressOverBytes,
      this.options.group,
    );
    return this.sendWithRetries(outgoing);
  }

  private assertStarted(): void {
    if (this.state !== 'started') throw new ClientError(this.state === 'created' ? 'NOT_STARTED' : 'SHUT_DOWN');
  }

  /**
   * Sends with up to `retries` more attempts after a retriable failure. The usual send (route
   * cached, coalescing on) is one promise the coalescer settles: no async function and no await
   * per message, which cost more than the rest of the send path together. The first failure
   * of such a send continues in sendAttempts, as does every other send.
   */
  private sendWithRetries(message: OutgoingMessage): Promise<SendResult> {
    const route = this.client.cachedRoute(message.topic);
    if (route === undefined || !this.batching || message.transactional) return this.sendAttempts(message, 0);
    let queue: MessageQueue;
    try {
      queue = this.chooseQueue(message, route, undefined);
    } catch (error) {
      // The cached route has no master now (a failover): the retries fetch it afresh.
      return isRetriable(error) ? this.sendAttempts(message, 1, undefined, error) : Promise.reject(error);
    }
    return this.enqueued(message, queue);
  }

  /** A first attempt through the coalescer; its failure continues in afterFirstFailure. */
  private enqueued(message: OutgoingMessage, queue: MessageQueue): Promise<SendResult> {
    return new Promise<SendResult>((resolve, reject) => {
      this.coalescer.enqueue(queue, new QueuedSend(message, queue, resolve, reject, this.afterFirstFailure));
    });
  }

  private readonly afterFirstFailure: AfterFirstFailure<SendResult> = (message, brokerName, error) =>
    isRetriable(error) ? this.sendAttempts(message, 1, brokerName, error) : Promise.reject(error);

  /** Attempts `first` and on of a send, each on a freshly chosen queue avoiding the last failed broker. */
  private async sendAttempts(
    message: OutgoingMessage,
    first: number,
    failedBroker?: string,
    failure?: unknown,
  ): Promise<SendResult> {
    const attempts = 1 + (this.options.retries ?? RETRIES_DEFAULT);
    let lastBroker = failedBroker;
    let lastError = failure;
    let busyRetries = 0;
    let quotaWaitedMs = 0;
    const quotaWaitMsMax = this.options.quotaWaitMsMax ?? QUOTA_WAIT_MS_MAX_DEFAULT;
    for (let attempt = first; attempt < attempts; attempt++) {
      const hint = isBusy(lastError) ? (lastError as ClientError).retryAfterMs : undefined;
      if (hint !== undefined && quotaWaitedMs < quotaWaitMsMax) {
        // Paced by a quota: wait as the broker says, and the attempt does not count.
        const wait = hintedRetryDelayMs(hint);
        quotaWaitedMs += wait;
        await delay(wait);
        if (attempt > first) attempt--;
      } else if (isBusy(lastError)) await delay(busyRetryDelayMs(++busyRetries));
      const route = await this.client.sendRoute(message.topic, attempt > 0);
      let queue: MessageQueue;
      try {
        queue = this.chooseQueue(message, route, lastBroker);
      } catch (error) {
        // No writable queue in this route (its master is away): the next attempt re-reads it.
        lastError = error;
        if (!isRetriable(error)) throw error;
        continue;
      }
      // A half message skips the coalescer: its place in the half queue means nothing (the real
      // message is stored at commit). An ordered send's retries skip it too: its lane waits for
      // them (see SendCoalescer), so they are stored before the sends behind it.
      const coalesced = this.batching && !message.transactional;
      if (coalesced && attempt === 0) return this.enqueued(message, queue);
      try {
        return await (coalesced && message.shardingKey === undefined
          ? this.coalescer.submit(queue, message, message.body.length + message.properties.length, message.batchable)
          : this.request(queue, [message]).then((r) => r[0]!));
      } catch (error) {
        lastError = error;
        lastBroker = queue.brokerName;
        if (!isRetriable(error)) throw error;
      }
    }
    // Still no writable queue after re-reading the route: say so, as a first attempt would.
    if (lastError instanceof ClientError && lastError.code === 'NO_ROUTE') throw lastError;
    const last = lastError instanceof Error ? `; last: ${lastError.message}` : '';
    throw new ClientError('SEND_FAILED', `${message.topic} after ${attempts} attempts${last}`, { cause: lastError });
  }

  private chooseQueue(message: OutgoingMessage, route: TopicRoute, avoid: string | undefined): MessageQueue {
    const queues = writableQueues(message.topic, route);
    if (queues.length === 0) throw new ClientError('NO_ROUTE', `${message.topic} has no writable queue`);
    if (message.shardingKey !== undefined)
      return queues[Math.abs(javaStringHash(message.shardingKey)) % queues.length]!;
    // A turn's plain sends (the sends a batch of results released) go to one queue, up to one
    // batch, then on round-robin: one request per turn instead of one per queue, and queues
    // still take turns across turns. Retries (avoid set) choose afresh.
    const burst = this.burst;
    if (
      avoid === undefined &&
      burst !== undefined &&
      burst.queues === queues &&
      burst.count < this.burstMax &&
      burst.bytes < PLAIN_SEND_BURST_BYTES_MAX
    ) {
      burst.count++;
      burst.bytes += message.body.length;
      return burst.queue;
    }
    const queue = this.roundRobin(queues, avoid);
    if (avoid === undefined && this.batching) {
      if (this.burst === undefined) queueMicrotask(this.endBurst);
      this.burst = { queues, queue, count: 1, bytes: message.body.length };
    }
    return queue;
  }

  private readonly endBurst = (): void => {
    this.burst = undefined;
  };

  private roundRobin(queues: readonly MessageQueue[], avoid: string | undefined): MessageQueue {
    for (let tried = 0; tried < queues.length; tried++) {
      const queue = queues[this.nextQueue++ % queues.length]!;
      if (queue.brokerName !== avoid && this.faults.isAvailable(queue.brokerName)) return queue;
    }
    return queues[this.nextQueue++ % queues.length]!;
  }

  /**
   * One SEND_MESSAGE_V2 or SEND_BATCH_MESSAGE request carrying `messages`. How it went is
   * recorded for the broker's fault tolerance: the request's latency, or a failure.
   */
  private async request(queue: MessageQueue, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const started = Date.now();
    try {
      const results = await this.sendRequest(queue, messages);
      this.faults.record(queue.brokerName, Date.now() - started);
      return results;
    } catch (error) {
      if (isRetriable(error)) this.faults.record(queue.brokerName, FAILURE_LATENCY_MS);
      throw error;
    }
  }

  private async sendRequest(queue: MessageQueue, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const address = this.client.brokerAddress(queue.brokerName);
    if (address === undefined) throw new ClientError('BROKER_UNAVAILABLE', `no address for ${queue.brokerName}`);
    const first = messages[0]!;
    const batch = messages.length > 1;
    const extFields = {
      [F.producerGroup]: this.options.group,
      [F.topic]: queue.topic,
      [F.defaultTopic]: AUTO_CREATE_TOPIC_KEY_TOPIC,
      [F.defaultTopicQueueNums]: AUTO_CREATE_TOPIC_QUEUE_COUNT,
      [F.queueId]: queue.queueId,
      [F.sysFlag]: batch ? 0 : first.sysFlag,
      [F.bornTimestamp]: Date.now(),
      [F.flag]: batch ? 0 : first.flag,
      [F.properties]: batch ? '' : first.properties,
      [F.reconsumeTimes]: 0,
      [F.unitMode]: false,
      [F.batch]: batch,
    };
    const body = batch ? encodeBatch(messages) : first.body;
    const code = batch ? REQUEST_CODE.SEND_BATCH_MESSAGE : REQUEST_CODE.SEND_MESSAGE_V2;
    const response = await this.client.invoke(address, { code, extFields, body });
    if (response.code !== RESPONSE_CODE.SUCCESS)
      throw ClientError.fromResponse(
        response.code,
        response.remark,
        `send to ${queue.topic}`,
        retryAfterFieldMs(response.extFields),
      );
    const offsetIds = String(response.extFields?.msgId ?? '').split(',');
    const queueOffset = Number(response.extFields?.queueOffset);
    return messages.map((message, i) => ({
      msgId: message.uniqueKey,
      offsetMsgId: offsetIds[i] ?? '',
      brokerName: queue.brokerName,
      queueId: queue.queueId,
      queueOffset: queueOffset + i,
    }));
  }
}

function isBusy(error: unknown): boolean {
  return error instanceof ClientError && error.responseCode !== undefined && BUSY_RESPONSES.has(error.responseCode);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isRetriable(error: unknown): boolean {
  if (!(error instanceof ClientError)) return false;
  if (error.responseCode !== undefined) return RETRIABLE_RESPONSES.has(error.responseCode);
  return error.retriable;
}
