// The ext field of a SYSTEM_BUSY answer saying how long to wait before retrying, in
// milliseconds (a decimal integer). Tributary's broker sets it when a request is over a rate
// limit quota; Tributary's clients wait that long instead of their own backoff. RocketMQ clients
// ignore unknown ext fields and back off as they always do.
export const RETRY_AFTER_FIELD = 'retryAfterMs';

/** The hint of a response's ext fields, or undefined when absent or not a positive number. */
export function retryAfterFieldMs(extFields: Readonly<Record<string, unknown>> | undefined): number | undefined {
  const value = Number(extFields?.[RETRY_AFTER_FIELD]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
