// The latency CDF as SVG: x = latency (log scale, ms), y = the fraction of messages at or
// below it on a "nines" scale (50%, 90%, 99%, 99.9%), as HdrHistogram plots it, because the
// tail is what a latency goal is about and a linear y axis squeezes it into one pixel. Each
// system is a step line through the percentiles every run reports (min, p50, p95, p99,
// p99.9, max); Tributary's summaries carry no finer distribution, so no series gets more.
import { SERIES_COLORS, round, svgDocument, svgLegend, svgText } from './svg-document.js';

export interface CdfPoint {
  readonly ms: number;
  /** 0-100; 100 is the maximum. */
  readonly percentile: number;
}

export interface CdfSeries {
  readonly name: string;
  readonly points: readonly CdfPoint[];
}

const WIDTH_PX = 760;
const HEIGHT_PX = 440;
const PLOT = { left: 70, right: 30, top: 60, bottom: 80 } as const;
/** The y axis: 0% at 0 nines, 99.9% at 3 nines; the maximum is drawn one half-nine above. */
const NINES_MAX = 3;
const MAX_PERCENTILE_NINES = 3.5;
const Y_TICKS: readonly (readonly [number, string])[] = [
  [0, '0%'],
  [50, '50%'],
  [90, '90%'],
  [99, '99%'],
  [99.9, '99.9%'],
  [100, 'max'],
];

/** -log10(1 - p): 50% -> 0.3, 99% -> 2, 99.9% -> 3; the maximum sits above 99.9%. */
export function ninesOf(percentile: number): number {
  if (percentile >= 100) return MAX_PERCENTILE_NINES;
  return Math.min(NINES_MAX, -Math.log10(1 - percentile / 100));
}

export function renderLatencyCdf(title: string, series: readonly CdfSeries[]): string {
  const plotWidth = WIDTH_PX - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT_PX - PLOT.top - PLOT.bottom;
  const values = series.flatMap((s) => s.points.map((p) => p.ms)).filter((ms) => ms > 0);
  const low = 10 ** Math.floor(Math.log10(Math.min(1, ...values)));
  const high = 10 ** Math.ceil(Math.log10(Math.max(low * 10, ...values)));
  const x = (ms: number): number =>
    PLOT.left + ((Math.log10(Math.max(ms, low)) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * plotWidth;
  const y = (percentile: number): number =>
    PLOT.top + plotHeight - (ninesOf(percentile) / MAX_PERCENTILE_NINES) * plotHeight;
  const body: string[] = [];
  for (const [percentile, label] of Y_TICKS) {
    body.push(
      `<line x1="${PLOT.left}" y1="${round(y(percentile))}" x2="${PLOT.left + plotWidth}" y2="${round(y(percentile))}" stroke="#dddddd"/>`,
      svgText(PLOT.left - 6, y(percentile) + 4, label, 'end'),
    );
  }
  for (let decade = low; decade <= high * 1.0001; decade *= 10) {
    body.push(
      `<line x1="${round(x(decade))}" y1="${PLOT.top}" x2="${round(x(decade))}" y2="${PLOT.top + plotHeight}" stroke="#dddddd"/>`,
      svgText(x(decade), PLOT.top + plotHeight + 16, `${Number(decade.toPrecision(3))} ms`),
    );
  }
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const color = SERIES_COLORS[i % SERIES_COLORS.length];
    const sorted = [...s.points].sort((a, b) => a.percentile - b.percentile);
    // A step line: the fraction at or below a latency holds until the next percentile's latency.
    const path = sorted
      .map((p, j) => {
        const previous = sorted[j - 1];
        const step = previous === undefined ? '' : `L${round(x(p.ms))},${round(y(previous.percentile))} `;
        return `${j === 0 ? 'M' : step + 'L'}${round(x(p.ms))},${round(y(p.percentile))}`;
      })
      .join(' ');
    body.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of sorted)
      body.push(`<circle cx="${round(x(p.ms))}" cy="${round(y(p.percentile))}" r="3" fill="${color}"/>`);
  });
  body.push(
    svgText(PLOT.left + plotWidth / 2, PLOT.top + plotHeight + 36, 'latency (log scale)'),
    ...svgLegend(
      PLOT.left,
      HEIGHT_PX - 16,
      series.map((s) => s.name),
    ),
  );
  return svgDocument(WIDTH_PX, HEIGHT_PX, title, body);
}
