// What an append returns. The message id is the producer's UNIQ_KEY when the message carried
// one, else its offset id (store host + commit log offset, RocketMQ's broker-side msgId).
import type { HostAddress } from './host-address.js';
import { OffsetMessageId } from '../protocol/offset-message-id.js';

/**
 * Where an appended message was stored: its queue offset, commit log offset and offset message
 * id. `msgId` is computed when first read (a getter: object spread does not copy it; JSON does).
 */
export interface AppendResult {
  readonly commitLogOffset: number;
  readonly queueOffset: number;
  readonly msgId: string;
  readonly storeTimestamp: number;
}

/**
 * The offset id is encoded the first time msgId is read, not at every append: few callers read
 * it (the broker encodes its own answers), and encoding it for each message took a sixth of
 * appendBatch's CPU for 100 B messages (native-bench/README.md, "appendBatch of 100 B"). A
 * getter in an object literal instead doubled the cost, so this is a class.
 */
class StoredAppend implements AppendResult {
  #id: string | undefined;
  readonly #storeHost: HostAddress;

  constructor(
    readonly commitLogOffset: number,
    readonly queueOffset: number,
    readonly storeTimestamp: number,
    uniqueKey: string | undefined,
    storeHost: HostAddress,
  ) {
    this.#id = uniqueKey;
    this.#storeHost = storeHost;
  }

  get msgId(): string {
    return (this.#id ??= OffsetMessageId.encode(this.#storeHost, this.commitLogOffset));
  }

  /** The four fields, as JSON and logs should show them. */
  toJSON(): AppendResult {
    const { commitLogOffset, queueOffset, msgId, storeTimestamp } = this;
    return { commitLogOffset, queueOffset, msgId, storeTimestamp };
  }
}

export function appendResult(
  commitLogOffset: number,
  queueOffset: number,
  storeTimestamp: number,
  uniqueKey: string | undefined,
  storeHost: HostAddress,
): AppendResult {
  return new StoredAppend(commitLogOffset, queueOffset, storeTimestamp, uniqueKey, storeHost);
}
