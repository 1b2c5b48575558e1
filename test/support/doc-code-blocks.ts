// The fenced code blocks of a Markdown page, with what the docs-examples runner needs to know
// about each: its language, the line it starts on, and whether the page opted it out of
// running (the comment `<!-- docs-examples: skip (reason) -->` on the line before the fence,
// reason required; docs/README.md, "The rule").
export interface DocCodeBlock {
  /** The page's path relative to the repository root. */
  readonly page: string;
  readonly language: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
  /** The stated reason, when the block is opted out. */
  readonly skipReason: string | undefined;
}

/** Languages whose blocks are code: each must run, or be opted out with a reason. */
export const RUNNABLE_LANGUAGES: ReadonlySet<string> = new Set(['js', 'ts', 'sh']);
/** Fence languages that are code but not run: a page must say sh (and opt out) instead. */
export const REFUSED_LANGUAGES: ReadonlySet<string> = new Set(['javascript', 'typescript', 'bash', 'shell', 'console']);

const FENCE = /^```(\S*)\s*$/;
const SKIP = /^<!-- docs-examples: skip(?: \((.+)\))? -->$/;

export function docCodeBlocks(page: string, text: string): DocCodeBlock[] {
  const lines = text.split('\n');
  const blocks: DocCodeBlock[] = [];
  for (let at = 0; at < lines.length; at++) {
    const open = FENCE.exec(lines[at]!);
    if (open === null) continue;
    const end = lines.findIndex((line, i) => i > at && line.startsWith('```'));
    if (end < 0) throw new Error(`${page}:${at + 1}: an unclosed code fence`);
    const previous = at > 0 ? SKIP.exec(lines[at - 1]!.trim()) : null;
    if (previous !== null && previous[1] === undefined)
      throw new Error(`${page}:${at}: a docs-examples skip without a reason in parentheses`);
    blocks.push({
      page,
      language: open[1]!,
      line: at + 1,
      code: lines.slice(at + 1, end).join('\n') + '\n',
      skipReason: previous?.[1],
    });
    at = end;
  }
  return blocks;
}

/**
 * A shell block's `tributary` commands as argument lists, or a reason it cannot be run: every
 * non-blank line must be one `tributary <client command>` (a trailing `# comment` allowed),
 * with arguments in plain words or single or double quotes.
 */
export function tributaryCommands(code: string): string[][] | string {
  const commands: string[][] = [];
  for (const raw of code.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (line === '') continue;
    const words = [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
    if (words[0] !== 'tributary') return `'${line}' is not a tributary command`;
    if (/[|<>;&`$]/.test(line.replace(/'[^']*'|"[^"]*"/g, ''))) return `'${line}' uses shell syntax`;
    if (runsUntilStopped(words.slice(1))) return `'${line}' runs until stopped`;
    commands.push(words.slice(1));
  }
  return commands.length > 0 ? commands : 'the block has no command';
}

/** Servers run until a signal, benchmarks for seconds unless given a --count: not for a docs example. */
function runsUntilStopped(args: readonly string[]): boolean {
  const [command, subcommand] = args;
  if (args.includes('--help')) return false;
  if (command === 'bench') return !args.includes('--count');
  if (command === 'start' || command === 'namesrv') return true;
  return command === 'broker' && subcommand !== 'status';
}

/** GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to dashes. */
export function headingAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The relative links of a page (outside code blocks): `[text](target)`, target without a scheme. */
export function relativeLinks(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/.test(target));
}
