// fast-crc32c ships no types. Its loader picks the SSE4.2 implementation (sse4_crc32) when it
// loads and falls back to pure JS; test/unit/native-binding.test.ts fails if the fast one is not
// the one in use.
declare module 'fast-crc32c' {
  const crc32c: {
    calculate(input: Buffer | string, initial?: number): number;
  };
  export default crc32c;
}
