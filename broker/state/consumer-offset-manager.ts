// Consumer offsets per (group, topic, queue), a log-backed state machine. Commits that change
// nothing are not logged: clients re-send unchanged offsets every 5 s. The offsets every pull
// carries are gathered and logged together every OFFSET_PULL_COMMIT_INTERVAL_MS, one record
// per group and topic, not one per pull (RocketMQ keeps them in memory and persists every 5 s).
// Only logged offsets are reported, so none a query returned is lost to a crash; a crash
// forgets at most one interval of pull-carried progress, which consumers then see again.
import type { MessageStore } from '../../storage/index.js';
import { STATE_QUEUE } from '../broker-constants.js';
import { LogBackedStateMachine, type StateMachineDefinition } from './log-backed-state-machine.js';

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

/** How often offsets carried by pulls are logged. */
export const OFFSET_PULL_COMMIT_INTERVAL_MS = 1000;

function offsetKey(topic: string, group: string): string {
  return `${topic}@${group}`;
}

export class ConsumerOffsetManager {
  private readonly machine: LogBackedStateMachine<OffsetState, OffsetCommand>;
  /** Offsets carried by pulls and not logged yet, by "topic@group". */
  private pending = new Map<string, { group: string; topic: string; offsets: Map<number, number> }>();
  private pendingTimer: NodeJS.Timeout | undefined;

  constructor(
    store: MessageStore,
    stateDirectory: string,
    private readonly onError: (error: unknown, context: string) => void = () => undefined,
  ) {
    this.machine = LogBackedStateMachine.open(store, stateDirectory, definition);
  }

  /**
   * The committed offset, or undefined when the group never committed one for the queue. Only
   * logged offsets count: one reported as committed is never taken back by a crash.
   */
  query(group: string, topic: string, queueId: number): number | undefined {
    return this.machine.state.get(offsetKey(topic, group))?.get(queueId);
  }

  /** Records an offset a pull carried; it is logged with the others within the interval. */
  commitSoon(group: string, topic: string, queueId: number, offset: number): void {
    if (offset < 0) return;
    const key = offsetKey(topic, group);
    let entry = this.pending.get(key);
    if (entry === undefined) this.pending.set(key, (entry = { group, topic, offsets: new Map() }));
    entry.offsets.set(queueId, offset);
    this.pendingTimer ??= setTimeout(() => {
      this.pendingTimer = undefined;
      this.flushPending().catch((error: unknown) => this.onError(error, 'logging offsets carried by pulls'));
    }, OFFSET_PULL_COMMIT_INTERVAL_MS).unref();
  }

  /** Logs the offsets pulls carried since the last time. */
  async flushPending(): Promise<void> {
    const pending = this.pending;
    this.pending = new Map();
    await Promise.all(
      [...pending.values()].map(({ group, topic, offsets }) => this.commit(group, topic, [...offsets])),
    );
  }

  /** Logs what is pending and stops the timer; for broker shutdown. */
  async close(): Promise<void> {
    clearTimeout(this.pendingTimer);
    this.pendingTimer = undefined;
    await this.flushPending();
  }

  /** Stores offsets; only changed ones are logged. Negative offsets are ignored (ali-ons -1). */
  async commit(group: string, topic: string, offsets: readonly [number, number][]): Promise<void> {
    const key = offsetKey(topic, group);
    // An explicit commit supersedes what pulls carried for the same queues.
    const pending = this.pending.get(key)?.offsets;
    for (const [queueId] of offsets) pending?.delete(queueId);
    const queues = this.machine.state.get(key);
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

  /** Every group with a committed offset on some topic. */
  allGroups(): string[] {
    const groups = new Set<string>();
    for (const key of this.machine.state.keys()) groups.add(key.slice(key.lastIndexOf('@') + 1));
    return [...groups];
  }

  async deleteGroup(group: string): Promise<void> {
    for (const key of [...this.pending.keys()]) if (key.endsWith(`@${group}`)) this.pending.delete(key);
    await this.machine.submit({ op: 'delete-group', group });
  }

  get stateMachine(): LogBackedStateMachine<OffsetState, OffsetCommand> {
    return this.machine;
  }
}
