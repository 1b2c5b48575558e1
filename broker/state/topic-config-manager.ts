// Topic configurations, a log-backed state machine. Every change bumps the data version the
// broker reports to name servers, so they know to refresh their routes.
import type { MessageStore } from '../../storage/index.js';
import { PERMISSION } from '../../protocol/header-fields.js';
import { STATE_QUEUE } from '../broker-constants.js';
import { LogBackedStateMachine, type StateMachineDefinition } from './log-backed-state-machine.js';

export interface TopicConfig {
  readonly topicName: string;
  readonly readQueueNums: number;
  readonly writeQueueNums: number;
  readonly perm: number;
  readonly order: boolean;
  readonly topicSysFlag: number;
}

type TopicCommand = { op: 'upsert'; config: TopicConfig } | { op: 'delete'; topic: string };

interface TopicState {
  topics: Map<string, TopicConfig>;
  version: number;
}

const definition: StateMachineDefinition<TopicState, TopicCommand> = {
  name: 'topics',
  queueId: STATE_QUEUE.topicConfig,
  initial: () => ({ topics: new Map(), version: 0 }),
  apply(state, command) {
    if (command.op === 'upsert') state.topics.set(command.config.topicName, command.config);
    else state.topics.delete(command.topic);
    state.version++;
  },
  toSnapshot: (state) => ({ topics: [...state.topics.values()], version: state.version }),
  fromSnapshot(data) {
    const { topics, version } = data as { topics: TopicConfig[]; version: number };
    return { topics: new Map(topics.map((t) => [t.topicName, t])), version };
  },
};

export function topicConfig(topicName: string, queueCount: number, perm: number = PERMISSION.readWrite): TopicConfig {
  return { topicName, readQueueNums: queueCount, writeQueueNums: queueCount, perm, order: false, topicSysFlag: 0 };
}

export class TopicConfigManager {
  private readonly machine: LogBackedStateMachine<TopicState, TopicCommand>;
  /** Changes at every update; name servers compare it to skip unchanged registrations. */
  readonly dataVersionTimestamp = Date.now();

  constructor(store: MessageStore, stateDirectory: string) {
    this.machine = LogBackedStateMachine.open(store, stateDirectory, definition);
  }

  get(topic: string): TopicConfig | undefined {
    return this.machine.state.topics.get(topic);
  }

  all(): IterableIterator<TopicConfig> {
    return this.machine.state.topics.values();
  }

  get dataVersion(): { timestamp: number; counter: number } {
    return { timestamp: this.dataVersionTimestamp, counter: this.machine.state.version };
  }

  /** Creates or updates a topic; resolves when the change is stored. No-op if unchanged. */
  async upsert(config: TopicConfig): Promise<void> {
    const existing = this.get(config.topicName);
    if (existing !== undefined && sameConfig(existing, config)) return;
    await this.machine.submit({ op: 'upsert', config });
  }

  async delete(topic: string): Promise<void> {
    if (this.get(topic) !== undefined) await this.machine.submit({ op: 'delete', topic });
  }

  get stateMachine(): LogBackedStateMachine<TopicState, TopicCommand> {
    return this.machine;
  }
}

function sameConfig(a: TopicConfig, b: TopicConfig): boolean {
  return (
    a.readQueueNums === b.readQueueNums &&
    a.writeQueueNums === b.writeQueueNums &&
    a.perm === b.perm &&
    a.order === b.order &&
    a.topicSysFlag === b.topicSysFlag
  );
}
