// The frame every chart of the benchmark report shares: an SVG document with a white
// background, one font, and the series colours (one per system, the same in every chart, so
// Tributary is always the same colour). Plain SVG 1.1, no scripts or external references, so
// it renders on GitHub, in browsers and through rsvg-convert alike.

/** Colour-blind-safe (Okabe-Ito) colours, in series order. */
export const SERIES_COLORS: readonly string[] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];

export const FONT_FAMILY = 'DejaVu Sans, Helvetica, Arial, sans-serif';

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function svgDocument(width: number, height: number, title: string, body: readonly string[]): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="${FONT_FAMILY}" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** A text element; `anchor` is start, middle or end. */
export function svgText(x: number, y: number, text: string, anchor = 'middle', extra = ''): string {
  return `<text x="${round(x)}" y="${round(y)}" text-anchor="${anchor}"${extra}>${escapeXml(text)}</text>`;
}

/** Coordinates to 0.1 px: enough for a chart, and stable text for tests and diffs. */
export function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** A legend row of coloured squares and names, starting at (x, y). */
export function svgLegend(x: number, y: number, names: readonly string[]): string[] {
  const LEGEND_ENTRY_PX = 150;
  return names.flatMap((name, i) => [
    `<rect x="${x + i * LEGEND_ENTRY_PX}" y="${y - 10}" width="12" height="12" fill="${SERIES_COLORS[i % SERIES_COLORS.length]}"/>`,
    svgText(x + i * LEGEND_ENTRY_PX + 18, y, name, 'start'),
  ]);
}
