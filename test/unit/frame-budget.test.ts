// The frame decoder's share of a server's budget for unfinished frames: bytes of a frame still
// arriving are held, given back when it completes or the decoder is disposed, and a chunk that
// would overdraw the budget is FRAME_BUDGET_EXCEEDED; the header check runs before the body.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { UnfinishedFrameBudget } from '../../server/unfinished-frame-budget.js';
import { RemotingError } from '../../protocol/remoting-error.js';
import { encodeFrame, FrameDecoder, type RawFrame } from '../../protocol/remoting-frame.js';

const HEADER = Buffer.from('{"code":10}');

function frame(bodyBytes: number): Buffer {
  return Buffer.concat(encodeFrame(0, HEADER, Buffer.alloc(bodyBytes, 7)));
}

test('frame budget: an unfinished frame holds its bytes; completing it or disposing gives them all back', () => {
  const budget = new UnfinishedFrameBudget(10_000);
  const decoder = new FrameDecoder(undefined, { budget });
  const frames: RawFrame[] = [];
  const whole = frame(5000);
  decoder.push(whole.subarray(0, 3000), (f) => frames.push(f));
  assert.equal(budget.heldBytes, 3000);
  decoder.push(whole.subarray(3000), (f) => frames.push(f));
  assert.equal(frames.length, 1);
  assert.equal(budget.heldBytes, 0);
  decoder.push(whole.subarray(0, 100), () => undefined);
  assert.equal(budget.heldBytes, 100);
  decoder.dispose();
  assert.equal(budget.heldBytes, 0);
});

test('frame budget: a frame complete within its chunk never touches the budget; one past it is FRAME_BUDGET_EXCEEDED', () => {
  const budget = new UnfinishedFrameBudget(1000);
  const first = new FrameDecoder(undefined, { budget });
  let decoded = 0;
  first.push(frame(5000), () => decoded++);
  assert.equal(decoded, 1);
  first.push(frame(2000).subarray(0, 900), () => undefined);
  const second = new FrameDecoder(undefined, { budget });
  assert.throws(
    () => second.push(frame(2000).subarray(0, 200), () => undefined),
    (error: unknown) => error instanceof RemotingError && error.code === 'FRAME_BUDGET_EXCEEDED',
  );
  assert.equal(budget.heldBytes, 900, 'the refused chunk took nothing');
  first.dispose();
  second.dispose();
  assert.equal(budget.heldBytes, 0);
});

test('frame budget: the header check runs once the header is here and before the body, and can refuse it', () => {
  const seen: string[] = [];
  const decoder = new FrameDecoder(undefined, {
    checkHeader: (_type, header) => {
      seen.push(header.toString());
      throw new RemotingError('HEADER_REFUSED', 'no account');
    },
  });
  const whole = frame(5000);
  decoder.push(whole.subarray(0, 10), () => undefined); // The header is not all here yet.
  assert.deepEqual(seen, []);
  assert.throws(() => decoder.push(whole.subarray(10, 100), () => undefined), /no account/);
  assert.deepEqual(seen, [HEADER.toString()]);
});

test.run();
