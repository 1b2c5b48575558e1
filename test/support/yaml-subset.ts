// A reader for the small YAML subset compose.yaml keeps to, as no YAML parser is a dependency:
// block mappings and block sequences by indentation (spaces only), plain scalars, single- and
// double-quoted scalars, an empty value as null, and whole-line comments. Anything else (flow
// collections, anchors, tags, multi-line scalars, comments after a value) is refused with the
// line number, so a compose.yaml edit that leaves the subset fails the test that reads it
// instead of being misread.

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

export class YamlSubsetError extends Error {
  override readonly name = 'YamlSubsetError';
}

interface Line {
  readonly number: number;
  readonly indent: number;
  readonly text: string;
}

const KEY_LINE = /^([A-Za-z0-9_.-]+):(?: +(.*))?$/;

export function parseYamlSubset(source: string): YamlValue {
  const lines: Line[] = [];
  source.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const indent = raw.length - raw.trimStart().length;
    if (raw.slice(0, indent).includes('\t')) throw new YamlSubsetError(`line ${i + 1}: tab in indentation`);
    lines.push({ number: i + 1, indent, text: raw.trimEnd().slice(indent) });
  });
  if (lines.length === 0) return null;
  const cursor = { at: 0 };
  const value = parseBlock(lines, cursor, lines[0]!.indent);
  if (cursor.at < lines.length) throw new YamlSubsetError(`line ${lines[cursor.at]!.number}: unexpected indentation`);
  return value;
}

const isItem = (line: Line): boolean => line.text === '-' || line.text.startsWith('- ');

function parseBlock(lines: readonly Line[], cursor: { at: number }, indent: number): YamlValue {
  return isItem(lines[cursor.at]!) ? parseSequence(lines, cursor, indent) : parseMapping(lines, cursor, indent);
}

function parseSequence(lines: readonly Line[], cursor: { at: number }, indent: number): YamlValue[] {
  const items: YamlValue[] = [];
  while (cursor.at < lines.length && lines[cursor.at]!.indent === indent && isItem(lines[cursor.at]!)) {
    const line = lines[cursor.at]!;
    const text = line.text.slice(1).trim();
    if (text === '' || KEY_LINE.test(text)) throw new YamlSubsetError(`line ${line.number}: only scalar items`);
    items.push(parseScalar(text, line.number));
    cursor.at++;
  }
  return items;
}

function parseMapping(lines: readonly Line[], cursor: { at: number }, indent: number): { [key: string]: YamlValue } {
  const mapping: { [key: string]: YamlValue } = {};
  while (cursor.at < lines.length && lines[cursor.at]!.indent === indent) {
    const line = lines[cursor.at]!;
    const match = KEY_LINE.exec(line.text);
    if (match === null) throw new YamlSubsetError(`line ${line.number}: not a 'key: value' line: ${line.text}`);
    const key = match[1]!;
    if (key in mapping) throw new YamlSubsetError(`line ${line.number}: duplicate key ${key}`);
    cursor.at++;
    const next = lines[cursor.at];
    if (match[2] !== undefined) mapping[key] = parseScalar(match[2], line.number);
    else if (next !== undefined && next.indent > indent) mapping[key] = parseBlock(lines, cursor, next.indent);
    else mapping[key] = null;
  }
  return mapping;
}

function parseScalar(text: string, lineNumber: number): YamlValue {
  if (text.startsWith('"')) return quoted(text, '"', lineNumber);
  if (text.startsWith("'")) return quoted(text, "'", lineNumber);
  if (/^[[{&*!|>%@`]/.test(text) || text.includes(': ') || text.includes(' #')) {
    throw new YamlSubsetError(`line ${lineNumber}: outside the subset (quote it): ${text}`);
  }
  if (/^-?\d+$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null' || text === '~') return null;
  return text;
}

function quoted(text: string, quote: '"' | "'", lineNumber: number): string {
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const char = text[i]!;
    if (quote === '"' && char === '\\') {
      const escaped = text[++i];
      if (escaped !== '"' && escaped !== '\\') throw new YamlSubsetError(`line ${lineNumber}: escape \\${escaped}`);
      value += escaped;
    } else if (char === quote && quote === "'" && text[i + 1] === "'") {
      value += "'";
      i++;
    } else if (char === quote) {
      if (i !== text.length - 1) throw new YamlSubsetError(`line ${lineNumber}: text after a quoted scalar`);
      return value;
    } else {
      value += char;
    }
  }
  throw new YamlSubsetError(`line ${lineNumber}: unterminated quoted scalar`);
}
