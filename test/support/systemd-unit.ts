// Reads a systemd unit file ([Section] Key=Value lines) and splits an ExecStart line into argv
// the way systemd does for the forms deploy/ uses: whitespace-separated words, double or single
// quotes around a word, backslash escapes inside double quotes. Specifiers (%i) and variables
// ($X) are refused rather than guessed at.

export type SystemdUnit = ReadonlyMap<string, ReadonlyMap<string, string>>;

export function readSystemdUnit(source: string): SystemdUnit {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  source.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const section = /^\[(\w+)\]$/.exec(line);
    if (section !== null) {
      current = new Map();
      sections.set(section[1]!, current);
      return;
    }
    const entry = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (entry === null || current === undefined) throw new Error(`unit line ${i + 1}: cannot read ${line}`);
    current.set(entry[1]!, entry[2]!);
  });
  return sections;
}

export function splitSystemdCommand(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (char === ' ' || char === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (char === '"' || char === "'") {
      const end = line.indexOf(char, i + 1);
      if (end < 0) throw new Error(`unterminated quote in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end).replace(char === '"' ? /\\(.)/g : /(?!)/g, '$1');
      i = end;
    } else if (char === '%' || char === '$') {
      throw new Error(`specifiers and variables are not supported here: ${line}`);
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
