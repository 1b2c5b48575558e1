// Tag subscriptions: "*" (or empty) takes every message, "a || b" takes messages tagged a or
// b. The broker filters by the tag hash kept in the consume queue (Java String.hashCode, as
// clients compute it); clients filter again by the tag itself, which resolves collisions.

export interface TagFilter {
  readonly all: boolean;
  readonly tags: ReadonlySet<string>;
  readonly codes: ReadonlySet<number>;
}

export class SubscriptionParseError extends Error {
  override readonly name = 'SubscriptionParseError';
}

export const MATCH_ALL: TagFilter = { all: true, tags: new Set(), codes: new Set() };
const TAG_SEPARATOR = '||';

export function parseTagExpression(expression: string | undefined, expressionType?: string): TagFilter {
  if (expressionType !== undefined && expressionType !== '' && expressionType.toUpperCase() !== 'TAG') {
    throw new SubscriptionParseError(`expression type ${expressionType} is not supported; use TAG`);
  }
  const text = expression?.trim() ?? '';
  if (text === '' || text === '*') return MATCH_ALL;
  const tags = new Set<string>();
  for (const part of text.split(TAG_SEPARATOR)) {
    const tag = part.trim();
    if (tag === '') continue;
    if (tag === '*') return MATCH_ALL;
    tags.add(tag);
  }
  if (tags.size === 0) throw new SubscriptionParseError(`no tag in '${text}'`);
  return { all: false, tags, codes: new Set([...tags].map(javaHash)) };
}

/** A predicate on consume queue tag codes, or undefined for "everything". */
export function tagCodePredicate(filter: TagFilter): ((tagsCode: number) => boolean) | undefined {
  if (filter.all) return undefined;
  return (tagsCode) => filter.codes.has(tagsCode);
}

function javaHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}
