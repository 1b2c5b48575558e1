// A TCC request that failed, with a stable code: the coordinator's refusal (TCC_RESPONSE_CODE
// names), BROKER_ERROR for any other refusal, UNAVAILABLE when the coordinator was not reached
// or did not answer (the outcome is then unknown: ask `status`).
import { responseCodeName } from '../../protocol/response-code.js';
import { TCC_RESPONSE_CODE } from '../../protocol/tcc-status.js';

/**
 * The stable codes of TccError: the coordinator's refusals (GLOBAL_NOT_FOUND, WRONG_STATE,
 * BRANCH_CANCELLED, TRY_FAILED, NOT_ALL_TRIED, TOO_MANY_BRANCHES), BROKER_ERROR and UNAVAILABLE.
 */
export type TccErrorCode = keyof typeof TCC_RESPONSE_CODE | 'BROKER_ERROR' | 'UNAVAILABLE';

const NAMES = new Map<number, keyof typeof TCC_RESPONSE_CODE>(
  Object.entries(TCC_RESPONSE_CODE).map(([name, code]) => [code, name as keyof typeof TCC_RESPONSE_CODE]),
);

/**
 * A TCC request that failed, with its stable `code`: the coordinator's refusal (a
 * TCC_RESPONSE_CODE name), BROKER_ERROR for any other refusal, or UNAVAILABLE when the
 * coordinator was not reached or did not answer, so the outcome is unknown: ask `status`.
 */
export class TccError extends Error {
  override readonly name = 'TccError';

  constructor(
    readonly code: TccErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }

  /** The TccError of a refusal: its TCC_RESPONSE_CODE name, or BROKER_ERROR naming any other response code. */
  static fromResponse(responseCode: number, remark: string | undefined, what: string): TccError {
    const code = NAMES.get(responseCode);
    if (code !== undefined) return new TccError(code, `${what}: ${remark ?? ''}`);
    return new TccError('BROKER_ERROR', `${what}: ${responseCodeName(responseCode)} (${responseCode}) ${remark ?? ''}`);
  }
}
