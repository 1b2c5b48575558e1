// The error a consumer reports for a pulled record it cannot decode, naming the record so an
// operator can find it (in %RETRY%<group>, then %DLQ%<group>) by its id.
import { ClientError } from '../client-error.js';
import { queueKey, type MessageQueue } from '../topic-route.js';

/** Where an undecodable record was: its ids (when its frame was intact), queue and offsets. */
export interface UndecodableMessageIds {
  readonly queue: MessageQueue;
  /** The offset id; undefined when not even the record's frame could be read. */
  readonly msgId: string | undefined;
  readonly queueOffset: number;
  readonly commitLogOffset: number | undefined;
}

/**
 * Reported through PushConsumer.onError for a pulled record the client cannot decode (code
 * MESSAGE_UNDECODABLE). The record is sent back like a failed message (orderly: straight to the
 * DLQ), so its queue moves on.
 */
export class UndecodableMessageError extends ClientError implements UndecodableMessageIds {
  readonly queue: MessageQueue;
  readonly msgId: string | undefined;
  readonly queueOffset: number;
  readonly commitLogOffset: number | undefined;

  constructor(ids: UndecodableMessageIds, what: string, cause: unknown) {
    super(
      'MESSAGE_UNDECODABLE',
      `${ids.msgId ?? 'a record'} at ${queueKey(ids.queue)} offset ${ids.queueOffset}: ${what}`,
      { cause },
    );
    this.queue = ids.queue;
    this.msgId = ids.msgId;
    this.queueOffset = ids.queueOffset;
    this.commitLogOffset = ids.commitLogOffset;
  }
}
