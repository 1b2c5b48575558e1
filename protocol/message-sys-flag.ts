// A message's SYSFLAG bits (reference: RocketMQ MessageSysFlag), stored in the record and sent in
// SEND_MESSAGE's header. One definition for the store, the broker and the client.

export const MESSAGE_SYS_FLAG = {
  compressed: 0x1,
  multiTags: 0x2,
  /** Transaction type: 0 none, 0x4 prepared (a half message), 0x8 commit, 0xC rollback. */
  transactionMask: 0xc,
  transactionNone: 0x0,
  transactionPrepared: 0x4,
  transactionCommit: 0x8,
  transactionRollback: 0xc,
  /** Born host and store host kinds: set means IPv6, which the v1 IPv4 layout cannot hold. */
  bornHostV6: 0x10,
  storeHostV6: 0x20,
} as const;
