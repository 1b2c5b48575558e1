// A GitHub-flavoured Markdown table. Cells are escaped (a `|` inside a cell would split it,
// a newline would end the row), and every row gets exactly as many cells as the header, so a
// table always renders as a table.
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const cell = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const line = (cells: readonly string[]): string => `| ${headers.map((_, i) => cell(cells[i] ?? '')).join(' | ')} |`;
  return [line(headers), `|${headers.map(() => '---').join('|')}|`, ...rows.map(line)];
}

export function formatCount(value: number | undefined): string {
  return value === undefined ? '-' : Math.round(value).toLocaleString('en-US');
}

export function formatMs(value: number | undefined): string {
  if (value === undefined) return '-';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export function formatRatio(value: number | undefined | null): string {
  return value === undefined || value === null ? '-' : `${value.toFixed(2)}x`;
}

export function goalMark(met: boolean | undefined): string {
  return met === undefined ? 'n/a' : met ? '**met**' : '**missed**';
}
