// Label values for topics or groups, at most `max` distinct: the first `max` names seen keep
// their own value for the life of the process, every later one is `_other`. Assignments never
// change, so counters under a label stay monotonic.
import { METRIC_OTHER_LABEL } from '../broker-constants.js';

export class BoundedLabels {
  private readonly own = new Set<string>();

  constructor(private readonly max: number) {}

  labelOf(name: string): string {
    if (this.own.has(name)) return name;
    if (this.own.size >= this.max) return METRIC_OTHER_LABEL;
    this.own.add(name);
    return name;
  }
}
