// How far delayed delivery has got, as a log-backed state machine (ARCHITECTURE.md §4). A lane is one
// source of held messages: lanes 1..18 are the delay levels (SCHEDULE_TOPIC_XXXX queue
// lane-1, delivered in queue order), lane 0 is deliverAt (TRIBUTARY_TIMER queue 0, delivered
// in (due time, queue offset) order).
//
// Every delivery batch is bracketed by two commands, and the begin command is appended in the
// same synchronous step as the batch's copies, right before them:
//
// | command | fields                          | applied                                        |
// |---------|---------------------------------|------------------------------------------------|
// | begin   | lane, batch (DeliveryBatch)     | lane.inFlight = batch                          |
// | done    | lane, count, scanFrom?          | the first `count` items of the batch are       |
// |         |                                 | settled: a level's `next` moves past them, the |
// |         |                                 | timer's cursor becomes the last of them        |
// | (v0)    | level, offset                   | level.next = offset (before begin/done)        |
//
// A lane whose last command is a begin was interrupted; the service settles it at startup by
// looking for the batch's copies in their queues (delivery-batch.ts).
import { STATE_QUEUE } from '../broker-constants.js';
import type { DeliveryBatch } from '../delivery/delivery-batch.js';
import type { StateMachineDefinition } from './log-backed-state-machine.js';

/** The lane of deliverAt messages; lanes 1.. are delay levels. */
export const TIMER_LANE = 0;

export interface LevelProgress {
  /** First queue offset of the level's schedule queue not yet delivered. */
  next: number;
  inFlight: DeliveryBatch | undefined;
}

export interface TimerProgress {
  /** Due time and queue offset of the last delivered message: everything up to it is done. */
  cursorDueMs: number;
  cursorOffset: number;
  /** No message held in the timer queue below this offset is still pending. */
  scanFrom: number;
  inFlight: DeliveryBatch | undefined;
}

export interface ScheduleProgress {
  levels: Map<number, LevelProgress>;
  timer: TimerProgress;
}

export type ScheduleProgressCommand =
  | { op: 'begin'; lane: number; batch: DeliveryBatch }
  | { op: 'done'; lane: number; count: number; scanFrom?: number }
  | { op?: undefined; level: number; offset: number };

function initialTimer(): TimerProgress {
  return { cursorDueMs: 0, cursorOffset: -1, scanFrom: 0, inFlight: undefined };
}

function levelOf(state: ScheduleProgress, level: number): LevelProgress {
  let progress = state.levels.get(level);
  if (progress === undefined) state.levels.set(level, (progress = { next: 0, inFlight: undefined }));
  return progress;
}

function apply(state: ScheduleProgress, command: ScheduleProgressCommand): void {
  if (command.op === undefined) {
    levelOf(state, command.level).next = command.offset;
    return;
  }
  const lane = command.lane === TIMER_LANE ? state.timer : levelOf(state, command.lane);
  if (command.op === 'begin') {
    lane.inFlight = command.batch;
    return;
  }
  const batch = lane.inFlight;
  lane.inFlight = undefined;
  if (batch !== undefined && command.count > 0) {
    const last = command.count - 1;
    if (lane === state.timer) {
      state.timer.cursorDueMs = batch.dues[last]!;
      state.timer.cursorOffset = batch.offsets[last]!;
    } else {
      (lane as LevelProgress).next = batch.offsets[last]! + 1;
    }
  }
  if (command.scanFrom !== undefined && lane === state.timer) state.timer.scanFrom = command.scanFrom;
}

interface SnapshotV1 {
  levels: [number, LevelProgress][];
  timer: TimerProgress;
}

export const SCHEDULE_PROGRESS_DEFINITION: StateMachineDefinition<ScheduleProgress, ScheduleProgressCommand> = {
  name: 'schedule-progress',
  queueId: STATE_QUEUE.scheduleProgress,
  initial: () => ({ levels: new Map(), timer: initialTimer() }),
  apply,
  toSnapshot: (state): SnapshotV1 => ({ levels: [...state.levels], timer: state.timer }),
  fromSnapshot(data) {
    // Snapshots before deliverAt were [level, offset] pairs.
    if (Array.isArray(data)) {
      const pairs = data as [number, number][];
      return {
        levels: new Map(pairs.map(([level, next]) => [level, { next, inFlight: undefined }])),
        timer: initialTimer(),
      };
    }
    const snapshot = data as SnapshotV1;
    const levels = new Map(
      snapshot.levels.map(([level, progress]) => [level, { next: progress.next, inFlight: progress.inFlight }]),
    );
    return { levels, timer: { ...initialTimer(), ...snapshot.timer } };
  },
};
