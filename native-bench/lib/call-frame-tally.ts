// Sums an amount (self time, allocated bytes) per function of a V8 profile, keyed by function
// name and source location relative to the repository, for the "top functions" tables.

export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

export interface TalliedFunction {
  readonly fn: string;
  readonly location: string;
  readonly amount: number;
}

export class CallFrameTally {
  private readonly byKey = new Map<string, { fn: string; location: string; amount: number }>();
  total = 0;

  /** `root`: the repository root, stripped from file URLs. */
  constructor(private readonly root: string) {}

  add(frame: CallFrame, amount: number): void {
    const url = frame.url.replace(`file://${this.root}/`, '').replace(/^file:\/\//, '');
    const fn = frame.functionName || '(anonymous)';
    const location = url === '' ? '' : `${url}:${frame.lineNumber + 1}`;
    const key = `${fn}@${location}`;
    const entry = this.byKey.get(key) ?? { fn, location, amount: 0 };
    entry.amount += amount;
    this.byKey.set(key, entry);
    this.total += amount;
  }

  /** The `limit` functions with the largest amounts, largest first. */
  top(limit: number): TalliedFunction[] {
    return [...this.byKey.values()].sort((a, b) => b.amount - a.amount).slice(0, limit);
  }

  /** `amount` as a percentage of the total, to one decimal. */
  percentOf(amount: number): number {
    return Math.round((amount / this.total) * 1000) / 10;
  }
}
