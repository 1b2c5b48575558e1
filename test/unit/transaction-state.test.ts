// The transaction state table (broker/transactions/transaction-state.ts) walked move by move, directly and
// through the log-backed TransactionProgress: every legal move succeeds, every illegal one
// throws and logs nothing, and the states and check counts come back after a reopen (replay
// of the log, and a snapshot plus replay).
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { STATE_QUEUE } from '../../broker/broker-constants.js';
import { STATE_TOPIC } from '../../broker/state/log-backed-state-machine.js';
import { TransactionProgress } from '../../broker/state/transaction-progress.js';
import {
  TRANSACTION_STATES,
  TRANSACTION_TRANSITIONS,
  assertTransition,
  isFinalTransactionState,
  isLegalTransition,
  type TransactionState,
} from '../../broker/transactions/transaction-state.js';
import { MessageStore } from '../../storage/index.js';
import { TEST_STORE_OPTIONS } from '../support/broker-processes.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

/** The moves that bring a fresh (prepared) transaction to each state. */
const PATH_TO: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  prepared: [],
  checking: ['checking'],
  committed: ['committed'],
  rolled_back: ['rolled_back'],
  check_max: ['checking', 'check_max'],
};

const EXPECTED_LEGAL = [
  'prepared -> checking',
  'prepared -> committed',
  'prepared -> rolled_back',
  'checking -> checking',
  'checking -> committed',
  'checking -> rolled_back',
  'checking -> check_max',
];

const ALL_MOVES = TRANSACTION_STATES.flatMap((from) => TRANSACTION_STATES.map((to) => ({ from, to })));

test('transaction-state: the table allows exactly the documented moves (5 states, 25 pairs)', () => {
  assert.deepEqual([...TRANSACTION_STATES].sort(), ['check_max', 'checking', 'committed', 'prepared', 'rolled_back']);
  const legal = ALL_MOVES.filter(({ from, to }) => isLegalTransition(from, to)).map(
    ({ from, to }) => `${from} -> ${to}`,
  );
  assert.deepEqual(legal, EXPECTED_LEGAL);
  for (const state of TRANSACTION_STATES) {
    const final = ['committed', 'rolled_back', 'check_max'].includes(state);
    assert.equal(isFinalTransactionState(state), final, state);
  }
});

test('transaction-state: assertTransition passes every legal move and throws on every illegal one', () => {
  for (const { from, to } of ALL_MOVES) {
    if (TRANSACTION_TRANSITIONS[from].includes(to)) assert.doesNotThrow(() => assertTransition(from, to));
    else assert.throws(() => assertTransition(from, to), assert.AssertionError, `${from} -> ${to}`);
  }
});

test('transaction-state: every state is reachable from prepared along its path', () => {
  for (const state of TRANSACTION_STATES) {
    let at: TransactionState = 'prepared';
    for (const next of PATH_TO[state]) {
      assert.ok(isLegalTransition(at, next), `${at} -> ${next}`);
      at = next;
    }
    assert.equal(at, state);
  }
});

test('transaction-progress: every move through the log; illegal ones throw and log nothing; reopen restores all', async () => {
  const directory = temporaryDirectory('tx-progress');
  let store = await MessageStore.open(directory.path, TEST_STORE_OPTIONS);
  try {
    let progress = new TransactionProgress(store, directory.path);
    // Offset 0 stays prepared, so no finished offset is forgotten while the walk looks at it.
    const expected = new Map<number, { state: TransactionState; checks: number }>();
    let offset = 1;
    for (const { from, to } of ALL_MOVES) {
      const at = offset++;
      for (const step of PATH_TO[from]) await progress.move(at, step);
      const before = progress.stateOf(at);
      assert.equal(before?.state, from, `offset ${at} reached ${from}`);
      const logged = store.maxQueueOffset(STATE_TOPIC, STATE_QUEUE.transactionState);
      if (isLegalTransition(from, to)) {
        await progress.move(at, to);
        const checks = before!.checks + (to === 'checking' ? 1 : 0);
        assert.deepEqual(progress.stateOf(at), { state: to, checks }, `${from} -> ${to}`);
        expected.set(at, { state: to, checks });
      } else {
        assert.throws(() => progress.move(at, to), assert.AssertionError, `${from} -> ${to} must throw`);
        assert.deepEqual(progress.stateOf(at), before, `${from} -> ${to} changed nothing`);
        expected.set(at, before!);
      }
      const commands = isLegalTransition(from, to) ? 1 : 0;
      assert.equal(store.maxQueueOffset(STATE_TOPIC, STATE_QUEUE.transactionState), logged + commands);
    }
    assert.equal(progress.settledBelow, 0);
    const reopen = async (): Promise<void> => {
      await store.close();
      store = await MessageStore.open(directory.path, TEST_STORE_OPTIONS);
      progress = new TransactionProgress(store, directory.path);
      for (const [at, entry] of expected) assert.deepEqual(progress.stateOf(at), entry, `offset ${at} after reopen`);
    };
    await reopen(); // Replay of the whole log.
    await progress.stateMachine.snapshot();
    await progress.move(0, 'checking');
    expected.set(0, { state: 'checking', checks: 1 });
    await reopen(); // Snapshot, then replay of the one command after it.
    await progress.move(0, 'committed');
    expected.set(0, { state: 'committed', checks: 1 });
    const open = [...expected].filter(([, entry]) => !isFinalTransactionState(entry.state)).map(([at]) => at);
    assert.equal(
      progress.settledBelow,
      Math.min(...open),
      'the mark passes every finished offset before the first open one',
    );
    assert.equal(progress.stateOf(0), undefined, 'a forgotten offset reads as settled');
    assert.throws(() => progress.move(0, 'rolled_back'), assert.AssertionError);
  } finally {
    await store.close();
    directory.remove();
  }
});

test.run();
