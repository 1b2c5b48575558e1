// A TCC request that failed, with a stable code: the coordinator's refusal (TCC_RESPONSE_CODE
// names), BROKER_ERROR for any other refusal, UNAVAILABLE when the coordinator was not reached
// or did not answer (the outcome is then unknown: ask `status`).
import { responseCodeName } from '../../protocol/response-code.js';
import { TCC_RESPONSE_CODE } from '../../protocol/tcc-status.js';

export type TccErrorCode = keyof typeof TCC_RESPONSE_CODE | 'BROKER_ERROR' | 'UNAVAILABLE';

const NAMES = new Map<number, keyof typeof TCC_RESPONSE_CODE>(
  Object.entries(TCC_RESPONSE_CODE).map(([name, code]) => [code, name as keyof typeof TCC_RESPONSE_CODE]),
);

export class TccError extends Error {
  override readonly name = 'TccError';

  constructor(
    readonly code: TccErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }

  static fromResponse(responseCode: number, remark: string | undefined, what: string): TccError {
    const code = NAMES.get(responseCode);
    if (code !== undefined) return new TccError(code, `${what}: ${remark ?? ''}`);
    return new TccError('BROKER_ERROR', `${what}: ${responseCodeName(responseCode)} (${responseCode}) ${remark ?? ''}`);
  }
}
