// Controller mode's election rule (broker/replication/election-rule.ts), its transition table
// (election-states.ts) and the epoch record codec (epoch-record.ts).
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { electionWinner, shouldCampaign } from '../../broker/replication/election-rule.js';
import {
  ELECTION_TRANSITIONS,
  ElectionTransitionError,
  assertElectionTransition,
} from '../../broker/replication/election-states.js';
import {
  EPOCH_RECORD_BYTES,
  EpochRecordError,
  decodeEpochRecord,
  encodeEpochRecord,
} from '../../broker/replication/epoch-record.js';

test('election rule: the in-sync candidate with the highest log end campaigns, ties going to the lowest broker id', () => {
  const candidates = [
    { brokerId: 1, logEnd: 500 },
    { brokerId: 2, logEnd: 900 },
    { brokerId: 3, logEnd: 900 },
  ];
  assert.equal(electionWinner(candidates, undefined)?.brokerId, 2);
  assert.equal(shouldCampaign(2, candidates, { epoch: 7, brokerIds: [1, 2, 3] }), true);
  assert.equal(shouldCampaign(3, candidates, { epoch: 7, brokerIds: [1, 2, 3] }), false);
  assert.equal(shouldCampaign(1, candidates, { epoch: 7, brokerIds: [1, 2, 3] }), false);
});

test('election rule: a candidate outside the published in-sync set never campaigns, however long its log', () => {
  const candidates = [
    { brokerId: 1, logEnd: 100 },
    { brokerId: 4, logEnd: 10_000 },
  ];
  const inSync = { epoch: 9, brokerIds: [1, 2] };
  assert.equal(shouldCampaign(4, candidates, inSync), false);
  assert.equal(shouldCampaign(1, candidates, inSync), true);
});

test('election rule: with no live in-sync candidate nobody campaigns (the set waits for one)', () => {
  assert.equal(electionWinner([{ brokerId: 3, logEnd: 50 }], { epoch: 2, brokerIds: [1, 2] }), undefined);
  assert.equal(electionWinner([], undefined), undefined);
});

test('election transitions: a follower cannot become master without campaigning, nor a master a follower without being fenced or resigning', () => {
  assert.throws(() => assertElectionTransition('follower', 'master'), ElectionTransitionError);
  assert.throws(() => assertElectionTransition('master', 'follower'), ElectionTransitionError);
  assert.throws(() => assertElectionTransition('start', 'master'), ElectionTransitionError);
  assertElectionTransition('candidate', 'master');
  assertElectionTransition('master', 'fenced');
  assertElectionTransition('fenced', 'follower');
  assert.deepEqual(Object.keys(ELECTION_TRANSITIONS).sort(), ['candidate', 'fenced', 'follower', 'master', 'start']);
});

test('golden: epoch record encodes to its layout (version, epoch, start offset, broker id) and decodes back', () => {
  const record = { epoch: 0x0102030405, startOffset: 0x0a0b0c, brokerId: 3 };
  const bytes = encodeEpochRecord(record);
  assert.equal(bytes.length, EPOCH_RECORD_BYTES);
  assert.equal(bytes.toString('hex'), '01' + '0000000102030405' + '00000000000a0b0c' + '00000003');
  assert.deepEqual(decodeEpochRecord(bytes), record);
});

test('epoch record decoder refuses another length, version or a negative field as MALFORMED_EPOCH_RECORD', () => {
  const good = encodeEpochRecord({ epoch: 1, startOffset: 0, brokerId: 1 });
  const refused = (bytes: Buffer): void =>
    assert.throws(
      () => decodeEpochRecord(bytes),
      (error) => error instanceof EpochRecordError && error.code === 'MALFORMED_EPOCH_RECORD',
    );
  refused(good.subarray(0, 20));
  refused(Buffer.concat([good, Buffer.alloc(1)]));
  const version = Buffer.from(good);
  version[0] = 2;
  refused(version);
  const negative = Buffer.from(good);
  negative.writeBigInt64BE(-5n, 1);
  refused(negative);
});

test.run();
