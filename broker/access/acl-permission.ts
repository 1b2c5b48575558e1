// Permission bits of RocketMQ's ACL 1.0 (Permission.java) and their spelling in an ACL file:
// "DENY", "PUB", "SUB", "PUB|SUB" (also "SUB|PUB"). A request needs PUB or SUB on a resource;
// an account's permission grants it when the bits overlap, so DENY grants nothing.
//
//   needed SUB, granted PUB|SUB → allowed      needed PUB, granted SUB  → denied
//   needed SUB, granted DENY    → denied       needed PUB, granted PUB  → allowed

export const ACL_PERMISSION = {
  DENY: 1,
  PUB: 2,
  SUB: 4,
} as const;

/** What a request needs on one resource. */
export type NeededPermission = 'PUB' | 'SUB';

const SPELLINGS: ReadonlyMap<string, number> = new Map([
  ['DENY', ACL_PERMISSION.DENY],
  ['PUB', ACL_PERMISSION.PUB],
  ['SUB', ACL_PERMISSION.SUB],
  ['PUB|SUB', ACL_PERMISSION.PUB | ACL_PERMISSION.SUB],
  ['SUB|PUB', ACL_PERMISSION.PUB | ACL_PERMISSION.SUB],
]);

/** The bits of "DENY" / "PUB" / "SUB" / "PUB|SUB" (spaces ignored), or undefined when misspelled. */
export function parseAclPermission(text: string): number | undefined {
  return SPELLINGS.get(text.replace(/\s+/g, '').toUpperCase());
}

/** Whether `granted` bits allow what the request needs. */
export function permits(granted: number, needed: NeededPermission): boolean {
  return (granted & ACL_PERMISSION[needed]) !== 0;
}
