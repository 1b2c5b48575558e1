// The config centre's version records, as the broker keeps them in its state machine and as its
// CONFIG_HISTORY answer carries them (JSON): one shape for the broker and the client.

export type ConfigVersionKind = 'publish' | 'rollback' | 'delete' | 'promote';

/** One kept version of an item; `from` is the version a rollback copied, or a promote's gray version. */
export interface ConfigVersion {
  readonly version: number;
  /** null: a tombstone (the item was deleted by this version). */
  readonly value: string | null;
  readonly author: string;
  readonly time: number;
  readonly comment: string;
  readonly kind: ConfigVersionKind;
  readonly from?: number;
}

/** An item's pending gray release: seen only by `clientIds` and `percent` of clients until promoted or abandoned. */
export interface ConfigGrayRelease {
  readonly version: number;
  readonly value: string;
  readonly author: string;
  readonly time: number;
  readonly comment: string;
  readonly clientIds: string[];
  /** 0-100: clients whose stable hash (the broker's configGrayBucket) is below it see the gray value. */
  readonly percent: number;
}
