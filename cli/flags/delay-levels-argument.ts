// --delay-levels: the delay of each level, level 1 first, in RocketMQ's messageDelayLevel
// notation ("1s 5s 10s 30s 1m ... 2h"; units ms, s, m, h, d; spaces or commas between). Retries
// use level 3 + reconsume count, so shorter levels make retries come back sooner too.
import type { CommandLine } from '../command-line.js';

const LEVEL_PATTERN = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function delayLevelsArgument(line: CommandLine, text: string): number[] {
  const words = text.split(/[\s,]+/).filter((word) => word !== '');
  if (words.length === 0) throw line.usageError('--delay-levels needs at least one delay, e.g. "1s 5s 10s"');
  return words.map((word) => {
    const match = LEVEL_PATTERN.exec(word);
    const delayMs = match === null ? 0 : Number(match[1]) * UNIT_MS[match[2]!]!;
    if (!(delayMs > 0) || !Number.isSafeInteger(delayMs)) {
      throw line.usageError(`--delay-levels: '${word}' is not a delay such as 500ms, 10s, 2m, 1h or 1d`);
    }
    return delayMs;
  });
}
