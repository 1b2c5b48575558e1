// A grouped bar chart as SVG ("throughput by message size": one group per size, one bar per
// system), drawn directly so the report needs no charting dependency. Values are labelled on
// the bars, because the ratios are what readers look for; a missing value (a skipped peer)
// leaves a gap marked "n/a" rather than a zero-height bar that reads as zero.
import { SERIES_COLORS, round, svgDocument, svgLegend, svgText } from './svg-document.js';

export interface BarSeries {
  readonly name: string;
  /** One value per group; undefined = not measured. */
  readonly values: readonly (number | undefined)[];
}

export interface BarChart {
  readonly title: string;
  /** Y axis label, with its unit. */
  readonly unit: string;
  readonly groups: readonly string[];
  readonly series: readonly BarSeries[];
  /** How a bar's value is printed on it. */
  readonly format: (value: number) => string;
}

const WIDTH_PX = 760;
const HEIGHT_PX = 420;
const PLOT = { left: 80, right: 20, top: 60, bottom: 70 } as const;
const GRID_LINES = 5;
const GROUP_GAP_FRACTION = 0.25;

/** A "nice" axis maximum at or above `value`: 1, 2 or 5 times a power of ten. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function renderBarChart(chart: BarChart): string {
  const plotWidth = WIDTH_PX - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT_PX - PLOT.top - PLOT.bottom;
  const all = chart.series.flatMap((series) => series.values).filter((v): v is number => v !== undefined);
  const max = niceCeiling(Math.max(0, ...all));
  const y = (value: number): number => PLOT.top + plotHeight - (value / max) * plotHeight;
  const body: string[] = [];
  for (let i = 0; i <= GRID_LINES; i++) {
    const value = (max / GRID_LINES) * i;
    body.push(
      `<line x1="${PLOT.left}" y1="${round(y(value))}" x2="${PLOT.left + plotWidth}" y2="${round(y(value))}" stroke="#dddddd"/>`,
      svgText(PLOT.left - 6, y(value) + 4, chart.format(value), 'end'),
    );
  }
  const groupWidth = plotWidth / Math.max(1, chart.groups.length);
  const barWidth = (groupWidth * (1 - GROUP_GAP_FRACTION)) / Math.max(1, chart.series.length);
  chart.groups.forEach((group, g) => {
    const groupLeft = PLOT.left + g * groupWidth + (groupWidth * GROUP_GAP_FRACTION) / 2;
    chart.series.forEach((series, s) => {
      const x = groupLeft + s * barWidth;
      const value = series.values[g];
      if (value === undefined) {
        body.push(svgText(x + barWidth / 2, y(0) - 4, 'n/a', 'middle', ' fill="#888888"'));
        return;
      }
      const color = SERIES_COLORS[s % SERIES_COLORS.length];
      body.push(
        `<rect x="${round(x)}" y="${round(y(value))}" width="${round(barWidth - 2)}" height="${round(y(0) - y(value))}" fill="${color}"/>`,
        svgText(x + barWidth / 2, y(value) - 4, chart.format(value), 'middle', ' font-size="10"'),
      );
    });
    body.push(svgText(groupLeft + (groupWidth * (1 - GROUP_GAP_FRACTION)) / 2, y(0) + 18, group));
  });
  body.push(
    `<line x1="${PLOT.left}" y1="${y(0)}" x2="${PLOT.left + plotWidth}" y2="${y(0)}" stroke="#333333"/>`,
    svgText(
      18,
      PLOT.top + plotHeight / 2,
      chart.unit,
      'middle',
      ` transform="rotate(-90 18 ${PLOT.top + plotHeight / 2})"`,
    ),
    ...svgLegend(
      PLOT.left,
      HEIGHT_PX - 18,
      chart.series.map((series) => series.name),
    ),
  );
  return svgDocument(WIDTH_PX, HEIGHT_PX, chart.title, body);
}
