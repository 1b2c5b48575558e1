// A state machine whose commands add to a sum. Adding is not idempotent, so a command applied
// twice (or skipped) shows in the sum: the snapshot tests' witness.
import type { StateMachineDefinition } from '../../broker/state/log-backed-state-machine.js';

export const COUNTER_MACHINE: StateMachineDefinition<{ sum: number }, { add: number }> = {
  name: 'counter',
  queueId: 0,
  initial: () => ({ sum: 0 }),
  apply: (state, command) => {
    state.sum += command.add;
  },
  toSnapshot: (state) => state.sum,
  fromSnapshot: (data) => ({ sum: data as number }),
};

/** Store options small enough for a unit test's commit log. */
export const COUNTER_STORE_OPTIONS = { segmentBytes: 1 << 20, indexSlotCount: 1024, indexEntryCount: 4096 };
