// Delayed delivery: messages with a delay level wait in SCHEDULE_TOPIC_XXXX, queue level-1,
// in store order, which for one level is also due order. For each level this service reads
// the queue from its delivered offset, re-stores every message that is due under its real
// topic and queue, and records the new offset in a log-backed state machine, so delivery
// resumes where it stopped after a restart. A message due further ahead than its level's
// delay (a clock that jumped back) is treated as due now.
import { PROPERTY } from '../client/remoting/message-properties-codec.js';
import type { MessageInput, MessageStore, StoredMessage } from '../storage/index.js';
import { STATE_QUEUE, SYSTEM_TOPIC } from './broker-constants.js';
import type { MessageWriter } from './message-writer.js';
import { LogBackedStateMachine, type StateMachineDefinition } from './state/log-backed-state-machine.js';

const DELIVERY_BATCH_COUNT = 64;
/** How often levels with nothing due are looked at again. */
const IDLE_CHECK_INTERVAL_MS = 100;

type ProgressCommand = { level: number; offset: number };

const definition: StateMachineDefinition<Map<number, number>, ProgressCommand> = {
  name: 'schedule-progress',
  queueId: STATE_QUEUE.scheduleProgress,
  initial: () => new Map(),
  apply: (state, command) => void state.set(command.level, command.offset),
  toSnapshot: (state) => [...state],
  fromSnapshot: (data) => new Map(data as [number, number][]),
};

export class ScheduleMessageService {
  private readonly progress: LogBackedStateMachine<Map<number, number>, ProgressCommand>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: MessageStore,
    private readonly writer: MessageWriter,
    stateDirectory: string,
    private readonly delayLevelsMs: readonly number[],
    private readonly onError: (error: unknown, context: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.progress = LogBackedStateMachine.open(store, stateDirectory, definition);
  }

  get stateMachine(): LogBackedStateMachine<Map<number, number>, ProgressCommand> {
    return this.progress;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), IDLE_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Delivers everything due now; also called when tests want it without waiting. */
  tick(): Promise<void> {
    this.running ??= this.deliverDue()
      .catch((error: unknown) => this.onError(error, 'delivering delayed messages'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async deliverDue(): Promise<void> {
    for (let level = 1; level <= this.delayLevelsMs.length && !this.stopped; level++) {
      let more = true;
      while (more && !this.stopped) more = await this.deliverBatch(level);
    }
  }

  /** Delivers due messages of one level; true when a full batch went and more may be due. */
  private async deliverBatch(level: number): Promise<boolean> {
    const queueId = level - 1;
    const from = Math.max(
      this.progress.state.get(level) ?? 0,
      this.store.minQueueOffset(SYSTEM_TOPIC.schedule, queueId),
    );
    const result = this.store.read(SYSTEM_TOPIC.schedule, queueId, from, DELIVERY_BATCH_COUNT);
    if (result.status !== 'found') return false;
    const delay = this.delayLevelsMs[level - 1]!;
    const now = this.now();
    const due: StoredMessage[] = [];
    for (const message of result.messages) {
      const deliverAt = message.storeTimestamp + delay;
      if (deliverAt > now && deliverAt <= now + delay) break;
      due.push(message);
    }
    if (due.length === 0) return false;
    await Promise.all(due.map((message) => this.writer.put(restore(message))));
    const next = due.at(-1)!.queueOffset + 1;
    await this.progress.submit({ level, offset: next });
    return due.length === result.messages.length && result.messages.length === DELIVERY_BATCH_COUNT;
  }
}

/** The message as it was sent: real topic and queue back, delay properties gone. */
function restore(message: StoredMessage): MessageInput {
  const properties: Record<string, string> = { ...message.properties };
  const topic = properties[PROPERTY.realTopic] ?? message.topic;
  const queueId = Number(properties[PROPERTY.realQueueId] ?? 0);
  delete properties[PROPERTY.realTopic];
  delete properties[PROPERTY.realQueueId];
  delete properties[PROPERTY.delayLevel];
  return {
    topic,
    queueId,
    body: message.body,
    properties,
    flag: message.flag,
    sysFlag: message.sysFlag,
    bornTimestamp: message.bornTimestamp,
    bornHost: message.bornHost,
    reconsumeTimes: message.reconsumeTimes,
  };
}
