// The pull loop of one assigned queue: long-polls the broker (held up to 15 s, answered the
// moment a message lands), hands what arrives to the dispatcher, and pauses while the queue
// holds its prefetch limits. Failures (the broker, the network) back off and retry; a bug in
// the pull path (programmer-error.ts) is reported through `failed` and ends the loop instead
// of retrying in silence. The loop also ends when the queue is dropped by a rebalance or the
// consumer shuts down.
//
// Prefetch bounds (RocketMQ's pullThresholdForQueue and pullThresholdSizeForQueue): a pull
// starts only once a whole batch fits under `prefetchCount` (so pulls stay full-sized instead
// of one message per handler finishing) and while the queue holds fewer than `prefetchBytes`
// body bytes; it asks for no more messages than the count has room for, so the count never
// exceeds its bound. Sizes are unknown until the messages arrive: the bytes can exceed theirs
// by at most one pull's worth (pullBatchSize bodies). Handlers finishing messages make room
// and wake the loop.
//
// Records are decoded one by one (decodeRecords): one that does not decode (a compressed body
// that does not inflate, say) is held like a message and handed to `undecodable`, which reports
// it and sends it back, so the messages after it still arrive. A record whose frame is broken
// cannot even be named: the records before it are kept, it is pulled again alone to learn where
// it ends, and then reported to `skipped` and passed over.
import type { ProcessQueue, HeldRecord } from './process-queue.js';
import {
  decodeMessages,
  type ReceivedMessage,
  decodeRecords,
  isUndecodable,
  type MessageDecodeError,
  type UndecodableRecord,
} from '../../protocol/message-decoder.js';
import type { ClientInstance } from '../client-instance.js';
import type { OffsetStore } from './offset-store.js';
import { PULL_MESSAGE_FIELD as F, PULL_SYS_FLAG } from '../../protocol/header-fields.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { retryAfterFieldMs } from '../../protocol/retry-after-field.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { UndecodableMessageError } from './undecodable-message-error.js';
import { tracingActive } from '../../protocol/messaging-tracing.js';
import { recordReceiveSpan } from './receive-span.js';
import { isProgrammerError } from '../programmer-error.js';
import { PULL_SUSPEND_MS, PULL_TIMEOUT_MS, PULL_ERROR_BACKOFF_MS } from '../client-constants.js';

export interface PullSettings {
  readonly group: string;
  readonly batchSize: number;
  readonly prefetchCount: number;
  readonly prefetchBytes: number;
  /** The subscription expression sent to the broker, and the local tag check. */
  readonly expression: string;
  /** The local tag check; undefined takes every message. */
  readonly accepts: ((message: ReceivedMessage) => boolean) | undefined;
}

/** What the puller hands on besides messages. */
export interface PullerHooks {
  /** A held record that did not decode: report it and send it back, then mark it processed. */
  readonly undecodable: (processQueue: ProcessQueue, record: UndecodableRecord) => void;
  /** A record too broken to name or send back was passed over. */
  readonly skipped: (error: UndecodableMessageError) => void;
  /** A bug (a TypeError, a failed assertion) ended the queue's pull loop. */
  readonly failed: (error: unknown) => void;
}

export class QueuePuller {
  private backoff: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  /** The broker's retry-after hint of the last refused pull (a pull quota), if any. */
  private quotaRetryAfterMs: number | undefined;
  /** The broker id the last pull response suggested reading from (RocketMQ suggestWhichBrokerId). */
  private suggestedBrokerId = 0;
  /** The last pull's frame broke at its first record: pull one record at a time until past it. */
  private isolating = false;

  constructor(
    private readonly client: ClientInstance,
    private readonly offsets: OffsetStore,
    private readonly processQueue: ProcessQueue,
    private readonly settings: PullSettings,
    private readonly deliver: (processQueue: ProcessQueue, messages: ReceivedMessage[]) => void,
    private readonly running: () => boolean,
    private readonly hooks: PullerHooks,
  ) {}

  async run(): Promise<void> {
    const pq = this.processQueue;
    const { prefetchCount, prefetchBytes, batchSize } = this.settings;
    // Room for a whole batch: at most prefetchCount - batch held (everything, for a tiny bound).
    const countBelow = prefetchCount - Math.min(batchSize, prefetchCount) + 1;
    while (!pq.dropped && this.running()) {
      await pq.waitForRoom(countBelow, prefetchBytes);
      if (pq.dropped || !this.running()) break;
      let ok: boolean;
      try {
        ok = await this.pullOnce();
      } catch (error) {
        if (isProgrammerError(error)) return this.hooks.failed(error);
        ok = false;
      }
      // A broker that failed a pull may be gone (a failover elects another master): the route
      // is re-read now rather than at the next periodic refresh (one request per topic at once).
      if (!ok && this.quotaRetryAfterMs === undefined && this.running())
        void this.client.route(pq.queue.topic, true).catch(() => undefined);
      // A pull failing because the consumer closed its connections needs no back-off timer
      // (one would keep the process alive a second after shutdown).
      if (!ok && !pq.dropped && this.running()) await this.sleep(this.quotaRetryAfterMs ?? PULL_ERROR_BACKOFF_MS);
      this.quotaRetryAfterMs = undefined;
    }
  }

  /** Wakes a backing-off loop so it notices a drop or shutdown at once. */
  interrupt(): void {
    const backoff = this.backoff;
    if (backoff === undefined) return;
    clearTimeout(backoff.timer);
    this.backoff = undefined;
    backoff.resolve();
  }

  /** One pull; false when it failed and the loop should back off. */
  private async pullOnce(): Promise<boolean> {
    const pq = this.processQueue;
    const { queue } = pq;
    const address = this.client.brokerReadAddress(queue.brokerName, this.suggestedBrokerId);
    if (address === undefined) return false;
    // A replica stores no commits (its offsets come from its master): they go to the master.
    const fromMaster = address === this.client.brokerAddress(queue.brokerName);
    const commitOffset = fromMaster ? this.offsets.local(queue) : undefined;
    const sysFlag =
      PULL_SYS_FLAG.suspend |
      PULL_SYS_FLAG.subscription |
      (commitOffset !== undefined ? PULL_SYS_FLAG.commitOffset : 0);
    const tracing = tracingActive();
    const startedMs = tracing ? Date.now() : 0;
    const response = await this.client.invoke(
      address,
      {
        code: REQUEST_CODE.PULL_MESSAGE,
        extFields: {
          [F.consumerGroup]: this.settings.group,
          [F.topic]: queue.topic,
          [F.queueId]: queue.queueId,
          [F.queueOffset]: pq.nextPullOffset,
          [F.maxMsgNums]: this.isolating
            ? 1
            : Math.max(1, Math.min(this.settings.batchSize, this.settings.prefetchCount - pq.count)),
          [F.sysFlag]: sysFlag,
          [F.commitOffset]: commitOffset ?? -1,
          [F.suspendTimeoutMillis]: PULL_SUSPEND_MS,
          [F.subscription]: this.settings.expression,
          [F.subVersion]: 0,
        },
      },
      PULL_TIMEOUT_MS,
    );
    if (pq.dropped) return true;
    const next = Number(response.extFields?.nextBeginOffset);
    const suggested = Number(response.extFields?.suggestWhichBrokerId);
    if (Number.isSafeInteger(suggested) && suggested >= 0) this.suggestedBrokerId = suggested;
    switch (response.code) {
      case RESPONSE_CODE.SUCCESS: {
        const { records, broken } = decodeRecords(response.body as Buffer);
        if (broken !== undefined) return this.brokenFrame(records, broken, next);
        if (Number.isSafeInteger(next)) pq.nextPullOffset = next;
        this.isolating = false;
        this.take(records, tracing ? { address, startedMs } : undefined);
        return true;
      }
      case RESPONSE_CODE.PULL_NOT_FOUND:
      case RESPONSE_CODE.PULL_RETRY_IMMEDIATELY:
        if (Number.isSafeInteger(next)) pq.nextPullOffset = next;
        // Entries the broker filtered out count as consumed once nothing before them is held.
        if (pq.count === 0) this.offsets.update(queue, pq.nextPullOffset);
        return true;
      case RESPONSE_CODE.PULL_OFFSET_MOVED:
        if (Number.isSafeInteger(next)) {
          pq.nextPullOffset = next;
          if (pq.count === 0) this.offsets.update(queue, next);
        }
        return true;
      case RESPONSE_CODE.SYSTEM_BUSY:
        // Over the group's pull quota: the broker says when the next pull is admitted.
        this.quotaRetryAfterMs = retryAfterFieldMs(response.extFields);
        return false;
      default:
        return false;
    }
  }

  /** Holds and hands on what was pulled (nextPullOffset already set); traced when `trace` is given. */
  private take(
    records: (ReceivedMessage | UndecodableRecord)[],
    trace?: { readonly address: string; readonly startedMs: number },
  ): void {
    const pq = this.processQueue;
    const { held, messages, undecodable } = this.sort(records);
    if (held.length === 0) {
      if (pq.count === 0) this.offsets.update(pq.queue, pq.nextPullOffset);
      return;
    }
    pq.add(held);
    if (messages.length > 0) {
      if (trace !== undefined)
        recordReceiveSpan(this.settings.group, pq.queue, trace.address, trace.startedMs, messages);
      this.deliver(pq, messages);
    }
    for (const record of undecodable) this.hooks.undecodable(pq, record);
  }

  /**
   * The records to hold, to deliver and to send back as undecodable. When every record is a
   * message the subscription takes (nearly every pull), the pulled list itself is the held and
   * the delivered list: no two copies built a push at a time.
   */
  private sort(records: (ReceivedMessage | UndecodableRecord)[]): {
    held: readonly HeldRecord[];
    messages: ReceivedMessage[];
    undecodable: readonly UndecodableRecord[];
  } {
    const accepts = this.settings.accepts;
    let plain = true;
    for (let i = 0; plain && i < records.length; i++) {
      const record = records[i]!;
      plain = !isUndecodable(record) && (accepts === undefined || accepts(record));
    }
    if (plain) return { held: records, messages: records as ReceivedMessage[], undecodable: [] };
    const held: HeldRecord[] = [];
    const messages: ReceivedMessage[] = [];
    const undecodable: UndecodableRecord[] = [];
    for (const record of records) {
      if (isUndecodable(record)) {
        held.push(record);
        undecodable.push(record);
      } else if (accepts === undefined || accepts(record)) {
        held.push(record);
        messages.push(record);
      }
    }
    return { held, messages, undecodable };
  }

  /**
   * A pull whose frame broke at some record. The records before it are taken and the next pull
   * starts at it, alone; when it is alone and still broken, it is reported and passed over
   * (nothing names it, so nothing can be sent back).
   */
  private brokenFrame(
    records: (ReceivedMessage | UndecodableRecord)[],
    broken: MessageDecodeError,
    next: number,
  ): boolean {
    const pq = this.processQueue;
    const last = records[records.length - 1];
    const wasIsolating = this.isolating;
    this.isolating = true;
    if (last !== undefined) {
      pq.nextPullOffset = last.queueOffset + 1;
      this.take(records);
      return true;
    }
    if (!wasIsolating) return true;
    this.isolating = false;
    const ids = { queue: pq.queue, msgId: undefined, queueOffset: pq.nextPullOffset, commitLogOffset: undefined };
    pq.nextPullOffset = Number.isSafeInteger(next) && next > pq.nextPullOffset ? next : pq.nextPullOffset + 1;
    if (pq.count === 0) this.offsets.update(pq.queue, pq.nextPullOffset);
    this.hooks.skipped(new UndecodableMessageError(ids, `its frame is broken (${broken.message})`, broken));
    return true;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.backoff = undefined;
        resolve();
      }, ms);
      this.backoff = { timer, resolve };
    });
  }
}
