// What the broker's processors and services may do with the store besides writing: read. Writes
// of messages go through MessageWriter (delivery/message-writer.ts), the one way messages enter
// the store, so no processor is handed the store itself (ARCHITECTURE.md, "The one writer").
import type { MessageStore } from '../storage/index.js';

export type StoreReader = Pick<
  MessageStore,
  | 'read'
  | 'readAt'
  | 'hold'
  | 'minQueueOffset'
  | 'maxQueueOffset'
  | 'searchQueueOffsetByTime'
  | 'queryByKey'
  | 'stats'
  | 'options'
  | 'commitLogOffsetOf'
  | 'commitLogMaxOffset'
>;
