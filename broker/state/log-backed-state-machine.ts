// Broker state that must survive a restart, kept as a state machine fed by a log (ARCHITECTURE.md §4):
// each command is appended to a queue of the internal state topic in the commit log and
// applied to the in-memory state in the same tick, so the state always equals the commands
// logged so far. A snapshot, stamped with the first queue offset it does not cover, is written
// every `snapshotEveryCommands` commands; recovery loads it and replays the commands after it.
// The commit log's retention never removes a command a snapshot does not cover yet. A snapshot
// the log cannot back (it covers commands past the state queue's end, and the log starts at its
// beginning so it alone holds the whole state) is deleted at open and the state rebuilt from
// the log: the log was wiped, lost its tail or was cut while the snapshot file survived.
import path from 'node:path';

import { StoreError, type MessageStore } from '../../storage/index.js';
import { discardSnapshot } from './discarded-snapshots.js';
import { decodeStateFrame, encodeStateFrame } from './state-command-frame.js';
import {
  decodeSnapshot,
  encodeSnapshot,
  readSnapshot,
  writeSnapshot,
  writeSnapshotBytes,
  type StateSnapshot,
} from './state-snapshot.js';

/** The internal topic whose queues hold state machine commands, one queue per machine. */
export const STATE_TOPIC = 'TRIBUTARY_STATE';
export const SNAPSHOT_EVERY_COMMANDS_DEFAULT = 10_000;
const REPLAY_BATCH_COUNT = 256;

export interface StateMachineDefinition<State, Command> {
  /** Snapshot file name. */
  readonly name: string;
  /** Queue of STATE_TOPIC holding this machine's commands; unique per machine. */
  readonly queueId: number;
  initial(): State;
  /** Applies a command to the state in place. Must be deterministic. */
  apply(state: State, command: Command): void;
  toSnapshot(state: State): unknown;
  fromSnapshot(data: unknown): State;
}

export class LogBackedStateMachine<State, Command> {
  private sinceSnapshot = 0;
  private snapshotting: Promise<void> | undefined;
  private snapshotNextOffset = 0;
  /** The first queue offset replay has not applied (a replica's catch-up starts there). */
  private replayedTo = 0;

  private constructor(
    private readonly store: MessageStore,
    private readonly snapshotPath: string,
    private readonly definition: StateMachineDefinition<State, Command>,
    private readonly snapshotEveryCommands: number,
    private current: State,
  ) {}

  /** Loads the newest snapshot the log backs and replays the commands logged after it. */
  static open<State, Command>(
    store: MessageStore,
    directory: string,
    definition: StateMachineDefinition<State, Command>,
    snapshotEveryCommands = SNAPSHOT_EVERY_COMMANDS_DEFAULT,
  ): LogBackedStateMachine<State, Command> {
    const snapshotPath = path.join(directory, `${definition.name}.snapshot`);
    const snapshot = backedSnapshot(store, snapshotPath, definition);
    const state = snapshot === undefined ? definition.initial() : definition.fromSnapshot(snapshot.state);
    const machine = new LogBackedStateMachine(store, snapshotPath, definition, snapshotEveryCommands, state);
    machine.snapshotNextOffset = snapshot?.nextQueueOffset ?? 0;
    machine.replay(machine.snapshotNextOffset);
    return machine;
  }

  get state(): Readonly<State> {
    return this.current;
  }

  /** The snapshot file's name, which also names the machine to a replica (install snapshot). */
  get name(): string {
    return this.definition.name;
  }

  get queueId(): number {
    return this.definition.queueId;
  }

  /**
   * The state as of now, encoded as a snapshot file (state-snapshot.ts): what a master sends a
   * replica whose log starts after commands the state holds. Commands are applied in the tick
   * they are appended, so the state is exactly the commands before the queue's end.
   */
  currentSnapshot(): Buffer {
    const nextQueueOffset = this.store.maxQueueOffset(STATE_TOPIC, this.definition.queueId);
    return encodeSnapshot({ nextQueueOffset, state: this.definition.toSnapshot(this.current) });
  }

  /**
   * A replica: takes its master's snapshot as its own. It is written durably over this
   * machine's snapshot file first (a restart recovers from it like from one of its own), then
   * becomes the state, and catch-up applies only the commands from its queue offset on, so the
   * commands it already holds are never applied twice. Throws SnapshotError when damaged.
   */
  async install(bytes: Buffer): Promise<void> {
    const snapshot = decodeSnapshot(bytes);
    const state = this.definition.fromSnapshot(snapshot.state);
    await writeSnapshotBytes(this.snapshotPath, bytes);
    this.current = state;
    this.snapshotNextOffset = snapshot.nextQueueOffset;
    this.replayedTo = snapshot.nextQueueOffset;
    this.sinceSnapshot = 0;
  }

  /**
   * Logs and applies a command. The state changes at once; the promise resolves when the
   * command is stored as the store's flush mode promises (durable under sync flush).
   */
  async submit(command: Command): Promise<void> {
    // A replica's state changes only by its master's commands (catchUp), never by its own.
    if (this.store.isReadOnly) throw new StoreError('REPLICA_READ_ONLY');
    // A system write: offsets, groups and locks keep being recorded past the disk-full ratio.
    const append = this.store.append(
      { topic: STATE_TOPIC, queueId: this.definition.queueId, body: encodeStateFrame(command) },
      { systemWrite: true },
    );
    this.definition.apply(this.current, command);
    await append;
    if (++this.sinceSnapshot >= this.snapshotEveryCommands) void this.snapshot();
  }

  /**
   * Writes a snapshot of the state as of now. The log is flushed first, so a snapshot never
   * covers a command that a crash could still take back.
   */
  snapshot(): Promise<void> {
    this.snapshotting ??= (async () => {
      const nextQueueOffset = this.store.maxQueueOffset(STATE_TOPIC, this.definition.queueId);
      const state = this.definition.toSnapshot(this.current);
      this.sinceSnapshot = 0;
      await this.store.flush();
      await writeSnapshot(this.snapshotPath, { nextQueueOffset, state });
      this.snapshotNextOffset = nextQueueOffset;
    })().finally(() => {
      this.snapshotting = undefined;
    });
    return this.snapshotting;
  }

  /** Commit log offset of the first command the snapshot does not cover (Infinity if none). */
  retentionFloor(): number {
    const { messages } = this.store.read(STATE_TOPIC, this.definition.queueId, this.snapshotNextOffset, 1);
    return messages[0]?.commitLogOffset ?? Number.POSITIVE_INFINITY;
  }

  /** A replica: applies the commands its master logged since the last replay or catch-up. */
  catchUp(): void {
    this.replay(this.replayedTo);
  }

  private replay(from: number): void {
    let offset = Math.max(from, this.store.minQueueOffset(STATE_TOPIC, this.definition.queueId));
    for (;;) {
      const result = this.store.read(STATE_TOPIC, this.definition.queueId, offset, REPLAY_BATCH_COUNT);
      if (result.status !== 'found') break;
      for (const message of result.messages)
        this.definition.apply(this.current, decodeStateFrame(message.body) as Command);
      offset = result.nextQueueOffset;
    }
    this.replayedTo = offset;
  }
}

/**
 * The snapshot file, unless the log cannot back it: it covers state queue offsets past the
 * queue's end while the commit log starts at offset 0 (never trimmed, or empty), so the log
 * holds every command there is and the snapshot's extra ones were never in it or were lost.
 * Such a snapshot is discarded (deleted durably, reported). A log whose head was trimmed keeps
 * its snapshot even when it runs past the queue's end: commands before the log's start live
 * only there, and a replica that installed its master's snapshot holds exactly that until the
 * first newer command of the machine reaches it (a cut tail with a trimmed head is refused
 * before open: truncate-unreplicated-tail.ts).
 */
function backedSnapshot(
  store: MessageStore,
  snapshotPath: string,
  definition: Pick<StateMachineDefinition<unknown, unknown>, 'name' | 'queueId'>,
): StateSnapshot | undefined {
  const snapshot = readSnapshot(snapshotPath);
  if (snapshot === undefined) return undefined;
  const queueEnd = store.maxQueueOffset(STATE_TOPIC, definition.queueId);
  if (snapshot.nextQueueOffset <= queueEnd || store.stats().minOffset > 0) return snapshot;
  discardSnapshot(snapshotPath, {
    at: new Date().toISOString(),
    machine: definition.name,
    snapshotNextOffset: snapshot.nextQueueOffset,
    queueEnd,
  });
  return undefined;
}
