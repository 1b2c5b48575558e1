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
import crypto from 'node:crypto';

import type { ExtFields } from './remoting-command.js';

/** The extFields ACL adds to a request, RocketMQ's spelling (SessionCredentials). */
export const ACL_FIELD = {
  accessKey: 'AccessKey',
  signature: 'Signature',
  securityToken: 'SecurityToken',
} as const;

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

/** The request's extFields plus AccessKey, SecurityToken (if any) and Signature; the input is not changed. */
export function signedExtFields(
  credentials: AccessCredentials,
  extFields: ExtFields | undefined,
  body: Buffer | readonly Buffer[] | undefined,
): ExtFields {
  const signed: ExtFields = { ...extFields, [ACL_FIELD.accessKey]: credentials.accessKey };
  delete signed[ACL_FIELD.signature];
  if (credentials.securityToken !== undefined) signed[ACL_FIELD.securityToken] = credentials.securityToken;
  signed[ACL_FIELD.signature] = requestSignature(credentials.secretKey, signed, body);
  return signed;
}

/** Java's String.compareTo (UTF-16 code units), the order of RocketMQ's TreeMap. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
