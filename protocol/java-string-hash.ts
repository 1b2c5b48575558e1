// Java's String.hashCode (s[0]*31^(n-1) + ... + s[n-1], in 32-bit arithmetic). RocketMQ uses it
// for consume queue tag codes and index slots, and clients send tag codes computed with it, so the
// store, the broker and the client share this one definition.

/** The hash of `text` from index `start` on, continuing from `seed` (the hash of what precedes). */
export function javaStringHash(text: string, seed = 0, start = 0): number {
  let hash = seed | 0;
  for (let i = start; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}
