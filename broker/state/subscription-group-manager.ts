// Consumer group configurations, a log-backed state machine. Groups are created on first
// heartbeat (as RocketMQ's autoCreateSubscriptionGroup does) or by an admin.
import type { MessageStore } from '../../storage/index.js';
import { MAX_RECONSUME_TIMES_DEFAULT, RETRY_QUEUE_COUNT, STATE_QUEUE } from '../broker-constants.js';
import { LogBackedStateMachine, type StateMachineDefinition } from './log-backed-state-machine.js';

export interface SubscriptionGroupConfig {
  readonly groupName: string;
  readonly consumeEnable: boolean;
  readonly consumeBroadcastEnable: boolean;
  readonly retryQueueNums: number;
  readonly retryMaxTimes: number;
}

type GroupCommand = { op: 'upsert'; config: SubscriptionGroupConfig } | { op: 'delete'; group: string };

const definition: StateMachineDefinition<Map<string, SubscriptionGroupConfig>, GroupCommand> = {
  name: 'subscription-groups',
  queueId: STATE_QUEUE.subscriptionGroup,
  initial: () => new Map(),
  apply(state, command) {
    if (command.op === 'upsert') state.set(command.config.groupName, command.config);
    else state.delete(command.group);
  },
  toSnapshot: (state) => [...state.values()],
  fromSnapshot: (data) => new Map((data as SubscriptionGroupConfig[]).map((g) => [g.groupName, g])),
};

export function defaultGroupConfig(groupName: string): SubscriptionGroupConfig {
  return {
    groupName,
    consumeEnable: true,
    consumeBroadcastEnable: true,
    retryQueueNums: RETRY_QUEUE_COUNT,
    retryMaxTimes: MAX_RECONSUME_TIMES_DEFAULT,
  };
}

export class SubscriptionGroupManager {
  private readonly machine: LogBackedStateMachine<Map<string, SubscriptionGroupConfig>, GroupCommand>;

  constructor(store: MessageStore, stateDirectory: string) {
    this.machine = LogBackedStateMachine.open(store, stateDirectory, definition);
  }

  get(group: string): SubscriptionGroupConfig | undefined {
    return this.machine.state.get(group);
  }

  all(): IterableIterator<SubscriptionGroupConfig> {
    return this.machine.state.values();
  }

  /** The group's config, creating the default one if the group is new. */
  async ensure(group: string): Promise<SubscriptionGroupConfig> {
    const existing = this.get(group);
    if (existing !== undefined) return existing;
    const config = defaultGroupConfig(group);
    await this.machine.submit({ op: 'upsert', config });
    return config;
  }

  async upsert(config: SubscriptionGroupConfig): Promise<void> {
    await this.machine.submit({ op: 'upsert', config });
  }

  async delete(group: string): Promise<void> {
    if (this.get(group) !== undefined) await this.machine.submit({ op: 'delete', group });
  }

  get stateMachine(): LogBackedStateMachine<Map<string, SubscriptionGroupConfig>, GroupCommand> {
    return this.machine;
  }
}
