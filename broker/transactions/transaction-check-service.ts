// Transaction check-back (RocketMQ 4.x transactional messages, ARCHITECTURE.md §4): every `checkIntervalMs` the broker
// reads the half queue from the oldest open transaction and, for each half message still open
// and older than `timeoutMs` (or its CHECK_IMMUNITY_TIME_IN_SECONDS, if longer), sends
// CHECK_TRANSACTION_STATE to one live producer of its group and counts a check round. The
// producer answers with END_TRANSACTION (fromTransactionCheck=true). A half message whose
// `checkMax` rounds went unanswered moves to TRANS_CHECK_MAX_TIME_TOPIC and is never delivered.
//
// A round counts even when no producer of the group is online (as in RocketMQ), so every half
// message reaches an end state within checkMax rounds and the open window of the progress
// table stays bounded. Rounds are counted in TransactionProgress rather than by re-appending
// the half message, so the half queue holds each transaction once and counts survive restarts.
import assert from 'node:assert/strict';

import { encodeMessage } from '../../protocol/message-encoder.js';
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { StoredMessage } from '../../storage/index.js';
import type { MessageWriter } from '../delivery/message-writer.js';
import type { StoreReader } from '../store-reader.js';
import { SYSTEM_TOPIC } from '../broker-constants.js';
import { HALF_QUEUE_ID, producerGroupOf, toCheckMaxMessage, toCheckRecord } from './half-message.js';
import type { ProducerManager } from '../clients/producer-manager.js';
import type { TransactionProgress } from '../state/transaction-progress.js';
import { isFinalTransactionState } from './transaction-state.js';

/** Half messages read per store read while scanning. */
const CHECK_BATCH_COUNT = 64;
const MS_PER_SECOND = 1000;

export interface TransactionCheckOptions {
  readonly checkIntervalMs: number;
  /** A half message younger than this is not checked yet. */
  readonly timeoutMs: number;
  /** Check rounds before a half message is given up (moved to the check-max topic). */
  readonly checkMax: number;
}

export class TransactionCheckService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: StoreReader,
    private readonly writer: MessageWriter,
    private readonly progress: TransactionProgress,
    private readonly producers: ProducerManager,
    private readonly options: TransactionCheckOptions,
    private readonly onError: (error: unknown, context: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    assert.ok(options.checkIntervalMs > 0, `transaction check interval ${options.checkIntervalMs} ms`);
    assert.ok(options.timeoutMs >= 0, `transaction timeout ${options.timeoutMs} ms`);
    assert.ok(Number.isInteger(options.checkMax) && options.checkMax >= 1, `transaction checkMax ${options.checkMax}`);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.checkIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Runs one check round now (unless one is running: then waits for it). */
  tick(): Promise<void> {
    this.running ??= this.checkRound()
      .catch((error: unknown) => this.onError(error, 'checking transactions'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async checkRound(): Promise<void> {
    const topic = SYSTEM_TOPIC.transactionHalf;
    let offset = Math.max(this.progress.settledBelow, this.store.minQueueOffset(topic, HALF_QUEUE_ID));
    const now = this.now();
    while (!this.stopped) {
      const result = this.store.read(topic, HALF_QUEUE_ID, offset, CHECK_BATCH_COUNT);
      if (result.status !== 'found' || result.messages.length === 0) return;
      const moves: Promise<void>[] = [];
      let reachedYoung = false;
      for (const half of result.messages) {
        // Half messages are in store order: from the first one too young, all are.
        reachedYoung = now - half.storeTimestamp < this.options.timeoutMs;
        if (reachedYoung) break;
        const move = this.checkOne(half, now);
        if (move !== undefined) moves.push(move);
      }
      await Promise.all(moves);
      if (reachedYoung || result.messages.length < CHECK_BATCH_COUNT) return;
      offset = result.nextQueueOffset;
    }
  }

  /** Checks back or gives up one half message if it is open and due; the move's promise. */
  private checkOne(half: StoredMessage, now: number): Promise<void> | undefined {
    const entry = this.progress.stateOf(half.queueOffset);
    if (entry === undefined || isFinalTransactionState(entry.state)) return undefined;
    if (now - half.storeTimestamp < immunityMs(half)) return undefined;
    if (entry.checks >= this.options.checkMax) {
      // As it is: the parked copy keeps REAL_TOPIC, and no delay or timer handling may ever
      // move it on to its real topic.
      const parked = this.writer.putAsIs(toCheckMaxMessage(half, entry.checks));
      this.progress.counters.givenUp++;
      return Promise.all([parked, this.progress.move(half.queueOffset, 'check_max')]).then(() => undefined);
    }
    const group = producerGroupOf(half);
    const channel = group === undefined ? undefined : this.producers.anyChannel(group);
    const body = encodeMessage(toCheckRecord(half, entry.checks + 1));
    const moved = this.progress.move(half.queueOffset, 'checking');
    const msgId = half.msgId;
    const header = {
      tranStateTableOffset: half.queueOffset,
      commitLogOffset: half.commitLogOffset,
      msgId,
      transactionId: msgId,
      offsetMsgId: half.offsetMsgId,
    };
    if (channel === undefined) this.progress.counters.checksUnsent++;
    else {
      channel.sendOneway(REQUEST_CODE.CHECK_TRANSACTION_STATE, header, body);
      this.progress.counters.checksSent++;
    }
    return moved;
  }
}

/** CHECK_IMMUNITY_TIME_IN_SECONDS in ms; 0 when absent or malformed. */
function immunityMs(half: StoredMessage): number {
  const seconds = Number(half.properties[PROPERTY.checkImmunitySeconds]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * MS_PER_SECOND : 0;
}
