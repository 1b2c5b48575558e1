// Segment files are named by the global offset of their first byte, zero-padded to 20 digits
// (00000000000000000000, 00000000001073741824, ...), so names sort in log order.

const NAME_DIGITS = 20;
const NAME_PATTERN = /^\d{20}$/;

export const SegmentFileName = {
  format(fromOffset: number): string {
    return String(fromOffset).padStart(NAME_DIGITS, '0');
  },

  /** The start offset a name encodes, or undefined when it is not a segment name. */
  parse(name: string): number | undefined {
    if (!NAME_PATTERN.test(name)) return undefined;
    const offset = Number(name);
    return Number.isSafeInteger(offset) ? offset : undefined;
  },
};
