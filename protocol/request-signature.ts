// Request signing of RocketMQ's ACL 1.0 (AclClientRPCHook and AclUtils in RocketMQ 4.x), which
// every RocketMQ 4.x client sends when given an access key, ali-ons included:
//
//   content   = UTF-8(values of every extField except Signature, ordered by field name,
//               joined with no separator) followed by the raw body bytes
//   Signature = Base64(HMAC-SHA1(secretKey, content))
//
// The client adds AccessKey (and SecurityToken, when it has one) before signing, so they are
// signed too; ali-ons also adds OnsChannel "ALIYUN". Values are compared as strings: a JSON
// client may send 4 or "4", both sign as "4". Worked example (the golden test): extFields
// {AccessKey: "AK_TEST", OnsChannel: "ALIYUN", topic: "TopicTest"}, no body, secret "SK_TEST":
// content "AK_TESTALIYUNTopicTest", Signature "JYAzOjrGvSV3LQg6mq9Nyr+RELU=".
//
// The same function serves the client (to sign) and the broker (to recompute and compare).
//
// That signature does not cover the request code, so a captured request can be replayed, even
// under another code. Tributary's own client therefore adds three fields before signing
// (TRIBUTARY_SIGNED_FIELD), which the signature then covers like any other field: the request
// code, the time of signing (ms since the epoch) and a nonce unique within the process, so no
// two requests sign alike. A RocketMQ broker signs every extField, so it accepts them unchanged;
// a Tributary broker refuses a request whose signed code differs from its code, and an account
// with `requireSignedCode` needs all three, a recent time and a signature it has not seen.
import crypto from 'node:crypto';

import type { ExtFields } from './remoting-command.js';

/** The extFields ACL adds to a request, RocketMQ's spelling (SessionCredentials). */
export const ACL_FIELD = {
  accessKey: 'AccessKey',
  signature: 'Signature',
  securityToken: 'SecurityToken',
} as const;

/** The fields Tributary's client adds so the signature covers the request code and its time. */
export const TRIBUTARY_SIGNED_FIELD = {
  requestCode: 'TributaryRequestCode',
  timestamp: 'TributaryTimestamp',
  nonce: 'TributaryNonce',
} as const;

/** Random per process, then a counter: unique across processes without a random draw per request. */
const NONCE_PREFIX = crypto.randomBytes(9).toString('base64url');
let nonceCounter = 0;

/**
 * Fields left out of the signed content. RocketMQ's admin adds _UNIQUE_KEY_QUERY
 * (MixAll.UNIQUE_MSG_QUERY_FLAG) after signing, so its broker leaves it out too.
 */
const UNSIGNED_FIELDS: ReadonlySet<string> = new Set([ACL_FIELD.signature, '_UNIQUE_KEY_QUERY']);

/** What a client signs with: an account of the broker's access control list. */
export interface AccessCredentials {
  readonly accessKey: string;
  /** Never sent; only the signature made with it is. */
  readonly secretKey: string;
  /** An STS token; sent and signed when given, as RocketMQ does. */
  readonly securityToken?: string;
}

/** Base64 HMAC-SHA1 of the request's signed content (see the top of this file). */
export function requestSignature(
  secretKey: string,
  extFields: ExtFields | undefined,
  body: Buffer | readonly Buffer[] | undefined,
): string {
  const names = Object.keys(extFields ?? {})
    .filter((name) => !UNSIGNED_FIELDS.has(name) && extFields![name] !== undefined && extFields![name] !== null)
    .sort(compareCodeUnits);
  const hmac = crypto.createHmac('sha1', secretKey);
  hmac.update(names.map((name) => String(extFields![name])).join(''), 'utf8');
  if (body !== undefined) for (const part of Buffer.isBuffer(body) ? [body] : body) hmac.update(part);
  return hmac.digest('base64');
}

/**
 * The request's extFields plus AccessKey, SecurityToken (if any) and Signature; with `code`,
 * also the TRIBUTARY_SIGNED_FIELD fields (code, time, nonce). The input is not changed.
 */
export function signedExtFields(
  credentials: AccessCredentials,
  extFields: ExtFields | undefined,
  body: Buffer | readonly Buffer[] | undefined,
  code?: number,
): ExtFields {
  const signed: ExtFields = { ...extFields, [ACL_FIELD.accessKey]: credentials.accessKey };
  delete signed[ACL_FIELD.signature];
  if (code !== undefined) {
    signed[TRIBUTARY_SIGNED_FIELD.requestCode] = String(code);
    signed[TRIBUTARY_SIGNED_FIELD.timestamp] = String(Date.now());
    nonceCounter = nonceCounter >= Number.MAX_SAFE_INTEGER ? 0 : nonceCounter + 1;
    signed[TRIBUTARY_SIGNED_FIELD.nonce] = `${NONCE_PREFIX}.${nonceCounter.toString(36)}`;
  }
  if (credentials.securityToken !== undefined) signed[ACL_FIELD.securityToken] = credentials.securityToken;
  signed[ACL_FIELD.signature] = requestSignature(credentials.secretKey, signed, body);
  return signed;
}

/** Java's String.compareTo (UTF-16 code units), the order of RocketMQ's TreeMap. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
