// RocketMQ ACL 1.0 request signatures (protocol/request-signature.ts, checked by
// broker/access/request-signature-check.ts): the golden vector of a real ali-ons request
// (AccessKey AK_TEST, secret SK_TEST), and
// ali-ons' own signing code run on seeded random requests, whose frames the broker's check
// accepts and whose signatures ours equal byte for byte.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'uvu';

import {
  ACL_FIELD,
  requestSignature,
  signedExtFields,
  TRIBUTARY_SIGNED_FIELD,
} from '../../protocol/request-signature.js';
import { HeaderCodec } from '../../protocol/header-codec.js';
import type { ExtFields, RemotingCommand } from '../../protocol/remoting-command.js';
import { FrameDecoder } from '../../protocol/remoting-frame.js';
import { checkRequestSignature } from '../../broker/access/request-signature-check.js';
import { seededRandom, type SeededRandom } from '../support/seeded-random.js';

const require = createRequire(import.meta.url);
// ali-ons' own classes (CommonJS, untyped): its RemotingCommand and the Channel whose
// beforeRequest signs each request before it is encoded.
const AliOnsCommand = require('ali-ons/lib/protocol/command/remoting_command.js') as {
  createRequestCommand(code: number, customHeader: Record<string, unknown>): AliOnsRequest;
};
const AliOnsChannel = require('ali-ons/lib/channel.js') as {
  prototype: { beforeRequest(this: unknown, command: AliOnsRequest): void };
};

interface AliOnsRequest {
  body: Buffer | null;
  extFields: Record<string, string>;
  encode(): Buffer;
}

const GOLDEN = {
  accessKey: 'AK_TEST',
  secretKey: 'SK_TEST',
  extFields: {
    Signature: 'JYAzOjrGvSV3LQg6mq9Nyr+RELU=',
    AccessKey: 'AK_TEST',
    OnsChannel: 'ALIYUN',
    topic: 'TopicTest',
  },
} as const;
const SEEDED_REQUESTS = 200;

function request(extFields: ExtFields, body?: Buffer): RemotingCommand {
  return { code: 105, language: 'JAVA', version: 121, opaque: 1, flag: 0, extFields, body };
}

/** Signs with ali-ons' Channel.beforeRequest and returns the frame it would write. */
function aliOnsFrame(code: number, header: Record<string, unknown>, body: Buffer | null, secretKey: string): Buffer {
  const command = AliOnsCommand.createRequestCommand(code, header);
  command.body = body;
  AliOnsChannel.prototype.beforeRequest.call({ accessKey: 'AK_SEEDED', secretKey, onsChannel: 'ALIYUN' }, command);
  return command.encode();
}

function decodeFrame(bytes: Buffer): RemotingCommand {
  const commands: RemotingCommand[] = [];
  new FrameDecoder().push(bytes, (frame) => commands.push(HeaderCodec.decode(frame)));
  assert.equal(commands.length, 1);
  return commands[0]!;
}

/** A custom header as ali-ons builds them: strings (non-ASCII too), numbers, booleans, nulls. */
function randomHeader(random: SeededRandom): Record<string, unknown> {
  const header: Record<string, unknown> = {};
  const names = ['topic', 'queueId', 'a', 'b', 'consumerGroup', 'Zeta', 'maxMsgNums', 'k', 'subscription', 'é'];
  for (const name of names) {
    switch (random.int(5)) {
      case 0:
        break;
      case 1:
        header[name] = random.int(2) === 0 ? 'TagA || TagB' : `v-${random.int(1e6)}-ü€`;
        break;
      case 2:
        header[name] = random.between(-1, 2 ** 40);
        break;
      case 3:
        header[name] = random.int(2) === 0;
        break;
      default:
        header[name] = null;
    }
  }
  return header;
}

test('request-signature: the golden ali-ons request signs to its recorded Signature (AK_TEST/SK_TEST)', () => {
  const { Signature, ...unsigned } = GOLDEN.extFields;
  assert.equal(requestSignature(GOLDEN.secretKey, unsigned, undefined), Signature);
  // The Signature field itself is never part of what is signed.
  assert.equal(requestSignature(GOLDEN.secretKey, GOLDEN.extFields, undefined), Signature);
  const signed = signedExtFields(
    { accessKey: 'AK_TEST', secretKey: 'SK_TEST' },
    { OnsChannel: 'ALIYUN', topic: 'TopicTest' },
    undefined,
  );
  assert.deepEqual(signed, GOLDEN.extFields);
  assert.equal(checkRequestSignature(request({ ...GOLDEN.extFields }), GOLDEN.secretKey), true);
});

test("request-signature: ours equals ali-ons' own signature and the broker accepts ali-ons' frames (seeded)", () => {
  const random = seededRandom('request-signature vs ali-ons');
  for (let i = 0; i < SEEDED_REQUESTS; i++) {
    const header = randomHeader(random);
    const body = random.int(3) === 0 ? null : random.bytes(random.between(1, 300));
    const secretKey = `secret-${random.int(1e9)}`;
    const received = decodeFrame(aliOnsFrame(random.pick([10, 11, 34, 105, 310]), header, body, secretKey));
    const provided = received.extFields?.[ACL_FIELD.signature];
    assert.equal(typeof provided, 'string', `request ${i}: ali-ons signed`);
    assert.equal(checkRequestSignature(received, secretKey), true, `request ${i} (SEED=${random.seed})`);
    const ours = signedExtFields(
      { accessKey: 'AK_SEEDED', secretKey },
      { ...(header as ExtFields), OnsChannel: 'ALIYUN' },
      body ?? undefined,
    );
    assert.equal(ours[ACL_FIELD.signature], provided, `request ${i} (SEED=${random.seed})`);
  }
});

test('request-signature: a changed body, field, secret or signature no longer checks', () => {
  const credentials = { accessKey: 'AK_TEST', secretKey: 'SK_TEST' };
  const body = Buffer.from('hello');
  const extFields = signedExtFields(credentials, { b: 'orders', e: 3, k: false }, body);
  assert.equal(checkRequestSignature(request(extFields, body), 'SK_TEST'), true);
  assert.equal(checkRequestSignature(request(extFields, Buffer.from('hellO')), 'SK_TEST'), false, 'tampered body');
  assert.equal(checkRequestSignature(request(extFields), 'SK_TEST'), false, 'body removed');
  assert.equal(checkRequestSignature(request({ ...extFields, b: 'orderz' }, body), 'SK_TEST'), false, 'tampered field');
  assert.equal(checkRequestSignature(request({ ...extFields, extra: 'x' }, body), 'SK_TEST'), false, 'added field');
  assert.equal(checkRequestSignature(request(extFields, body), 'SK_TESt'), false, 'wrong secret');
  const { Signature: _, ...unsigned } = extFields;
  assert.equal(checkRequestSignature(request(unsigned, body), 'SK_TEST'), false, 'no signature');
  assert.equal(checkRequestSignature(request({ ...extFields, Signature: 'short' }, body), 'SK_TEST'), false);
  assert.equal(checkRequestSignature(request({ ...extFields, Signature: 12 }, body), 'SK_TEST'), false);
});

test("request-signature: Tributary's code, time and nonce are signed fields a RocketMQ verifier accepts", () => {
  const credentials = { accessKey: 'AK_TEST', secretKey: 'SK_TEST' };
  const before = Date.now();
  const first = signedExtFields(credentials, { topic: 'orders' }, undefined, 30);
  const second = signedExtFields(credentials, { topic: 'orders' }, undefined, 30);
  assert.equal(first[TRIBUTARY_SIGNED_FIELD.requestCode], '30');
  assert.ok(Number(first[TRIBUTARY_SIGNED_FIELD.timestamp]) >= before);
  assert.notEqual(first[TRIBUTARY_SIGNED_FIELD.nonce], second[TRIBUTARY_SIGNED_FIELD.nonce]);
  assert.notEqual(first[ACL_FIELD.signature], second[ACL_FIELD.signature], 'no two requests sign alike');
  // The plain ACL 1.0 check (every field but Signature, sorted) accepts them as they are...
  assert.equal(checkRequestSignature(request(first), 'SK_TEST'), true);
  // ...and the code cannot be changed without breaking the signature.
  const recoded = { ...first, [TRIBUTARY_SIGNED_FIELD.requestCode]: '215' };
  assert.equal(checkRequestSignature(request(recoded), 'SK_TEST'), false);
  assert.equal(
    signedExtFields(credentials, { topic: 'orders' }, undefined)[TRIBUTARY_SIGNED_FIELD.requestCode],
    undefined,
  );
});

test('request-signature: numbers and booleans sign as their strings; a body in parts signs as one', () => {
  const typed = requestSignature('SK_TEST', { e: 3, k: false, g: 1795721751114 }, [
    Buffer.from('he'),
    Buffer.from('llo'),
  ]);
  const strings = requestSignature('SK_TEST', { e: '3', k: 'false', g: '1795721751114' }, Buffer.from('hello'));
  assert.equal(typed, strings);
});

test('request-signature: _UNIQUE_KEY_QUERY, added by RocketMQ after signing, is left out as its broker does', () => {
  const extFields = signedExtFields(
    { accessKey: 'AK_TEST', secretKey: 'SK_TEST' },
    { topic: 'T', key: 'k' },
    undefined,
  );
  assert.equal(checkRequestSignature(request({ ...extFields, _UNIQUE_KEY_QUERY: 'true' }), 'SK_TEST'), true);
});

test('request-signature: the security token is sent and signed; the secret key is never sent', () => {
  const extFields = signedExtFields(
    { accessKey: 'AK_TEST', secretKey: 'SK_TEST', securityToken: 'sts-token' },
    { topic: 'T' },
    undefined,
  );
  assert.equal(extFields[ACL_FIELD.securityToken], 'sts-token');
  assert.equal(Object.values(extFields).includes('SK_TEST'), false);
  assert.equal(checkRequestSignature(request({ ...extFields, SecurityToken: 'other' }), 'SK_TEST'), false);
});

test.run();
