// The replication stream's one codec (broker/replication/replication-frame.ts): each frame type
// encodes to the bytes of its layout table, decodes back, and malformed frames are refused
// with a typed error, never a crash or a wrong frame.
import assert from 'node:assert/strict';
import crc32c from 'fast-crc32c';
import { test } from 'uvu';

import { ReplicationFrameError } from '../../broker/replication/replication-frame-error.js';
import {
  REPLICATION_FRAME_BYTES_MAX,
  REPLICATION_SNAPSHOT_BYTES_MAX,
  ReplicationFrameDecoder,
  decodeReplicationFrame,
  encodeReplicationFrame,
  type ReplicationFrame,
} from '../../broker/replication/replication-frame.js';

const hex = (parts: Buffer[]): string => Buffer.concat(parts).toString('hex');

test('golden: replication hello encodes to its layout (log end, last record, segment size, name, replica id, epoch)', () => {
  const hello: ReplicationFrame = {
    type: 'hello',
    logEnd: 0x0102030405,
    lastOffset: 0x01020300,
    lastSize: 0x105,
    lastChecksum: 0xdeadbeef,
    segmentBytes: 1 << 20,
    brokerName: 'b-1',
    replicaId: 2,
    epoch: 0x0a0b,
  };
  assert.equal(
    hex(encodeReplicationFrame(hello)),
    '0000002e' +
      '01' +
      '0000000102030405' +
      '0000000001020300' +
      '00000105' +
      'deadbeef' +
      '00100000' +
      '0003' +
      '622d31' +
      '00000002' +
      '0000000000000a0b',
  );
  assert.deepEqual(decodeReplicationFrame(Buffer.concat(encodeReplicationFrame(hello))), hello);
});

test('golden: replication report, data, refuse, probe, probe result, epoch and confirmed frames encode to their layouts', () => {
  const report: ReplicationFrame = { type: 'report', logEnd: 4096, flushed: 1024 };
  assert.equal(hex(encodeReplicationFrame(report)), '00000011' + '02' + '0000000000001000' + '0000000000000400');
  const data: ReplicationFrame = { type: 'data', fromOffset: 8, masterLogEnd: 16, bytes: Buffer.from('abc') };
  assert.equal(
    hex(encodeReplicationFrame(data)),
    '00000014' + '03' + '0000000000000008' + '0000000000000010' + '616263',
  );
  const refuse: ReplicationFrame = { type: 'refuse', reason: 1, text: 'no' };
  assert.equal(hex(encodeReplicationFrame(refuse)), '00000004' + '04' + '01' + '6e6f');
  const probe: ReplicationFrame = { type: 'probe', offset: 256, size: 64, checksum: 0xcafef00d };
  assert.equal(hex(encodeReplicationFrame(probe)), '00000011' + '05' + '0000000000000100' + '00000040' + 'cafef00d');
  const result: ReplicationFrame = { type: 'probe-result', matches: true, masterLogEnd: 512 };
  assert.equal(hex(encodeReplicationFrame(result)), '0000000a' + '06' + '01' + '0000000000000200');
  const epoch: ReplicationFrame = { type: 'epoch', epoch: 0x1234 };
  assert.equal(hex(encodeReplicationFrame(epoch)), '00000009' + '07' + '0000000000001234');
  const confirmed: ReplicationFrame = { type: 'confirmed', end: 0x5678 };
  assert.equal(hex(encodeReplicationFrame(confirmed)), '00000009' + '08' + '0000000000005678');
  for (const frame of [report, data, refuse, probe, result, epoch, confirmed])
    assert.deepEqual(decodeReplicationFrame(Buffer.concat(encodeReplicationFrame(frame))), frame);
});

test('golden: replication auth encodes to its layout (signed time, then access key, nonce and signature, each after its length byte)', () => {
  const auth: ReplicationFrame = {
    type: 'auth',
    signedAt: 0x0102030405,
    accessKey: 'ak',
    nonce: 'n1',
    signature: 'c2ln',
  };
  assert.equal(
    hex(encodeReplicationFrame(auth)),
    '00000014' + '09' + '0000000102030405' + '02' + '616b' + '02' + '6e31' + '04' + '63326c6e',
  );
  assert.deepEqual(decodeReplicationFrame(Buffer.concat(encodeReplicationFrame(auth))), auth);
  const encoded = Buffer.concat(encodeReplicationFrame(auth));
  for (const bad of [Buffer.concat([encoded, Buffer.from([0])]), encoded.subarray(0, encoded.length - 1)]) {
    bad.writeUInt32BE(bad.length - 4, 0);
    assert.throws(
      () => decodeReplicationFrame(bad),
      (error) => error instanceof ReplicationFrameError && error.code === 'MALFORMED_FRAME',
    );
  }
});

test('replication frame decoder reassembles frames split at every byte and refuses an oversized length at once', () => {
  const frames: ReplicationFrame[] = [
    { type: 'report', logEnd: 1, flushed: 0 },
    { type: 'data', fromOffset: 0, masterLogEnd: 9, bytes: Buffer.alloc(9, 7) },
  ];
  const stream = Buffer.concat(frames.flatMap((frame) => encodeReplicationFrame(frame)));
  const decoder = new ReplicationFrameDecoder();
  const got: ReplicationFrame[] = [];
  for (let i = 0; i < stream.length; i++) decoder.push(stream.subarray(i, i + 1), (frame) => got.push(frame));
  assert.deepEqual(got, frames);
  const huge = Buffer.alloc(5);
  huge.writeUInt32BE(REPLICATION_FRAME_BYTES_MAX + 1, 0);
  assert.throws(
    () => new ReplicationFrameDecoder().push(huge, () => undefined),
    (error) => error instanceof ReplicationFrameError && error.code === 'FRAME_TOO_LARGE',
  );
});

test('replication frame decoder hands on a frame split over chunks adjacent in memory as a view of them, and moveInto keeps an unfinished frame in one run', () => {
  const frame: ReplicationFrame = { type: 'data', fromOffset: 64, masterLogEnd: 128, bytes: Buffer.alloc(4000, 9) };
  const encoded = Buffer.concat(encodeReplicationFrame(frame));
  const arena = Buffer.alloc(8192);
  encoded.copy(arena);
  const viewOf = (decoder: ReplicationFrameDecoder, chunks: Buffer[]): Buffer => {
    const got: ReplicationFrame[] = [];
    for (const chunk of chunks) decoder.push(chunk, (decoded) => got.push(decoded));
    assert.equal(got.length, 1);
    assert.deepEqual(got[0], frame);
    return (got[0] as Extract<ReplicationFrame, { type: 'data' }>).bytes;
  };
  const adjacent = [arena.subarray(0, 100), arena.subarray(100, 2500), arena.subarray(2500, encoded.length)];
  assert.equal(viewOf(new ReplicationFrameDecoder(), adjacent).buffer, arena.buffer, 'no copy');
  const apart = [Buffer.from(encoded.subarray(0, 100)), Buffer.from(encoded.subarray(100))];
  assert.notEqual(viewOf(new ReplicationFrameDecoder(), apart).buffer, arena.buffer);
  // Half a frame in one arena, moved to the start of the next, the rest read right after it.
  const decoder = new ReplicationFrameDecoder();
  decoder.push(Buffer.from(encoded.subarray(0, 1000)), () => assert.fail('not whole yet'));
  const next = Buffer.alloc(8192);
  assert.equal(decoder.moveInto(next), 1000);
  encoded.copy(next, 1000, 1000);
  assert.equal(viewOf(decoder, [next.subarray(1000, encoded.length)]).buffer, next.buffer, 'one run after the move');
  assert.equal(new ReplicationFrameDecoder().moveInto(next), 0, 'nothing pending, nothing moved');
});

test('replication frame decoder refuses an unknown type, a short report and a negative offset as MALFORMED_FRAME', () => {
  const malformed = (bytes: Buffer): void =>
    assert.throws(
      () => decodeReplicationFrame(bytes),
      (error) => error instanceof ReplicationFrameError && error.code === 'MALFORMED_FRAME',
    );
  malformed(Buffer.from('0000000109', 'hex'));
  malformed(Buffer.from('0000000302' + '0000', 'hex'));
  malformed(Buffer.from('0000001102' + 'ffffffffffffffff' + '0000000000000000', 'hex'));
});

test('replication auth decoder refuses a field that is not UTF-8 (it could not re-encode to the bytes signed)', () => {
  // An access key of one byte 0xff: no UTF-8 string encodes to it.
  const bytes = Buffer.from('0000000f' + '09' + '0000000102030405' + '01' + 'ff' + '00' + '00', 'hex');
  assert.throws(
    () => decodeReplicationFrame(bytes),
    (error) => error instanceof ReplicationFrameError && error.code === 'MALFORMED_FRAME',
  );
});

const SNAPSHOT_FRAME: ReplicationFrame = {
  type: 'snapshot',
  logEnd: 0x1000,
  queueId: 2,
  name: 'ab',
  bytes: Buffer.from('snap'),
};

const refusedAs = (code: string, bytes: Buffer): void =>
  assert.throws(
    () => decodeReplicationFrame(bytes),
    (error) => error instanceof ReplicationFrameError && error.code === code,
  );

test('golden: replication snapshot encodes to its layout (CRC-32C of the rest, log end, state queue, name, snapshot bytes)', () => {
  const parts = encodeReplicationFrame(SNAPSHOT_FRAME);
  assert.equal(parts[1], (SNAPSHOT_FRAME as { bytes: Buffer }).bytes, 'the snapshot is not copied');
  const encoded = Buffer.concat(parts);
  assert.equal(
    encoded.toString('hex'),
    '00000018' + '0a' + '1643de15' + '0000000000001000' + '00000002' + '02' + '6162' + '736e6170',
  );
  assert.equal(crc32c.calculate(encoded.subarray(9)) >>> 0, 0x1643de15, 'the CRC covers every byte after it');
  assert.deepEqual(decodeReplicationFrame(encoded), SNAPSHOT_FRAME);
});

test('replication snapshot frame with any byte after its CRC flipped is refused as SNAPSHOT_DAMAGED or MALFORMED_FRAME, never decoded', () => {
  const encoded = Buffer.concat(encodeReplicationFrame(SNAPSHOT_FRAME));
  for (let at = 5; at < encoded.length; at++) {
    const damaged = Buffer.from(encoded);
    damaged[at]! ^= 0x01;
    assert.throws(
      () => decodeReplicationFrame(damaged),
      (error) => error instanceof ReplicationFrameError && ['SNAPSHOT_DAMAGED', 'MALFORMED_FRAME'].includes(error.code),
      `byte ${at}`,
    );
  }
  const flippedPayload = Buffer.from(encoded);
  flippedPayload[encoded.length - 1]! ^= 0x80;
  refusedAs('SNAPSHOT_DAMAGED', flippedPayload);
  // No name, or a name with no snapshot after it.
  refusedAs(
    'MALFORMED_FRAME',
    Buffer.from('00000012' + '0a' + '00000000' + '0000000000001000' + '00000002' + '00', 'hex'),
  );
  refusedAs(
    'MALFORMED_FRAME',
    Buffer.from('00000014' + '0a' + '00000000' + '0000000000001000' + '00000002' + '02' + '6162', 'hex'),
  );
});

test('replication snapshot over REPLICATION_SNAPSHOT_BYTES_MAX is refused as SNAPSHOT_TOO_LARGE, and never encoded', () => {
  const big = { ...SNAPSHOT_FRAME, bytes: Buffer.alloc(REPLICATION_SNAPSHOT_BYTES_MAX + 1) } as ReplicationFrame;
  assert.throws(() => encodeReplicationFrame(big), RangeError);
  const header = Buffer.concat(encodeReplicationFrame(SNAPSHOT_FRAME)).subarray(0, 24);
  const frame = Buffer.concat([header, Buffer.alloc(REPLICATION_SNAPSHOT_BYTES_MAX + 1)]);
  frame.writeUInt32BE(frame.length - 4, 0);
  refusedAs('SNAPSHOT_TOO_LARGE', frame);
});

test.run();
