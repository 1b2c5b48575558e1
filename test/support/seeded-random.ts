// Deterministic randomness for tests. Every random test takes its seed from SEED when set,
// else picks one, and prints it, so any failure replays with `SEED=<n> npm test`.
// Math.random is never used in tests or storage code.

export interface SeededRandom {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, max). */
  int(max: number): number;
  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number;
  bytes(length: number): Buffer;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: small, fast, and good enough to drive test schedules. */
export function seededRandom(label: string, seedOverride?: number, announce = true): SeededRandom {
  const fromEnvironment = process.env.SEED === undefined ? undefined : Number(process.env.SEED);
  const seed = (seedOverride ?? fromEnvironment ?? Date.now() ^ (process.pid << 16)) >>> 0;
  // Derived sources stay quiet when the caller reports the seed that replays them.
  if (announce) console.log(`  [seed] ${label}: SEED=${seed}`);
  let state = seed;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number): number => Math.floor(next() * max);
  return {
    seed,
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    bytes: (length) => {
      const bytes = Buffer.allocUnsafe(length);
      for (let i = 0; i < length; i++) bytes[i] = int(256);
      return bytes;
    },
    pick: (items) => items[int(items.length)]!,
  };
}
