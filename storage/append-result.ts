// What an append returns. The message id is the producer's UNIQ_KEY when the message carried
// one, else its offset id (store host + commit log offset, RocketMQ's broker-side msgId).
import type { HostAddress } from './host-address.js';
import { OffsetMessageId } from '../protocol/offset-message-id.js';

/** Where an appended message was stored: its queue offset, commit log offset and offset message id. */
export interface AppendResult {
  readonly commitLogOffset: number;
  readonly queueOffset: number;
  readonly msgId: string;
  readonly storeTimestamp: number;
}

export function appendResult(
  commitLogOffset: number,
  queueOffset: number,
  storeTimestamp: number,
  uniqueKey: string | undefined,
  storeHost: HostAddress,
): AppendResult {
  const msgId = uniqueKey ?? OffsetMessageId.encode(storeHost, commitLogOffset);
  return { commitLogOffset, queueOffset, msgId, storeTimestamp };
}
