// Consumer offsets per (group, topic, queue), a log-backed state machine. Commits that change
// nothing are not logged: clients re-send unchanged offsets every 5 s.
import type { MessageStore } from '../storage/index.js';
import { STATE_QUEUE } from './broker-constants.js';
import { LogBackedStateMachine, type StateMachineDefinition } from './state/log-backed-state-machine.js';

type OffsetCommand =
  | { op: 'commit'; group: string; topic: string; offsets: [queueId: number, offset: number][] }
  | { op: 'delete-group'; group: string };

/** Key "topic@group", as RocketMQ's offset table. */
type OffsetState = Map<string, Map<number, number>>;

const definition: StateMachineDefinition<OffsetState, OffsetCommand> = {
  name: 'consumer-offsets',
  queueId: STATE_QUEUE.consumerOffset,
  initial: () => new Map(),
  apply(state, command) {
    if (command.op === 'commit') {
      const key = offsetKey(command.topic, command.group);
      let queues = state.get(key);
      if (queues === undefined) state.set(key, (queues = new Map()));
      for (const [queueId, offset] of command.offsets) queues.set(queueId, offset);
    } else {
      const suffix = `@${command.group}`;
      for (const key of [...state.keys()]) if (key.endsWith(suffix)) state.delete(key);
    }
  },
  toSnapshot: (state) => [...state].map(([key, queues]) => [key, [...queues]]),
  fromSnapshot: (data) =>
    new Map((data as [string, [number, number][]][]).map(([key, queues]) => [key, new Map(queues)])),
};

function offsetKey(topic: string, group: string): string {
  return `${topic}@${group}`;
}

export class ConsumerOffsetManager {
  private readonly machine: LogBackedStateMachine<OffsetState, OffsetCommand>;

  constructor(store: MessageStore, stateDirectory: string) {
    this.machine = LogBackedStateMachine.open(store, stateDirectory, definition);
  }

  /** The committed offset, or undefined when the group never committed one for the queue. */
  query(group: string, topic: string, queueId: number): number | undefined {
    return this.machine.state.get(offsetKey(topic, group))?.get(queueId);
  }

  /** Stores offsets; only changed ones are logged. Negative offsets are ignored (ali-ons -1). */
  async commit(group: string, topic: string, offsets: readonly [number, number][]): Promise<void> {
    const queues = this.machine.state.get(offsetKey(topic, group));
    const changed = offsets.filter(([queueId, offset]) => offset >= 0 && queues?.get(queueId) !== offset);
    if (changed.length > 0) await this.machine.submit({ op: 'commit', group, topic, offsets: changed });
  }

  /** Every (topic, queueId, offset) a group has committed. */
  offsetsOf(group: string): { topic: string; queueId: number; offset: number }[] {
    const suffix = `@${group}`;
    const result: { topic: string; queueId: number; offset: number }[] = [];
    for (const [key, queues] of this.machine.state) {
      if (!key.endsWith(suffix)) continue;
      const topic = key.slice(0, -suffix.length);
      for (const [queueId, offset] of queues) result.push({ topic, queueId, offset });
    }
    return result;
  }

  /** Groups with committed offsets on `topic`. */
  groupsOf(topic: string): string[] {
    const prefix = `${topic}@`;
    return [...this.machine.state.keys()]
      .filter((key) => key.startsWith(prefix))
      .map((key) => key.slice(prefix.length));
  }

  async deleteGroup(group: string): Promise<void> {
    await this.machine.submit({ op: 'delete-group', group });
  }

  get stateMachine(): LogBackedStateMachine<OffsetState, OffsetCommand> {
    return this.machine;
  }
}
