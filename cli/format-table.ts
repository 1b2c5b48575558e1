// Aligned columns for humans: numbers right-aligned (so digits line up), text left-aligned,
// two spaces between columns, no trailing spaces.
export type TableCell = string | number;

const COLUMN_GAP = '  ';

export function formatTable(headers: readonly string[], rows: readonly (readonly TableCell[])[]): string {
  const numeric = headers.map((_, column) => rows.length > 0 && rows.every((row) => typeof row[column] === 'number'));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => String(row[column] ?? '').length)),
  );
  const render = (cells: readonly TableCell[]): string =>
    headers
      .map((_, column) => {
        const text = String(cells[column] ?? '');
        return numeric[column] ? text.padStart(widths[column]!) : text.padEnd(widths[column]!);
      })
      .join(COLUMN_GAP)
      .trimEnd();
  return [render(headers), ...rows.map(render)].join('\n');
}
