// PNG copies of the SVG charts, for places that do not show SVG. Node has no rasteriser, so
// this uses rsvg-convert (librsvg) when it is installed, and otherwise says so: the report
// notes which charts have no PNG and how to get the tool, never silently leaving them out.
// (ImageMagick's `convert` is not used: it rasterises SVG through whatever delegate it was
// built with, and on some machines here it is only a stand-in.)
import { execFileSync } from 'node:child_process';

import { findExecutable } from '../lib/executable-path.js';

export const PNG_CONVERTER = 'rsvg-convert';
export const PNG_CONVERTER_INSTALL_HINT = 'apt-get install librsvg2-bin';
/** Twice the SVG's size, so text stays sharp on high-density screens. */
const PNG_ZOOM = 2;

export interface PngConversion {
  readonly converted: readonly string[];
  /** Set when no PNG was written, with the reason. */
  readonly skipped?: string;
}

/** Writes `<name>.png` beside each `<name>.svg`; `enabled` false skips (with the reason). */
export function convertToPng(svgFiles: readonly string[], enabled: boolean): PngConversion {
  if (!enabled) return { converted: [], skipped: 'PNG conversion turned off (--no-png)' };
  const converter = findExecutable(PNG_CONVERTER);
  if (converter === undefined) {
    return {
      converted: [],
      skipped: `${PNG_CONVERTER} not found, so no PNG copies; install it with \`${PNG_CONVERTER_INSTALL_HINT}\``,
    };
  }
  const converted: string[] = [];
  for (const svg of svgFiles) {
    const png = svg.replace(/\.svg$/, '.png');
    execFileSync(converter, ['--zoom', String(PNG_ZOOM), '--background-color', 'white', '-o', png, svg]);
    converted.push(png);
  }
  return { converted };
}
