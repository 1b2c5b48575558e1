// Where a group with no committed offset in a queue starts, as QUERY_CONSUMER_OFFSET (14)
// answers it: RocketMQ 4.x's ConsumerManageProcessor.queryConsumerOffset. Offset 0 while the
// queue still starts at 0 and its first message is in memory (or it has none yet); otherwise
// no offset (QUERY_NOT_FOUND), and the client starts where its consumeFromWhere says.
//
// Why: a client consuming from LAST asks for the queue's end only on QUERY_NOT_FOUND, so on a
// young queue RocketMQ hands it the first messages rather than losing them to a group started a
// moment after them; on an old queue (its first message only on disk) LAST means the end.
import type { StoreReader } from '../store-reader.js';

/**
 * Offset 0 when the queue's minimum offset is 0 and its first message lies within
 * `inMemoryBytes` of the commit log's end (RocketMQ: not checkInDiskByConsumeOffset), or the
 * queue has no message yet; undefined otherwise.
 */
export function newGroupStartOffset(
  store: StoreReader,
  topic: string,
  queueId: number,
  inMemoryBytes: number,
): 0 | undefined {
  if (store.minQueueOffset(topic, queueId) > 0) return undefined;
  const first = store.commitLogOffsetOf(topic, queueId, 0);
  if (first === undefined) return 0;
  return store.commitLogMaxOffset - first > inMemoryBytes ? undefined : 0;
}
