// `npm run test:soak` sets SOAK=1: random and crash tests then run more seeds and rounds.

export function soakScale<T>(normal: T, soak: T): T {
  return process.env.SOAK === '1' ? soak : normal;
}
