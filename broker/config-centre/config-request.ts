// The JSON bodies of the config centre's requests (codes 21100-21107), read strictly: every
// name is a non-empty string of bounded length, every number an integer in range; anything else
// is a CONFIG_INVALID refusal naming the field.
//
//   CONFIG_PUBLISH   {env, namespace, group?, key, value, comment?, author?,
//                     grayClientIds?: string[], grayPercent?: 0-100}   -> {version, gray}
//   CONFIG_GET       {env, namespace, clientId}                        -> {revision, items}
//   CONFIG_WATCH     {env, clientId, holdMs?, known: {namespace: revision}}
//                                                     -> {changes: [{namespace, revision, items}]}
//   CONFIG_HISTORY   {env, namespace, group?, key}                     -> {versions, gray}
//   CONFIG_ROLLBACK  {env, namespace, group?, key, toVersion, comment?, author?} -> {version}
//   CONFIG_DELETE / CONFIG_PROMOTE {env, namespace, group?, key, comment?, author?} -> {version}
//   CONFIG_ABANDON   {env, namespace, group?, key}                     -> {}
//
// items: [{group, key, value, version, gray}]. Errors: SYSTEM_ERROR with ext field configError.
import {
  CONFIG_COMMENT_CHARS_MAX,
  CONFIG_GRAY_CLIENTS_MAX,
  CONFIG_GROUP_DEFAULT,
  CONFIG_NAME_CHARS_MAX,
  CONFIG_VALUE_BYTES_MAX,
  CONFIG_WATCH_HOLD_MS_DEFAULT,
  CONFIG_WATCH_HOLD_MS_MAX,
  CONFIG_WATCH_NAMESPACES_MAX,
} from './config-centre-constants.js';
import { ConfigCentreError } from './config-centre-error.js';
import type { ConfigAddress } from '../state/config-store.js';

type Fields = Record<string, unknown>;

/** The body as an object, or CONFIG_INVALID. */
export function configRequest(body: Buffer | undefined): Fields {
  let parsed: unknown;
  try {
    parsed = JSON.parse((body ?? Buffer.alloc(0)).toString('utf8'));
  } catch {
    throw invalid('the body is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw invalid('the body must be an object');
  return parsed as Fields;
}

export function configName(fields: Fields, name: string, fallback?: string): string {
  const value = fields[name] ?? fallback;
  if (typeof value !== 'string' || value === '' || value.length > CONFIG_NAME_CHARS_MAX)
    throw invalid(`${name} must be a string of 1 to ${CONFIG_NAME_CHARS_MAX} characters`);
  if (value.includes('\u0000')) throw invalid(`${name} must not contain NUL`);
  // ACL names a namespace "env/namespace": an environment with a slash would be ambiguous.
  if (name === 'env' && value.includes('/')) throw invalid('env must not contain /');
  return value;
}

export function configAddress(fields: Fields): ConfigAddress {
  return {
    env: configName(fields, 'env'),
    namespace: configName(fields, 'namespace'),
    group: configName(fields, 'group', CONFIG_GROUP_DEFAULT),
    key: configName(fields, 'key'),
  };
}

export function configValue(fields: Fields): string {
  const { value } = fields;
  if (typeof value !== 'string') throw invalid('value must be a string');
  if (Buffer.byteLength(value, 'utf8') > CONFIG_VALUE_BYTES_MAX)
    throw invalid(`value is larger than ${CONFIG_VALUE_BYTES_MAX} bytes`);
  return value;
}

export function configComment(fields: Fields): string {
  const { comment } = fields;
  if (comment === undefined) return '';
  if (typeof comment !== 'string' || comment.length > CONFIG_COMMENT_CHARS_MAX)
    throw invalid(`comment must be a string of at most ${CONFIG_COMMENT_CHARS_MAX} characters`);
  return comment;
}

export function configInteger(fields: Fields, name: string, min: number, max: number): number {
  const value = fields[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
    throw invalid(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

/** The gray audience of a publish, or undefined for a main publish. */
export function configGrayAudience(fields: Fields): { clientIds: string[]; percent: number } | undefined {
  const { grayClientIds, grayPercent } = fields;
  if (grayClientIds === undefined && grayPercent === undefined) return undefined;
  const clientIds: string[] = [];
  if (grayClientIds !== undefined) {
    if (!Array.isArray(grayClientIds) || grayClientIds.length > CONFIG_GRAY_CLIENTS_MAX)
      throw invalid(`grayClientIds must be a list of at most ${CONFIG_GRAY_CLIENTS_MAX} client ids`);
    grayClientIds.forEach((_, i) => clientIds.push(configName(grayClientIds as unknown as Fields, String(i))));
  }
  const percent = grayPercent === undefined ? 0 : configInteger(fields, 'grayPercent', 0, 100);
  if (clientIds.length === 0 && percent === 0) throw invalid('a gray release needs client ids or a percentage above 0');
  return { clientIds, percent };
}

/** A watch: the namespaces with the revision the client knows, and how long to hold. */
export function configWatch(fields: Fields): { known: Map<string, number>; holdMs: number } {
  const { known } = fields;
  if (known === null || typeof known !== 'object' || Array.isArray(known)) throw invalid('known must be an object');
  const entries = Object.entries(known as Fields);
  if (entries.length === 0 || entries.length > CONFIG_WATCH_NAMESPACES_MAX)
    throw invalid(`a watch names 1 to ${CONFIG_WATCH_NAMESPACES_MAX} namespaces`);
  const namespaces = new Map<string, number>();
  for (const [namespace, revision] of entries) {
    configName({ namespace }, 'namespace');
    namespaces.set(namespace, configInteger({ revision }, 'revision', 0, Number.MAX_SAFE_INTEGER));
  }
  const holdMs =
    fields.holdMs === undefined
      ? CONFIG_WATCH_HOLD_MS_DEFAULT
      : configInteger(fields, 'holdMs', 0, CONFIG_WATCH_HOLD_MS_MAX);
  return { known: namespaces, holdMs };
}

function invalid(detail: string): ConfigCentreError {
  return new ConfigCentreError('CONFIG_INVALID', detail);
}
