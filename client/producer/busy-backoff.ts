// How long a producer waits before retrying a send the broker refused as busy (SYSTEM_BUSY,
// its write backlog full): retrying at once only adds to the load that made it busy.
// Exponential with "equal jitter": the n-th retry waits between half and all of
// base * 2^(n-1), capped at the max, so concurrent senders spread out instead of returning
// together.
import { randomInt } from 'node:crypto';

import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { BUSY_RETRY_BASE_MS, BUSY_RETRY_MAX_MS } from '../client-constants.js';

/**
 * A producer keeps retrying sends refused over a quota (SYSTEM_BUSY with a retry-after hint)
 * without counting them as attempts, until it has waited this long for one message in all:
 * a quota is the broker pacing the producer, not a failure.
 */
export const QUOTA_WAIT_MS_MAX_DEFAULT = 60_000;

/** Broker answers that mean "too loaded now", worth a pause before the retry. */
export const BUSY_RESPONSES: ReadonlySet<number> = new Set([RESPONSE_CODE.SYSTEM_BUSY]);

/** Jitter is drawn in this many equal steps (far finer than a timer's 1 ms). */
const JITTER_STEPS = 1_000_000;

const uniform = (): number => randomInt(JITTER_STEPS) / JITTER_STEPS;

/** The wait before busy retry number `retry` (1 for the first); `random` returns [0, 1). */
export function busyRetryDelayMs(retry: number, random: () => number = uniform): number {
  const ceiling = Math.min(BUSY_RETRY_MAX_MS, BUSY_RETRY_BASE_MS * 2 ** Math.max(0, retry - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

/**
 * The wait before retrying a send the broker refused with a retry-after hint: the hint plus up
 * to half of it again, so senders refused together do not all come back in the same instant.
 */
export function hintedRetryDelayMs(hintMs: number, random: () => number = uniform): number {
  return hintMs + random() * (hintMs / 2);
}
