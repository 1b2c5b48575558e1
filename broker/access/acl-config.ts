// The access control list: RocketMQ's plain_acl.yml, written as JSON (the same keys; Tributary
// has no YAML parser and takes no dependency for one):
//
//   {
//     "globalWhiteRemoteAddresses": ["10.10.103.*"],        // trusted: no signature, no checks
//     "accounts": [
//       { "accessKey": "orders-app", "secretKey": "…",       // both at least 6 characters
//         "whiteRemoteAddress": "192.168.0.*",               // optional: the only addresses it may
//                                                            //   be used from (a string or a list)
//         "admin": false,                                    // admin-only requests (create topic…)
//         "defaultTopicPerm": "DENY", "defaultGroupPerm": "SUB",   // default DENY
//         "topicPerms": ["orders=PUB|SUB", "audit=DENY"],    // DENY | PUB | SUB | PUB|SUB
//         "groupPerms": ["billing=SUB"],                     // a producer group needs PUB
//         "defaultLockPerm": "DENY", "lockPerms": ["orders=PUB|SUB"],  // locks: PUB takes, SUB reads
//         "defaultIdPerm": "DENY", "idPerms": ["orders=PUB"], // id sequences and worker id
//                                                            //   spaces: PUB creates, takes, leases
//         "defaultTccResourcePerm": "DENY",                  // TCC resources (broker/tcc/): PUB
//         "tccResourcePerms": ["account-a=SUB"],             //   runs tries, SUB serves them
//         "requireSignedCode": false,                       // true: only Tributary's signing
//                                                            //   (code, time, nonce) is accepted
//         "configPerms": ["prod/orders=SUB", "dev/*=PUB|SUB"] } // config centre: env/namespace
//                                                            //   (or env/*): SUB reads and watches,
//                                                            //   PUB publishes; absent = DENY
//     ]
//   }
//
// Validation is strict (an unknown key is an error, so a typo never silently drops a rule);
// RocketMQ's "dataVersion" is accepted and ignored. Error messages name the offending place
// (accounts[1].topicPerms[0]) but never echo a secret key.
import fs from 'node:fs';

import { ACCESS_KEY_CHARS_MIN, SECRET_KEY_CHARS_MIN } from '../broker-constants.js';
import { ACL_PERMISSION, parseAclPermission } from './acl-permission.js';
import { AddressAllowList, AddressPatternError } from './address-allow-list.js';

export class AclConfigError extends Error {
  override readonly name = 'AclConfigError';
}

/** One account of the list, validated. */
export interface AclAccount {
  readonly accessKey: string;
  readonly secretKey: string;
  /** Undefined: usable from any address. */
  readonly addresses: AddressAllowList | undefined;
  readonly admin: boolean;
  readonly defaultTopicPermission: number;
  readonly defaultGroupPermission: number;
  readonly topicPermissions: ReadonlyMap<string, number>;
  readonly groupPermissions: ReadonlyMap<string, number>;
  /** Distributed locks by name: PUB acquires, renews and releases; SUB reads status (issue 13). */
  readonly defaultLockPermission: number;
  readonly lockPermissions: ReadonlyMap<string, number>;
  /** Unique id sequences and snowflake worker id spaces (broker/ids/): PUB to create, take, lease. */
  readonly defaultIdPermission: number;
  readonly idPermissions: ReadonlyMap<string, number>;
  /** TCC resources: PUB lets an initiator run a branch's try, SUB lets a participant serve it. */
  readonly defaultTccResourcePermission?: number;
  readonly tccResourcePermissions?: ReadonlyMap<string, number>;
  /**
   * Refuse requests not signed with Tributary's request code, time and nonce, signed out of
   * the clock window, or seen before (protocol/request-signature.ts); RocketMQ clients
   * cannot use such an account.
   */
  readonly requireSignedCode: boolean;
  /** Config centre "env/namespace" (or "env/*") -> PUB (publish) / SUB (read); unlisted: DENY. */
  readonly configPermissions: ReadonlyMap<string, number>;
}

export interface AclConfig {
  /** Addresses whose requests skip every check (RocketMQ's globalWhiteRemoteAddresses). */
  readonly globalAllowList: AddressAllowList;
  readonly accounts: ReadonlyMap<string, AclAccount>;
}

const DOCUMENT_KEYS: ReadonlySet<string> = new Set(['globalWhiteRemoteAddresses', 'accounts', 'dataVersion']);
const ACCOUNT_KEYS: ReadonlySet<string> = new Set([
  'accessKey',
  'secretKey',
  'whiteRemoteAddress',
  'admin',
  'defaultTopicPerm',
  'defaultGroupPerm',
  'topicPerms',
  'groupPerms',
  'defaultIdPerm',
  'idPerms',
  'requireSignedCode',
  'defaultLockPerm',
  'lockPerms',
  'configPerms',
  'defaultTccResourcePerm',
  'tccResourcePerms',
]);

/** Reads and validates an ACL file; any problem is an AclConfigError naming the file. */
export function readAclConfigFile(file: string): AclConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new AclConfigError(`cannot read ACL file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the text around the fault, which may be a secret key: keep only where.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new AclConfigError(`ACL file ${file} is not valid JSON${position === undefined ? '' : ` (at ${position})`}`);
  }
  try {
    return parseAclConfig(document);
  } catch (error) {
    if (error instanceof AclConfigError) throw new AclConfigError(`ACL file ${file}: ${error.message}`);
    throw error;
  }
}

/** Validates an ACL document (the parsed JSON, or the same shape given inline). */
export function parseAclConfig(document: unknown): AclConfig {
  const root = objectAt(document, 'the ACL document');
  checkKeys(root, DOCUMENT_KEYS, 'the ACL document');
  const globalAllowList = allowListAt(root.globalWhiteRemoteAddresses, 'globalWhiteRemoteAddresses') ?? emptyList();
  if (!Array.isArray(root.accounts)) throw new AclConfigError('accounts must be a list');
  const accounts = new Map<string, AclAccount>();
  root.accounts.forEach((entry: unknown, i: number) => {
    const account = parseAccount(entry, `accounts[${i}]`);
    if (accounts.has(account.accessKey))
      throw new AclConfigError(`accounts[${i}]: accessKey '${account.accessKey}' is listed twice`);
    accounts.set(account.accessKey, account);
  });
  return { globalAllowList, accounts };
}

function parseAccount(entry: unknown, where: string): AclAccount {
  const account = objectAt(entry, where);
  checkKeys(account, ACCOUNT_KEYS, where);
  const { accessKey, secretKey, admin } = account;
  if (typeof accessKey !== 'string' || accessKey.length < ACCESS_KEY_CHARS_MIN)
    throw new AclConfigError(`${where}.accessKey must be a string of at least ${ACCESS_KEY_CHARS_MIN} characters`);
  if (typeof secretKey !== 'string' || secretKey.length < SECRET_KEY_CHARS_MIN)
    throw new AclConfigError(`${where}.secretKey must be a string of at least ${SECRET_KEY_CHARS_MIN} characters`);
  if (admin !== undefined && typeof admin !== 'boolean')
    throw new AclConfigError(`${where}.admin must be true or false`);
  const { requireSignedCode } = account;
  if (requireSignedCode !== undefined && typeof requireSignedCode !== 'boolean')
    throw new AclConfigError(`${where}.requireSignedCode must be true or false`);
  const addresses =
    typeof account.whiteRemoteAddress === 'string' && account.whiteRemoteAddress.trim() === ''
      ? undefined // RocketMQ's sample files leave it empty: no restriction.
      : allowListAt(account.whiteRemoteAddress, `${where}.whiteRemoteAddress`);
  return {
    accessKey,
    secretKey,
    addresses,
    admin: admin === true,
    defaultTopicPermission: permissionAt(account.defaultTopicPerm, `${where}.defaultTopicPerm`),
    defaultGroupPermission: permissionAt(account.defaultGroupPerm, `${where}.defaultGroupPerm`),
    topicPermissions: resourcePermissionsAt(account.topicPerms, `${where}.topicPerms`),
    groupPermissions: resourcePermissionsAt(account.groupPerms, `${where}.groupPerms`),
    defaultLockPermission: permissionAt(account.defaultLockPerm, `${where}.defaultLockPerm`),
    lockPermissions: resourcePermissionsAt(account.lockPerms, `${where}.lockPerms`),
    defaultIdPermission: permissionAt(account.defaultIdPerm, `${where}.defaultIdPerm`),
    idPermissions: resourcePermissionsAt(account.idPerms, `${where}.idPerms`),
    defaultTccResourcePermission: permissionAt(account.defaultTccResourcePerm, `${where}.defaultTccResourcePerm`),
    tccResourcePermissions: resourcePermissionsAt(account.tccResourcePerms, `${where}.tccResourcePerms`),
    requireSignedCode: requireSignedCode === true,
    configPermissions: resourcePermissionsAt(account.configPerms, `${where}.configPerms`),
  };
}

function objectAt(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new AclConfigError(`${where} must be an object`);
  return value as Record<string, unknown>;
}

function checkKeys(value: Record<string, unknown>, known: ReadonlySet<string>, where: string): void {
  const unknown = Object.keys(value).filter((key) => !known.has(key));
  if (unknown.length > 0)
    throw new AclConfigError(`${where} has unknown key(s) ${unknown.map((key) => `'${key}'`).join(', ')}`);
}

function stringsAt(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw new AclConfigError(`${where} must be a list of strings`);
  return value as string[];
}

function allowListAt(value: unknown, where: string): AddressAllowList | undefined {
  if (value === undefined || value === null) return undefined;
  const patterns = typeof value === 'string' ? [value] : stringsAt(value, where);
  try {
    return AddressAllowList.parse(patterns);
  } catch (error) {
    if (error instanceof AddressPatternError) throw new AclConfigError(`${where}: ${error.message}`);
    throw error;
  }
}

function emptyList(): AddressAllowList {
  return AddressAllowList.parse([]);
}

/** Absent means DENY, as in RocketMQ. */
function permissionAt(value: unknown, where: string): number {
  if (value === undefined || value === null) return ACL_PERMISSION.DENY;
  const permission = typeof value === 'string' ? parseAclPermission(value) : undefined;
  if (permission === undefined) throw new AclConfigError(`${where} must be DENY, PUB, SUB or PUB|SUB`);
  return permission;
}

/** "name=PERM" entries; names are topics or groups, which cannot contain '='. */
function resourcePermissionsAt(value: unknown, where: string): ReadonlyMap<string, number> {
  const permissions = new Map<string, number>();
  if (value === undefined || value === null) return permissions;
  stringsAt(value, where).forEach((entry, i) => {
    const at = `${where}[${i}]`;
    const separator = entry.indexOf('=');
    const name = entry.slice(0, separator).trim();
    if (separator <= 0 || name === '') throw new AclConfigError(`${at} must look like name=PUB|SUB`);
    if (permissions.has(name)) throw new AclConfigError(`${at}: '${name}' is listed twice`);
    permissions.set(name, permissionAt(entry.slice(separator + 1), at));
  });
  return permissions;
}
