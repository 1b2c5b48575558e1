// A line chart of rate samples as inline SVG, drawn on the server: no script, works offline.
import { CHART_HEIGHT_PX, CHART_WIDTH_PX } from './console-constants.js';
import { html, rawHtml, type Html } from './html.js';

export interface ChartSeries {
  readonly label: string;
  /** A CSS class giving the line its colour (see console-layout.ts). */
  readonly className: string;
  readonly values: readonly number[];
}

const PADDING_PX = 4;

export function rateChart(title: string, unit: string, series: readonly ChartSeries[]): Html {
  const count = Math.max(...series.map((line) => line.values.length), 0);
  const peak = Math.max(...series.flatMap((line) => line.values), 0);
  const scale = peak > 0 ? peak : 1;
  const x = (index: number): number =>
    count <= 1 ? CHART_WIDTH_PX - PADDING_PX : PADDING_PX + (index * (CHART_WIDTH_PX - 2 * PADDING_PX)) / (count - 1);
  const y = (value: number): number =>
    CHART_HEIGHT_PX - PADDING_PX - (value / scale) * (CHART_HEIGHT_PX - 2 * PADDING_PX);
  const lines = series.map((line) => {
    let points = line.values.map((value, index) => `${x(index).toFixed(1)},${y(value).toFixed(1)}`).join(' ');
    // One sample (the broker just started): a level line across, so the rate is visible.
    if (line.values.length === 1) points = `${PADDING_PX},${y(line.values[0]!).toFixed(1)} ${points}`;
    return html`<polyline class="${line.className}" fill="none" stroke-width="2" points="${points}" />`;
  });
  const legend = series.map(
    (line) => html`<span class="legend ${line.className}">${line.label}: ${formatRate(line.values.at(-1) ?? 0)}</span>`,
  );
  return html`<figure class="chart">
    <figcaption>${title} (${unit}; peak ${formatRate(peak)}, ${count} samples) ${legend}</figcaption>
    <svg
      role="img"
      aria-label="${title}"
      viewBox="0 0 ${CHART_WIDTH_PX} ${CHART_HEIGHT_PX}"
      width="${CHART_WIDTH_PX}"
      height="${CHART_HEIGHT_PX}"
    >
      ${rawHtml(`<rect class="frame" x="0" y="0" width="${CHART_WIDTH_PX}" height="${CHART_HEIGHT_PX}"/>`)}${lines}
    </svg>
  </figure>`;
}

export function formatRate(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(2);
}
