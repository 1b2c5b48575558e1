// Decides whether a request may run, in RocketMQ's order (PlainPermissionManager.validate):
//
//   1. the client's address is on the global allow-list  → allowed, nothing else checked
//   2. AccessKey present and naming an account            → else denied
//   3. the account's address allow-list (if any) matches  → else denied
//   4. Signature matches (constant-time)                  → else denied
//   5. the signed fields can belong to the request code   → else denied (replay as another code:
//      a signed TributaryRequestCode must equal the code;    request-code-fields.ts)
//      the fields a destructive code needs, and no others
//   6. requireSignedCode accounts: code, time and nonce    → else denied
//      signed, the time within SIGNED_REQUEST_CLOCK_SKEW_MS_MAX, the signature not seen before
//   7. admin-only request                                 → denied unless the account is admin
//   8. each topic and group the request names             → denied unless permitted
//
// Processors that learn more resources from what they read (the message a send-back copies,
// the half message a transaction ends) ask `resourceRefusal` for those, with the same rules.
//
// Step 3 is stricter than RocketMQ 4.x, where a match on an account's whiteRemoteAddress
// skips the signature check: here it limits where the account may be used from, and the
// signature is always checked. Step 6 uses the account's topicPerms / groupPerms, else its
// default permissions; an admin account that lists no topic or group permission may touch
// every topic and group (RocketMQ's rule).
//
// Remarks name the access key, the request and the resource, never a secret or a signature.
import { ACL_FIELD, TRIBUTARY_SIGNED_FIELD } from '../../protocol/request-signature.js';
import { ACL_REMARK_NAME_CHARS_MAX, SIGNED_REQUEST_CLOCK_SKEW_MS_MAX } from '../broker-constants.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { AclAccount, AclConfig } from './acl-config.js';
import { ACL_PERMISSION, permits } from './acl-permission.js';
import { normalizeAddress } from './address-allow-list.js';
import { fieldsMismatch } from './request-code-fields.js';
import { checkRequestSignature } from './request-signature-check.js';
import { SignatureReplayCache } from './signature-replay-cache.js';
import { RequestPermissionError, requestNeeds, type ResourceNeed } from './request-permission-table.js';

/** Why a request was refused; stable names, for tests and for anyone counting refusals. */
export const ACCESS_DENIAL = {
  unsigned: 'unsigned',
  unknownAccessKey: 'unknown_access_key',
  addressNotAllowed: 'address_not_allowed',
  badSignature: 'bad_signature',
  adminRequired: 'admin_required',
  permissionDenied: 'permission_denied',
  unreadableRequest: 'unreadable_request',
  fieldsNotOfCode: 'fields_not_of_code',
  codeNotSigned: 'code_not_signed',
  staleSignature: 'stale_signature',
  replayedSignature: 'replayed_signature',
} as const;

export type AccessDenial = (typeof ACCESS_DENIAL)[keyof typeof ACCESS_DENIAL];

export type AccessDecision =
  | { readonly allowed: true; readonly via: 'global_allow_list' | 'account' }
  | { readonly allowed: false; readonly denial: AccessDenial; readonly remark: string };

const CODE_NAMES = new Map<number, string>(Object.entries(REQUEST_CODE).map(([name, code]) => [code, name]));

export class AccessValidator {
  private readonly replays = new SignatureReplayCache();

  /** `config` is read on every request, so a reloaded list applies at once. */
  constructor(
    private readonly config: () => AclConfig,
    private readonly now: () => number = Date.now,
  ) {}

  decide(request: RemotingCommand, remoteAddress: string): AccessDecision {
    const config = this.config();
    const address = normalizeAddress(remoteAddress);
    if (config.globalAllowList.matches(address)) return { allowed: true, via: 'global_allow_list' };
    const accessKey = request.extFields?.[ACL_FIELD.accessKey];
    if (accessKey === undefined || accessKey === '')
      return deny(ACCESS_DENIAL.unsigned, `${describe(request)} is not signed (no ${ACL_FIELD.accessKey})`);
    const key = String(accessKey);
    const account = config.accounts.get(key);
    if (account === undefined) return deny(ACCESS_DENIAL.unknownAccessKey, `unknown AccessKey ${quote(key)}`);
    if (account.addresses !== undefined && !account.addresses.matches(address)) {
      return deny(ACCESS_DENIAL.addressNotAllowed, `AccessKey ${quote(key)} may not be used from ${address}`);
    }
    if (!checkRequestSignature(request, account.secretKey))
      return deny(
        ACCESS_DENIAL.badSignature,
        `the signature of ${describe(request)} does not match AccessKey ${quote(key)}`,
      );
    const replay = this.replayRefusal(request, account);
    if (replay !== undefined) return replay;
    return this.authorize(request, account);
  }

  /**
   * Why the sender of an already authorized request may not touch `needs`, or undefined when
   * it may (or access control let it in by address). For resources a processor finds in what
   * the request points at.
   */
  resourceRefusal(request: RemotingCommand, remoteAddress: string, needs: readonly ResourceNeed[]): string | undefined {
    const config = this.config();
    if (config.globalAllowList.matches(normalizeAddress(remoteAddress))) return undefined;
    const key = String(request.extFields?.[ACL_FIELD.accessKey] ?? '');
    const account = config.accounts.get(key);
    if (account === undefined) return `access denied: unknown AccessKey ${quote(key)}`;
    const decision = checkNeeds(account, needs);
    return decision.allowed ? undefined : decision.remark;
  }

  /** Steps 5 and 6 of the top of this file: a signed request replayed as another, or too late. */
  private replayRefusal(request: RemotingCommand, account: AclAccount): AccessDecision | undefined {
    const fields = request.extFields ?? {};
    const signedCode = fields[TRIBUTARY_SIGNED_FIELD.requestCode];
    if (signedCode !== undefined && String(signedCode) !== String(request.code))
      return deny(
        ACCESS_DENIAL.fieldsNotOfCode,
        `${describe(request)} was signed as request code ${quote(String(signedCode))}`,
      );
    const mismatch = fieldsMismatch(request);
    if (mismatch !== undefined)
      return deny(ACCESS_DENIAL.fieldsNotOfCode, `${describe(request)} cannot be what was signed: ${mismatch}`);
    if (!account.requireSignedCode) return undefined;
    const who = `AccessKey ${quote(account.accessKey)}`;
    const signedAt = Number(fields[TRIBUTARY_SIGNED_FIELD.timestamp]);
    if (
      signedCode === undefined ||
      !Number.isSafeInteger(signedAt) ||
      fields[TRIBUTARY_SIGNED_FIELD.nonce] === undefined
    )
      return deny(
        ACCESS_DENIAL.codeNotSigned,
        `${who} requires signed ${Object.values(TRIBUTARY_SIGNED_FIELD).join(', ')}; ${describe(request)} lacks them`,
      );
    const now = this.now();
    if (Math.abs(now - signedAt) > SIGNED_REQUEST_CLOCK_SKEW_MS_MAX)
      return deny(
        ACCESS_DENIAL.staleSignature,
        `${describe(request)} of ${who} was signed ${Math.round((now - signedAt) / 1000)} s from the broker's clock (at most ${SIGNED_REQUEST_CLOCK_SKEW_MS_MAX / 1000} s)`,
      );
    if (this.replays.seen(String(fields[ACL_FIELD.signature]), signedAt, now))
      return deny(ACCESS_DENIAL.replayedSignature, `${describe(request)} of ${who} was already received (a replay)`);
    return undefined;
  }

  /**
   * Steps 1 to 3 and a Signature present, from the header alone: what can be judged before the
   * body (which the signature covers) is buffered. A refusal here closes the connection.
   */
  decideBeforeBody(request: RemotingCommand, remoteAddress: string): AccessDecision {
    const config = this.config();
    const address = normalizeAddress(remoteAddress);
    if (config.globalAllowList.matches(address)) return { allowed: true, via: 'global_allow_list' };
    const key = String(request.extFields?.[ACL_FIELD.accessKey] ?? '');
    const signature = request.extFields?.[ACL_FIELD.signature];
    if (key === '' || signature === undefined || signature === '')
      return deny(ACCESS_DENIAL.unsigned, `${describe(request)} is not signed`);
    const account = config.accounts.get(key);
    if (account === undefined) return deny(ACCESS_DENIAL.unknownAccessKey, `unknown AccessKey ${quote(key)}`);
    if (account.addresses !== undefined && !account.addresses.matches(address))
      return deny(ACCESS_DENIAL.addressNotAllowed, `AccessKey ${quote(key)} may not be used from ${address}`);
    return { allowed: true, via: 'account' };
  }

  private authorize(request: RemotingCommand, account: AclAccount): AccessDecision {
    let needs: { admin: boolean; resources: ResourceNeed[] };
    try {
      needs = requestNeeds(request);
    } catch (error) {
      if (error instanceof RequestPermissionError) return deny(ACCESS_DENIAL.unreadableRequest, error.message);
      throw error;
    }
    if (needs.admin && !account.admin) {
      return deny(
        ACCESS_DENIAL.adminRequired,
        `${describe(request)} needs an admin account; AccessKey ${quote(account.accessKey)} is not one`,
      );
    }
    return checkNeeds(account, needs.resources);
  }
}

/** Step 8: the account's permission on each resource (an unrestricted admin has them all). */
function checkNeeds(account: AclAccount, needs: readonly ResourceNeed[]): AccessDecision {
  const unrestricted =
    account.admin &&
    account.topicPermissions.size === 0 &&
    account.groupPermissions.size === 0 &&
    account.lockPermissions.size === 0;
  (account.tccResourcePermissions?.size ?? 0) === 0;
  if (unrestricted) return { allowed: true, via: 'account' };
  for (const need of needs) {
    if (!permits(grantedPermission(account, need), need.permission)) {
      return deny(
        ACCESS_DENIAL.permissionDenied,
        `AccessKey ${quote(account.accessKey)} has no ${need.permission} permission on ${need.kind} ${quote(need.name)}`,
      );
    }
  }
  return { allowed: true, via: 'account' };
}

/** The account's permission on the resource: its own entry, else the default for its kind. */
function grantedPermission(account: AclAccount, need: ResourceNeed): number {
  if (need.kind === 'topic') return account.topicPermissions.get(need.name) ?? account.defaultTopicPermission;
  if (need.kind === 'lock') return account.lockPermissions.get(need.name) ?? account.defaultLockPermission;
  if (need.kind === 'ids') return account.idPermissions.get(need.name) ?? account.defaultIdPermission;
  if (need.kind === 'config') return configPermission(account, need.name);
  if (need.kind === 'tccResource')
    return (
      account.tccResourcePermissions?.get(need.name) ?? account.defaultTccResourcePermission ?? ACL_PERMISSION.DENY
    );
  return account.groupPermissions.get(need.name) ?? account.defaultGroupPermission;
}

/** Config "env/namespace": its own entry, else the environment's "env/*", else DENY. */
function configPermission(account: AclAccount, name: string): number {
  const env = name.slice(0, name.indexOf('/'));
  return account.configPermissions.get(name) ?? account.configPermissions.get(`${env}/*`) ?? ACL_PERMISSION.DENY;
}

function deny(denial: AccessDenial, detail: string): AccessDecision {
  return { allowed: false, denial, remark: `access denied: ${detail}` };
}

function describe(request: RemotingCommand): string {
  const name = CODE_NAMES.get(request.code);
  return `request code ${request.code}${name === undefined ? '' : ` (${name})`}`;
}

/** A name from the request, quoted and cut short: remarks must stay small whatever a client sends. */
function quote(name: string): string {
  const clipped = name.length > ACL_REMARK_NAME_CHARS_MAX ? `${name.slice(0, ACL_REMARK_NAME_CHARS_MAX)}…` : name;
  return `'${clipped}'`;
}
