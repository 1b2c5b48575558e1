// Expected failures of the storage engine: one registry of stable codes. Codes are never
// renumbered or reused; callers branch on `code`, never on the message text.

/** Every StoreError code with whether retrying can help and its message. */
export const STORE_ERRORS = {
  INVALID_TOPIC: { retriable: false, message: 'topic must be 1-127 bytes of [A-Za-z0-9_%|-]' },
  INVALID_QUEUE_ID: { retriable: false, message: 'queueId must be an integer in [0, 1024)' },
  INVALID_BODY: { retriable: false, message: 'body must be a Buffer or Uint8Array' },
  BODY_TOO_LARGE: { retriable: false, message: 'body exceeds maxMessageBytes' },
  PROPERTIES_TOO_LARGE: { retriable: false, message: 'encoded properties exceed 32,767 bytes' },
  INVALID_PROPERTY: {
    retriable: false,
    message: 'property names and values must be strings without \\u0001 or \\u0002',
  },
  INVALID_MESSAGE: { retriable: false, message: 'a message field has the wrong type or range' },
  INVALID_OPTION: { retriable: false, message: 'a store option is out of range' },
  STORE_CLOSED: { retriable: false, message: 'the store is closed' },
  STORE_LOCKED: { retriable: false, message: 'another process holds this store directory' },
  STORE_FAILED: {
    retriable: false,
    message: 'the store stopped accepting writes after a failed flush; reopen it',
  },
  FLUSH_TIMEOUT: { retriable: true, message: 'the message was written but not flushed in time' },
  FLUSH_FAILED: { retriable: false, message: 'msync failed; durability is unknown' },
  DISK_FULL: { retriable: true, message: 'no space left to allocate a file' },
  IO_ERROR: { retriable: false, message: 'a file operation failed' },
  CORRUPT_STORE: { retriable: false, message: 'the store files are inconsistent' },
  CONFIG_MISMATCH: { retriable: false, message: 'the options disagree with the files on disk' },
  REPLICATION_DIVERGED: { retriable: false, message: 'replicated records do not continue this log' },
  REPLICA_READ_ONLY: { retriable: false, message: 'a replica takes records only from its master' },
} as const;

/** The stable code of a StoreError (a key of STORE_ERRORS). */
export type StoreErrorCode = keyof typeof STORE_ERRORS;

/** Every failure of the store: a stable `code` (STORE_ERRORS) and whether it is `retriable`. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;
  readonly retriable: boolean;

  constructor(code: StoreErrorCode, detail?: string, options?: { cause?: unknown }) {
    const entry = STORE_ERRORS[code];
    super(detail === undefined ? entry.message : `${entry.message}: ${detail}`, options);
    this.code = code;
    this.retriable = entry.retriable;
  }

  /** Wraps an errno failure from fs or the native addon, keeping it as `cause`. */
  static fromSystemError(error: unknown, what: string): StoreError {
    const code = (error as { code?: unknown }).code;
    const storeCode: StoreErrorCode = code === 'ENOSPC' || code === 'EDQUOT' ? 'DISK_FULL' : 'IO_ERROR';
    const errnoName = typeof code === 'string' ? code : 'unknown errno';
    return new StoreError(storeCode, `${what} (${errnoName})`, { cause: error });
  }
}
