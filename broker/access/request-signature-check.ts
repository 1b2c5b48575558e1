// Checks a request's Signature against the one recomputed with the account's secret key
// (protocol/request-signature.ts has the scheme). The comparison takes the same time
// wherever the strings differ, so response timing cannot be used to guess a valid signature
// byte by byte. Neither signature ever goes into a message.
import crypto from 'node:crypto';

import { bodyOf, type RemotingCommand } from '../../protocol/remoting-command.js';
import { ACL_FIELD, requestSignature } from '../../protocol/request-signature.js';

/** Whether the request carries the signature `secretKey` gives its extFields and body. */
export function checkRequestSignature(request: RemotingCommand, secretKey: string): boolean {
  const provided = request.extFields?.[ACL_FIELD.signature];
  if (typeof provided !== 'string') return false;
  const expected = Buffer.from(requestSignature(secretKey, request.extFields, bodyOf(request)), 'utf8');
  const actual = Buffer.from(provided, 'utf8');
  // timingSafeEqual needs equal lengths; every HMAC-SHA1 signature has the same length (28
  // Base64 characters), so a length mismatch reveals nothing about the secret.
  return actual.length === expected.length && crypto.timingSafeEqual(actual, expected);
}
