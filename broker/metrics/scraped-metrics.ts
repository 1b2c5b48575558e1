// Counters and gauges whose values are read when Prometheus scrapes, not pushed when things
// happen: each metric's collect() resets it and reads the broker's plain numbers and state
// afresh. Until the broker attaches its sources (while the store replays) they read nothing.
import { Counter, Gauge, type Registry } from 'prom-client';

import { PlainHistogram, customHistogram, histogramSamples } from '../../server/http/plain-histogram.js';

import type { BrokerMetricsSources } from './broker-metrics-sources.js';

/** How a metric reads its value from the broker at scrape time. */
export type ScrapeRead<M> = (metric: M, sources: BrokerMetricsSources) => void;

export class ScrapedMetrics {
  constructor(
    private readonly registry: Registry,
    private readonly sources: () => BrokerMetricsSources | undefined,
  ) {}

  /** A counter whose total lives in a plain number the broker bumps; the metric shows it as it is now. */
  counter(name: string, help: string, labelNames: string[], read: ScrapeRead<Counter>): void {
    new Counter({ name, help, labelNames, registers: [this.registry], collect: this.collector(read) });
  }

  /** A gauge read from the broker's state when scraped. */
  gauge(name: string, help: string, labelNames: string[], read: ScrapeRead<Gauge>): void {
    new Gauge({ name, help, labelNames, registers: [this.registry], collect: this.collector(read) });
  }

  /**
   * A histogram of plain-number histograms the broker observes into, one per name; those whose
   * names fold into the same label value are summed when scraped.
   */
  histogram(
    name: string,
    help: string,
    labelName: string,
    read: (sources: BrokerMetricsSources) => Iterable<[label: string, histogram: PlainHistogram]>,
  ): void {
    customHistogram(this.registry, name, help, () => {
      const current = this.sources();
      if (current === undefined) return [];
      const summed = new Map<string, PlainHistogram>();
      for (const [label, histogram] of read(current)) {
        let sum = summed.get(label);
        if (sum === undefined) summed.set(label, (sum = new PlainHistogram(histogram.bounds)));
        sum.add(histogram);
      }
      return [...summed].flatMap(([label, histogram]) => histogramSamples(name, { [labelName]: label }, histogram));
    });
  }

  /** A label-less counter of one plain number. */
  total(name: string, help: string, pick: (sources: BrokerMetricsSources) => number): void {
    this.counter(name, help, [], (metric, sources) => metric.inc(pick(sources)));
  }

  /** A label-less gauge of one number. */
  level(name: string, help: string, pick: (sources: BrokerMetricsSources) => number): void {
    this.gauge(name, help, [], (metric, sources) => metric.set(pick(sources)));
  }

  /** prom-client calls collect() with the metric as `this`: reset it, then read it afresh. */
  private collector<M extends Counter | Gauge>(read: ScrapeRead<M>): (this: M) => void {
    const sources = this.sources;
    return function collect(this: M): void {
      const current = sources();
      if (current === undefined) return;
      this.reset();
      read(this, current);
    };
  }
}
