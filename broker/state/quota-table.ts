// Rate limit quotas (ARCHITECTURE.md §2, state queue 9) as a log-backed state machine: each
// quota names a scope (a topic or an account for produce, a consumer group for pulls) and its
// rates. Set and delete are logged, so quotas survive restarts and replicate with the log; the
// token buckets that enforce them (broker/quotas/quota-enforcer.ts) are in memory only.
import type { MessageStore } from '../../storage/index.js';
import { STATE_QUEUE } from '../broker-constants.js';
import { LogBackedStateMachine, type StateMachineDefinition } from './log-backed-state-machine.js';

export type QuotaScope = 'topic' | 'account' | 'group';
export const QUOTA_SCOPES: readonly QuotaScope[] = ['topic', 'account', 'group'];

export interface Quota {
  readonly scope: QuotaScope;
  readonly name: string;
  /** Produce: messages a second (topic, account). */
  readonly messagesPerS?: number;
  /** Produce: body bytes a second (topic, account). */
  readonly bytesPerS?: number;
  /** Pull requests a second (group). */
  readonly pullsPerS?: number;
}

type QuotaState = Map<string, Quota>;
type QuotaCommand = { op: 'set'; quota: Quota } | { op: 'delete'; scope: QuotaScope; name: string };

export function quotaKey(scope: QuotaScope, name: string): string {
  return `${scope}\u0000${name}`;
}

const definition: StateMachineDefinition<QuotaState, QuotaCommand> = {
  name: 'quotas',
  queueId: STATE_QUEUE.quotas,
  initial: () => new Map(),
  apply(state, command) {
    if (command.op === 'set') state.set(quotaKey(command.quota.scope, command.quota.name), command.quota);
    else state.delete(quotaKey(command.scope, command.name));
  },
  toSnapshot: (state) => [...state.values()],
  fromSnapshot: (data) => new Map((data as Quota[]).map((quota) => [quotaKey(quota.scope, quota.name), quota])),
};

export class QuotaTable {
  private readonly machine: LogBackedStateMachine<QuotaState, QuotaCommand>;
  private readonly listeners: ((scope: QuotaScope, name: string, quota: Quota | undefined) => void)[] = [];

  constructor(store: MessageStore, stateDirectory: string) {
    this.machine = LogBackedStateMachine.open(store, stateDirectory, definition);
  }

  get stateMachine(): LogBackedStateMachine<QuotaState, QuotaCommand> {
    return this.machine;
  }

  get size(): number {
    return this.machine.state.size;
  }

  all(): Quota[] {
    return [...this.machine.state.values()];
  }

  /** Called with every change (undefined: deleted), in the tick it is applied. */
  onChange(listener: (scope: QuotaScope, name: string, quota: Quota | undefined) => void): void {
    this.listeners.push(listener);
  }

  async set(quota: Quota): Promise<void> {
    const stored = this.machine.submit({ op: 'set', quota });
    for (const listener of this.listeners) listener(quota.scope, quota.name, quota);
    await stored;
  }

  /** False when there was no such quota. */
  async delete(scope: QuotaScope, name: string): Promise<boolean> {
    if (!this.machine.state.has(quotaKey(scope, name))) return false;
    const stored = this.machine.submit({ op: 'delete', scope, name });
    for (const listener of this.listeners) listener(scope, name, undefined);
    await stored;
    return true;
  }
}
