// Delayed delivery. Messages with a delay level wait in SCHEDULE_TOPIC_XXXX, queue level-1, in
// store order, which for one level is also due order; messages with a deliverAt wait in
// TRIBUTARY_TIMER in arrival order, and an in-memory heap (timer-index.ts) orders them by due
// time. Each source is a lane (schedule-progress.ts); the service delivers each lane's due
// messages in due order, in batches, by re-storing them under their real topic and queue.
//
// Exactly once across crashes: a batch's begin command (which messages, and where their copies
// will land) is appended in the same synchronous step as the copies, right before them, and a
// done command after them. A crash keeps a prefix of the commit log, so a lane whose last
// command is a begin lost at most the end of its batch; before delivering more, the service
// looks each copy up where the begin said it would land (delivery-batch.ts), counts those
// present as delivered and delivers only the rest. No copy is lost and none is stored twice.
//
// Why a heap rebuilt at startup and not a timer wheel: the heap costs two numbers per pending
// message and delivers in exact due order; the timer lane's durable state is a cursor (the
// last (due, offset) delivered) and a scan floor (no pending message below it), so a restart
// reads the timer queue from the floor once: about 160 ms per 100,000 pending messages (1.3 s
// per million). A wheel (RocketMQ 5) avoids that read but needs its own files and format, and
// the floor makes retention keep the log from the oldest pending message on (at most 3 days).
//
// A delay-level message due further ahead than its level's delay (a clock that jumped back)
// is treated as due now, as RocketMQ does.
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import { StoreError, type AppendResult, type MessageInput, type MessageStore } from '../../storage/index.js';
import type { StoredMessage } from '../../storage/index.js';
import { SYSTEM_TOPIC } from '../broker-constants.js';
import { deliveredCopies, planDeliveryBatch, restoreHeldMessage, type DeliveryBatch } from './delivery-batch.js';
import {
  SCHEDULE_PROGRESS_DEFINITION,
  TIMER_LANE,
  type ScheduleProgress,
  type ScheduleProgressCommand,
} from '../state/schedule-progress.js';
import { LogBackedStateMachine } from '../state/log-backed-state-machine.js';
import { TimerIndex, timerEntryAfter, type TimerEntry } from './timer-index.js';

/** Held messages re-stored per batch (one begin and one done command each). */
const DELIVERY_BATCH_COUNT = 64;
/** Timer queue entries read per step when indexing new arrivals or rebuilding at startup. */
const TIMER_SCAN_BATCH_COUNT = 1024;
/** Longest sleep between passes: new arrivals and clock changes are noticed this soon. */
const IDLE_CHECK_INTERVAL_MS = 100;
/** After a failed pass, the next waits this long (RocketMQ waits 10 s; failures are rare). */
const FAILURE_RETRY_DELAY_MS = 1000;
/** The timer's scan floor is recomputed (a linear pass over the heap) at most this often. */
const SCAN_FLOOR_REFRESH_INTERVAL_MS = 1000;

/** What the service needs of the MessageWriter; tests pass their own to stage crashes. */
export interface ScheduleWriter {
  put(message: MessageInput): Promise<AppendResult>;
  timerDeliveredThroughMs: number;
  onTimerHeld: ((dueMs: number) => void) | undefined;
}

/** Store failures that concern one message, which a later attempt would hit again. */
const MESSAGE_ERRORS: ReadonlySet<string> = new Set([
  'INVALID_TOPIC',
  'INVALID_QUEUE_ID',
  'INVALID_BODY',
  'BODY_TOO_LARGE',
  'PROPERTIES_TOO_LARGE',
  'INVALID_PROPERTY',
  'INVALID_MESSAGE',
]);

export class ScheduleMessageService {
  private readonly progress: LogBackedStateMachine<ScheduleProgress, ScheduleProgressCommand>;
  private readonly timerIndex = new TimerIndex();
  /** Next timer queue offset to index. */
  private timerScannedThrough: number;
  /** The last timer entry taken for delivery; entries at or before it are never taken again. */
  private timerTaken: TimerEntry;
  private scanFloorRefreshedAtMs = 0;
  /** Earliest due time seen during the current pass (head of a level, top of the heap). */
  private nextDueMs = Number.POSITIVE_INFINITY;
  /** Earliest due time of timer messages held since the last indexing. */
  private unindexedDueMs = Number.POSITIVE_INFINITY;
  private wakeAtMs = Number.POSITIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private started = false;
  private stopped = false;

  constructor(
    private readonly store: MessageStore,
    private readonly writer: ScheduleWriter,
    stateDirectory: string,
    private readonly delayLevelsMs: readonly number[],
    private readonly onError: (error: unknown, context: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.progress = LogBackedStateMachine.open(store, stateDirectory, SCHEDULE_PROGRESS_DEFINITION);
    const timer = this.progress.state.timer;
    this.timerTaken = { dueMs: timer.cursorDueMs, offset: timer.cursorOffset };
    this.timerScannedThrough = timer.scanFrom;
    // An interrupted batch may have delivered any of its messages: arrivals due before its
    // last one are stored at once, never held behind the cursor it will settle at.
    const inFlightDues = timer.inFlight?.dues ?? [];
    writer.timerDeliveredThroughMs = Math.max(timer.cursorDueMs, ...inFlightDues);
    writer.onTimerHeld = (dueMs) => this.heldUntil(dueMs);
    this.indexTimerArrivals();
  }

  get stateMachine(): LogBackedStateMachine<ScheduleProgress, ScheduleProgressCommand> {
    return this.progress;
  }

  /** Entries of the deliverAt heap: the pending messages, plus any stale copy not yet dropped. */
  get timerPendingCount(): number {
    return this.timerIndex.size;
  }

  start(): void {
    this.started = true;
    this.wake(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Delivers everything due now; also called when tests want it without waiting. */
  tick(): Promise<void> {
    this.running ??= this.deliverDue()
      .then(
        () => this.wake(this.nextDueMs - this.now()),
        (error: unknown) => {
          this.onError(error, 'delivering delayed messages');
          this.wake(FAILURE_RETRY_DELAY_MS);
        },
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /**
   * The commit log offset below which nothing is needed: the progress log's floor and the
   * oldest message still held in any lane.
   */
  retentionFloor(): number {
    let floor = this.progress.retentionFloor();
    const oldest = (topic: string, queueId: number, from: number): void => {
      const message = this.store.read(topic, queueId, from, 1).messages[0];
      if (message !== undefined) floor = Math.min(floor, message.commitLogOffset);
    };
    for (let level = 1; level <= this.delayLevelsMs.length; level++)
      oldest(SYSTEM_TOPIC.schedule, level - 1, this.progress.state.levels.get(level)?.next ?? 0);
    oldest(SYSTEM_TOPIC.timer, 0, this.timerScanFloor());
    return floor;
  }

  /** Sleeps until `delayMs` from now (capped by the idle interval), unless woken sooner. */
  private wake(delayMs: number): void {
    if (!this.started || this.stopped) return;
    const wakeAt = this.now() + Math.max(0, Math.min(delayMs, IDLE_CHECK_INTERVAL_MS));
    if (this.timer !== undefined && wakeAt >= this.wakeAtMs) return;
    clearTimeout(this.timer);
    this.wakeAtMs = wakeAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wakeAtMs = Number.POSITIVE_INFINITY;
      void this.tick();
    }, wakeAt - this.now());
    this.timer.unref();
  }

  /** A message was just held for `dueMs`: make sure a pass runs by then. */
  private heldUntil(dueMs: number): void {
    this.unindexedDueMs = Math.min(this.unindexedDueMs, dueMs);
    if (this.running === undefined) this.wake(dueMs - this.now());
  }

  private async deliverDue(): Promise<void> {
    this.nextDueMs = Number.POSITIVE_INFINITY;
    this.indexTimerArrivals();
    const lanes = [TIMER_LANE, ...this.delayLevelsMs.map((_, i) => i + 1)];
    const results = await Promise.allSettled(lanes.map((lane) => this.drain(lane)));
    this.nextDueMs = Math.min(this.nextDueMs, this.unindexedDueMs, this.timerIndex.peekDueMs() ?? Infinity);
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /** Delivers a lane's due messages, batch after batch, until none is due. */
  private async drain(lane: number): Promise<void> {
    while (!this.stopped) {
      const inFlight =
        lane === TIMER_LANE ? this.progress.state.timer.inFlight : this.progress.state.levels.get(lane)?.inFlight;
      if (inFlight !== undefined) await this.settle(lane, inFlight);
      else if (!(await (lane === TIMER_LANE ? this.deliverTimerBatch() : this.deliverLevelBatch(lane)))) return;
    }
  }

  /** One batch of a delay level; false when nothing more is due. */
  private async deliverLevelBatch(level: number): Promise<boolean> {
    const queueId = level - 1;
    const from = Math.max(
      this.progress.state.levels.get(level)?.next ?? 0,
      this.store.minQueueOffset(SYSTEM_TOPIC.schedule, queueId),
    );
    const result = this.store.read(SYSTEM_TOPIC.schedule, queueId, from, DELIVERY_BATCH_COUNT);
    if (result.status !== 'found') return false;
    const delay = this.delayLevelsMs[level - 1]!;
    const now = this.now();
    const due: StoredMessage[] = [];
    for (const message of result.messages) {
      const deliverAt = message.storeTimestamp + delay;
      if (deliverAt > now && deliverAt <= now + delay) {
        this.nextDueMs = Math.min(this.nextDueMs, deliverAt);
        break;
      }
      due.push(message);
    }
    if (due.length === 0) return false;
    await this.deliver(level, due, []);
    return due.length === result.messages.length;
  }

  /** One batch of deliverAt messages, taken from the heap in due order; false when none is due. */
  private async deliverTimerBatch(): Promise<boolean> {
    const now = this.now();
    const held: StoredMessage[] = [];
    const dues: number[] = [];
    while (held.length < DELIVERY_BATCH_COUNT && (this.timerIndex.peekDueMs() ?? Infinity) <= now) {
      const entry = this.timerIndex.pop()!;
      if (!timerEntryAfter(entry, this.timerTaken)) continue;
      this.timerTaken = entry;
      const message = this.store.read(SYSTEM_TOPIC.timer, 0, entry.offset, 1).messages[0];
      if (message === undefined) {
        this.onError(new StoreError('CORRUPT_STORE', `held message ${entry.offset} is gone`), 'delivering deliverAt');
        continue;
      }
      held.push(message);
      dues.push(entry.dueMs);
    }
    if (held.length === 0) return false;
    this.writer.timerDeliveredThroughMs = Math.max(this.writer.timerDeliveredThroughMs, this.timerTaken.dueMs);
    await this.deliver(TIMER_LANE, held, dues);
    return true;
  }

  /**
   * Re-stores `held` under their real topics: begin command and copies in one synchronous
   * step, then the done command once every copy is stored.
   */
  private async deliver(lane: number, held: readonly StoredMessage[], dues: number[]): Promise<void> {
    const copies = held.map((message) => restoreHeldMessage(message, lane));
    const offsets = held.map((message) => message.queueOffset);
    const batch = planDeliveryBatch(this.store, copies, offsets, dues);
    const begun = this.progress.submit({ op: 'begin', lane, batch });
    const stored = copies.map((copy) => this.writer.put(copy));
    const [begin, ...results] = await Promise.allSettled([begun, ...stored]);
    if (begin!.status === 'rejected') throw begin!.reason;
    const failures = results.flatMap((result, i) =>
      result.status === 'rejected' ? [{ i, error: result.reason }] : [],
    );
    for (const { i, error } of failures) {
      const what = `delivering held message ${copies[i]!.properties![PROPERTY.scheduleSource]} to ${copies[i]!.topic}`;
      this.onError(error, what);
    }
    const retriable = failures.find(({ error }) => !(error instanceof StoreError && MESSAGE_ERRORS.has(error.code)));
    // A message the store refuses as such is refused forever: skip it. Anything else (the
    // store failing) leaves the batch in flight, to be settled from the log later.
    if (retriable !== undefined) throw retriable.error;
    await this.finish(lane, batch.offsets.length);
  }

  /** Settles an interrupted batch: its copies in the log count as delivered, the rest is not. */
  private async settle(lane: number, batch: DeliveryBatch): Promise<void> {
    const delivered = deliveredCopies(this.store, lane, batch);
    const count = delivered.lastIndexOf(true) + 1;
    await this.finish(lane, count);
    if (lane !== TIMER_LANE) return;
    // Undelivered entries go back to the heap (twice if the startup scan found them too: the
    // taken-cursor check drops the second).
    const timer = this.progress.state.timer;
    this.timerTaken = { dueMs: timer.cursorDueMs, offset: timer.cursorOffset };
    for (let i = count; i < batch.offsets.length; i++) this.timerIndex.push(batch.dues[i]!, batch.offsets[i]!);
  }

  private finish(lane: number, count: number): Promise<void> {
    if (lane !== TIMER_LANE) return this.progress.submit({ op: 'done', lane, count });
    const now = this.now();
    if (now - this.scanFloorRefreshedAtMs < SCAN_FLOOR_REFRESH_INTERVAL_MS)
      return this.progress.submit({ op: 'done', lane, count });
    this.scanFloorRefreshedAtMs = now;
    return this.progress.submit({ op: 'done', lane, count, scanFrom: this.timerScanFloor() });
  }

  /** No timer message below this queue offset is still pending (in the heap or unindexed). */
  private timerScanFloor(): number {
    const inFlight = this.progress.state.timer.inFlight?.offsets ?? [];
    return Math.min(this.timerScannedThrough, this.timerIndex.minOffset() ?? Infinity, ...inFlight);
  }

  /** Adds timer messages held since the last call to the heap; at startup, every pending one. */
  private indexTimerArrivals(): void {
    this.unindexedDueMs = Number.POSITIVE_INFINITY;
    for (;;) {
      const result = this.store.read(SYSTEM_TOPIC.timer, 0, this.timerScannedThrough, TIMER_SCAN_BATCH_COUNT);
      if (result.status === 'offset_too_small') {
        this.timerScannedThrough = result.nextQueueOffset;
        continue;
      }
      if (result.status !== 'found') return;
      for (const message of result.messages) {
        const entry = { dueMs: Number(message.properties[PROPERTY.timerDeliverMs]) || 0, offset: message.queueOffset };
        if (timerEntryAfter(entry, this.timerTaken)) this.timerIndex.push(entry.dueMs, entry.offset);
      }
      this.timerScannedThrough = result.nextQueueOffset;
    }
  }
}
