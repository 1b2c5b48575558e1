// Refusals of the config centre as the client reports them: the broker's stable code
// (configError ext field) when the broker gave one, else CONFIG_REFUSED (e.g. NO_PERMISSION),
// and CONFIG_UNAVAILABLE when no broker answered and no cached value exists.

/** The stable code of each config centre refusal and what it means. */
export const CONFIG_ERRORS = {
  CONFIG_INVALID: 'the request is malformed or a name or value is out of bounds',
  CONFIG_NOT_FOUND: 'no such item (or it is deleted)',
  CONFIG_VERSION_NOT_KEPT: 'that version is not (or no longer) in the kept history',
  CONFIG_NO_GRAY: 'the item has no gray release to promote or abandon',
  CONFIG_BUSY: 'the broker holds as many watches as it may; the client retries with backoff',
  CONFIG_REFUSED: 'the broker refused the request',
  CONFIG_UNAVAILABLE: 'no broker answered and no cached copy exists',
} as const;

/** A stable code of CONFIG_ERRORS, to branch on instead of the message. */
export type ConfigErrorCode = keyof typeof CONFIG_ERRORS;

/**
 * A config centre refusal: `code` is the broker's stable code when it gave one, else
 * CONFIG_REFUSED; CONFIG_UNAVAILABLE when no broker answered and no cached copy exists.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly code: ConfigErrorCode,
    detail: string,
    options?: { cause?: unknown; responseCode?: number },
  ) {
    super(`${CONFIG_ERRORS[code]}: ${detail}`, { cause: options?.cause });
    this.responseCode = options?.responseCode;
  }

  /** The broker's response code when the broker refused. */
  readonly responseCode: number | undefined;
}
