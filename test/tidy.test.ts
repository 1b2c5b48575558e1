// Style rules checked by a test (ARCHITECTURE.md §1 and the style anchors' checkable practices): import
// directions between layers, file names, exports named after their file, banned names and APIs,
// line length and function length. Each failure lists every offender as path:line, so a fix
// never needs a second run to find the next one.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

// dist/test/tidy.test.js -> the repository root, where the sources are.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The product layers; the rules below apply to those that exist. */
const LAYERS = ['protocol', 'storage', 'server', 'namesrv', 'broker', 'client', 'bench', 'cli'].filter((layer) =>
  fs.existsSync(path.join(ROOT, layer)),
);
/** Everything compiled from TypeScript sources, for the rules that apply everywhere. */
const TREES = [...LAYERS, 'test', 'native-bench'].filter((tree) => fs.existsSync(path.join(ROOT, tree)));

const LINE_COLUMNS_MAX = 120;
/** Above this a function fails the test (TigerBeetle's limit): split it by concept. */
const FUNCTION_LINES_MAX = 70;
const BANNED_FILE_STEMS = ['utils', 'util', 'helpers', 'helper', 'misc', 'common'];

interface SourceFile {
  /** Repository-relative, '/'-separated. */
  readonly path: string;
  readonly text: string;
  /** The text with comments blanked out (strings kept), same line structure. */
  readonly code: string;
}

function walk(relative: string, files: string[]): string[] {
  for (const entry of fs.readdirSync(path.join(ROOT, relative), { withFileTypes: true })) {
    const child = `${relative}/${entry.name}`;
    if (entry.isDirectory()) walk(child, files);
    else if (entry.isFile()) files.push(child);
  }
  return files;
}

/**
 * Blanks `//` and block comments (keeping newlines), leaving strings alone; rough but enough for
 * grepping code. A string or template literal is assumed to end at its closing quote or, for
 * quotes, at the end of the line (so a quote inside a regular expression costs one line at most).
 */
function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    const next = text[i + 1];
    if (char === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (char === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (char === "'" || char === '"' || char === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== char && (char === '`' || text[j] !== '\n')) j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += char;
      i++;
    }
  }
  return out;
}

function load(relative: string): SourceFile {
  const text = fs.readFileSync(path.join(ROOT, relative), 'utf8');
  return { path: relative, text, code: /\.(ts|cc|h)$/.test(relative) ? stripComments(text) : text };
}

const layerFiles = LAYERS.flatMap((layer) => walk(layer, [])).map(load);
const treeFiles = TREES.flatMap((tree) => walk(tree, []));
const typeScript = (file: { path: string }): boolean => file.path.endsWith('.ts') && !file.path.endsWith('.d.ts');
const allTypeScript = treeFiles.filter((file) => typeScript({ path: file })).map(load);

/** 1-based line of character `index` in `text`. */
function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function expectNone(offenders: string[], rule: string): void {
  if (offenders.length > 0) assert.fail(`${offenders.length} ${rule}:\n    ${offenders.join('\n    ')}`);
}

// ---- imports ---------------------------------------------------------------------------------

/** The area a repository path belongs to, for the import rules. */
function areaOf(relative: string): string {
  const [top, second] = relative.split('/');
  if (top === 'client' && second === 'remoting') return 'client/remoting';
  return top ?? '';
}

/** Which areas each area may import (itself always included). */
const ALLOWED_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  // Formats and the wire protocol: shared by every party, so they depend on none of them.
  protocol: ['protocol'],
  storage: ['storage', 'protocol'],
  // The remoting server transport, shared by the broker and the name server.
  server: ['server', 'protocol'],
  namesrv: ['namesrv', 'server', 'protocol'],
  broker: ['broker', 'storage', 'server', 'protocol', 'client/remoting'],
  client: ['client', 'client/remoting', 'protocol'],
  // The client's transport; the broker uses it to reach name servers, so it must not drag the rest of client/ along.
  'client/remoting': ['client/remoting', 'protocol'],
  // Benchmark machinery shared by `tributary bench` and native-bench/: it drives the products
  // through their entry points, as a user would.
  bench: ['bench', 'storage', 'broker', 'namesrv', 'client'],
  cli: ['cli', 'bench', 'broker', 'namesrv', 'server', 'client', 'client/remoting', 'protocol', 'storage'],
  test: [
    'test',
    'bench',
    'storage',
    'broker',
    'namesrv',
    'server',
    'client',
    'client/remoting',
    'protocol',
    'examples',
  ],
  'native-bench': [
    'native-bench',
    'bench',
    'storage',
    'broker',
    'namesrv',
    'server',
    'client',
    'client/remoting',
    'protocol',
  ],
};
/** Layers that may use npm packages; storage uses only node: builtins and its own addon. */
const NPM_ALLOWED = new Set([
  'protocol',
  'server',
  'namesrv',
  'broker',
  'client',
  'client/remoting',
  'bench',
  'cli',
  'test',
  'native-bench',
]);
/** The one file that loads the native addon. */
const NATIVE_BINDING_FILE = 'storage/native-binding.ts';

const IMPORT_PATTERNS = [
  /\bfrom\s*(['"])([^'"\n]+)\1/g,
  /(?:^|[^\w$.])import\s*(['"])([^'"\n]+)\1/g,
  /(?:^|[^\w$.])import\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g,
  /(?:^|[^\w$.])require\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g,
];

function importsOf(file: SourceFile): { specifier: string; line: number }[] {
  const found: { specifier: string; line: number; at: number }[] = [];
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of file.code.matchAll(pattern)) {
      const at = match.index! + match[0].lastIndexOf(match[2]!);
      found.push({ specifier: match[2]!, at, line: lineOf(file.code, at) });
    }
  }
  return found.sort((a, b) => a.at - b.at);
}

function importViolation(file: SourceFile, specifier: string): string | undefined {
  const from = areaOf(file.path);
  if (specifier.startsWith('node:')) return undefined;
  if (specifier.endsWith('.node')) {
    return file.path === NATIVE_BINDING_FILE ? undefined : `loads a native addon; only ${NATIVE_BINDING_FILE} may`;
  }
  if (!specifier.startsWith('.')) {
    return NPM_ALLOWED.has(from) ? undefined : `imports package '${specifier}'; ${from}/ uses only node: builtins`;
  }
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), specifier));
  if (target.startsWith('..')) return `imports '${specifier}' from outside the repository`;
  const to = areaOf(target);
  const allowed = ALLOWED_IMPORTS[from] ?? [];
  return allowed.includes(to) ? undefined : `${from} imports ${to} ('${specifier}')`;
}

test('tidy: imports point one way (see ARCHITECTURE.md: protocol ← storage, server ← namesrv, broker; client → protocol)', () => {
  const offenders: string[] = [];
  for (const file of allTypeScript) {
    for (const { specifier, line } of importsOf(file)) {
      const violation = importViolation(file, specifier);
      if (violation !== undefined) offenders.push(`${file.path}:${line}: ${violation}`);
    }
  }
  expectNone(offenders, 'import direction violations');
});

test('tidy: nothing imports cli/, test/ or native-bench/ from outside them', () => {
  const offenders: string[] = [];
  for (const file of allTypeScript) {
    const from = areaOf(file.path);
    for (const { specifier, line } of importsOf(file)) {
      if (!specifier.startsWith('.')) continue;
      const to = areaOf(path.posix.normalize(path.posix.join(path.posix.dirname(file.path), specifier)));
      if (['cli', 'test', 'native-bench'].includes(to) && to !== from)
        offenders.push(`${file.path}:${line}: imports ${to}/`);
    }
  }
  expectNone(offenders, 'imports of cli/, test/ or native-bench/');
});

/**
 * The entry points benchmark code may import products through (ARCHITECTURE.md §1). Each
 * protocol/ module stands alone (it imports nothing of the project), so each is its own entry.
 */
const ENTRY_POINTS = new Set([
  'storage/index.ts',
  'broker/index.ts',
  'client/index.ts',
  'namesrv/index.ts',
  'server/index.ts',
]);
const PRODUCT_AREAS = new Set(['protocol', 'storage', 'server', 'namesrv', 'broker', 'client', 'client/remoting']);

/**
 * bench/, native-bench/ and the CLI: they drive the products as a user would, through their
 * entry points (the CLI also through server/index.ts, as it assembles servers).
 */
function drivesProductsAsAUser(relative: string): boolean {
  return /^(bench|native-bench|cli)\//.test(relative);
}

function entryPointViolation(file: SourceFile, specifier: string): string | undefined {
  if (!drivesProductsAsAUser(file.path) || !specifier.startsWith('.')) return undefined;
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), specifier));
  if (!PRODUCT_AREAS.has(areaOf(target)) || areaOf(target) === 'protocol') return undefined;
  if (ENTRY_POINTS.has(target.replace(/\.js$/, '.ts'))) return undefined;
  return `reaches past the entry points into '${specifier}'`;
}

test('tidy: benchmarks and the CLI import products only through their entry points (index.ts)', () => {
  const offenders: string[] = [];
  for (const file of allTypeScript) {
    for (const { specifier, line } of importsOf(file)) {
      const violation = entryPointViolation(file, specifier);
      if (violation !== undefined) offenders.push(`${file.path}:${line}: ${violation}`);
    }
  }
  expectNone(offenders, 'benchmark imports past an entry point');
});

test('tidy: the entry point rule catches violations (canary)', () => {
  const file = (filePath: string): SourceFile => ({ path: filePath, text: '', code: '' });
  assert.match(entryPointViolation(file('native-bench/x.ts'), '../broker/broker-constants.js') ?? '', /entry points/);
  assert.match(entryPointViolation(file('bench/x.ts'), '../server/remoting-server.js') ?? '', /entry points/);
  assert.equal(entryPointViolation(file('native-bench/x.ts'), '../protocol/compressed-body-check.js'), undefined);
  assert.match(entryPointViolation(file('cli/bench/x.ts'), '../../storage/commit-log.js') ?? '', /entry points/);
  assert.match(entryPointViolation(file('cli/commands/bench-x-command.ts'), '../../client/admin.js') ?? '', /entry/);
  assert.equal(entryPointViolation(file('native-bench/x.ts'), '../storage/index.js'), undefined);
  assert.equal(entryPointViolation(file('bench/x.ts'), './bench-meter.js'), undefined);
  assert.match(
    entryPointViolation(file('cli/commands/topic-command.ts'), '../../client/admin/admin.js') ?? '',
    /entry/,
  );
  assert.equal(entryPointViolation(file('cli/commands/topic-command.ts'), '../../client/index.js'), undefined);
  assert.equal(entryPointViolation(file('cli/flags/x.ts'), '../../server/index.js'), undefined);
});

/** Relative imports as a graph of repository paths (a `.js` specifier names its `.ts` source). */
function importGraph(files: readonly SourceFile[]): Map<string, string[]> {
  const known = new Set(files.map((file) => file.path));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets: string[] = [];
    for (const { specifier } of importsOf(file)) {
      if (!specifier.startsWith('.')) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), specifier));
      const source = target.replace(/\.js$/, '.ts');
      if (known.has(source)) targets.push(source);
    }
    graph.set(file.path, targets);
  }
  return graph;
}

/** Every import cycle, each once, as the files around it (depth-first search with colours). */
function importCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push(stack.slice(stack.indexOf(next)));
      else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (state.get(node) === undefined) visit(node);
  return cycles;
}

test('tidy: no import cycle anywhere (type-only imports included)', () => {
  const cycles = importCycles(importGraph(allTypeScript));
  expectNone(
    cycles.map((cycle) => [...cycle, cycle[0]].join(' → ')),
    'import cycles',
  );
});

test('tidy: the cycle check finds a planted cycle (canary)', () => {
  // Built from parts, so the direction check above does not read them as this file's imports.
  const planted = (filePath: string, specifier: string): SourceFile => {
    const code = `import { x } ${'from'} '${specifier}';`;
    return { path: filePath, text: code, code };
  };
  const graph = importGraph([
    planted('broker/a.ts', './b.js'),
    planted('broker/b.ts', './sub/c.js'),
    planted('broker/sub/c.ts', '../a.js'),
    planted('broker/d.ts', './a.js'),
  ]);
  assert.deepEqual(importCycles(graph), [['broker/a.ts', 'broker/b.ts', 'broker/sub/c.ts']]);
});

/** The files of broker/ that may append to the store (ARCHITECTURE.md, "The one writer"). */
const STORE_WRITERS = new Set(['broker/delivery/message-writer.ts', 'broker/state/log-backed-state-machine.ts']);

test('tidy: in broker/, only the message writer and the state machine mechanism append to the store', () => {
  const offenders: string[] = [];
  for (const file of allTypeScript) {
    if (!file.path.startsWith('broker/') || STORE_WRITERS.has(file.path)) continue;
    for (const match of file.code.matchAll(/\.append(?:Batch)?\(/g))
      offenders.push(`${file.path}:${lineOf(file.code, match.index!)}`);
  }
  expectNone(offenders, 'store appends outside the one writer');
});

test('tidy: the import rules catch violations (canary)', () => {
  const file = (filePath: string): SourceFile => ({ path: filePath, text: '', code: '' });
  assert.match(importViolation(file('storage/x.ts'), '../broker/index.js') ?? '', /storage imports broker/);
  assert.match(importViolation(file('storage/x.ts'), 'msgpackr') ?? '', /package 'msgpackr'/);
  assert.match(importViolation(file('storage/x.ts'), 'fs') ?? '', /package 'fs'/);
  assert.match(importViolation(file('broker/x.ts'), '../client/producer.js') ?? '', /broker imports client/);
  assert.match(importViolation(file('client/x.ts'), '../storage/index.js') ?? '', /client imports storage/);
  assert.match(importViolation(file('client/remoting/x.ts'), '../producer.js') ?? '', /remoting imports client/);
  assert.match(importViolation(file('broker/x.ts'), '../cli/main.js') ?? '', /broker imports cli/);
  assert.match(importViolation(file('storage/x.ts'), '../test/support/seeded-random.js') ?? '', /imports test/);
  assert.match(importViolation(file('broker/x.ts'), '../build/Release/tributary_native.node') ?? '', /native addon/);
  assert.equal(importViolation(file('broker/x.ts'), '../client/remoting/remoting-client.js'), undefined);
  assert.match(importViolation(file('protocol/x.ts'), '../storage/index.js') ?? '', /protocol imports storage/);
  assert.match(importViolation(file('protocol/x.ts'), '../client/index.js') ?? '', /protocol imports client/);
  assert.match(importViolation(file('namesrv/x.ts'), '../broker/broker-constants.js') ?? '', /namesrv imports broker/);
  assert.match(importViolation(file('server/x.ts'), '../broker/broker.js') ?? '', /server imports broker/);
  assert.match(importViolation(file('broker/x.ts'), '../namesrv/name-server.js') ?? '', /broker imports namesrv/);
  assert.match(importViolation(file('client/x.ts'), '../server/remoting-server.js') ?? '', /client imports server/);
  assert.equal(importViolation(file('storage/x.ts'), '../protocol/java-string-hash.js'), undefined);
  assert.equal(importViolation(file('client/x.ts'), '../protocol/request-code.js'), undefined);
  assert.equal(importViolation(file('cli/x.ts'), '../client/producer.js'), undefined);
  assert.equal(importViolation(file('storage/x.ts'), 'node:fs'), undefined);
  assert.equal(importViolation(file(NATIVE_BINDING_FILE), '../../build/Release/tributary_native.node'), undefined);
  const sample = {
    path: 'storage/x.ts',
    text: '',
    code: stripComments(
      "import a from './a.js';\n// import b from '../broker/b.js';\nexport * from \"./c.js\";\nimport('./d.js');\n",
    ),
  };
  assert.deepEqual(
    importsOf(sample).map((found) => `${found.line}:${found.specifier}`),
    ['1:./a.js', '3:./c.js', '4:./d.js'],
  );
});

// ---- names -----------------------------------------------------------------------------------

const KEBAB_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)*$/;

test('tidy: file and directory names are kebab-case (storage, broker, client, cli)', () => {
  const offenders = new Set<string>();
  for (const file of layerFiles) {
    const parts = file.path.split('/');
    parts.forEach((part, i) => {
      if (!KEBAB_NAME.test(part)) offenders.add(parts.slice(0, i + 1).join('/'));
    });
  }
  expectNone([...offenders], 'names that are not kebab-case');
});

test('tidy: no grab-bag files named utils, helpers, misc or common', () => {
  const offenders = treeFiles.filter((file) =>
    file.split('/').some((part) => BANNED_FILE_STEMS.includes(part.split('.')[0]!.toLowerCase())),
  );
  expectNone(offenders, `files or directories named ${BANNED_FILE_STEMS.join('/')}`);
});

/** The names a file's main export may have: kebab-case stem in camelCase, PascalCase or SCREAMING_SNAKE_CASE. */
function namesFor(filePath: string): string[] {
  const stem = path.posix.basename(filePath).replace(/\..*$/, '');
  const words = stem.split('-');
  const pascal = words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
  return [pascal[0]!.toLowerCase() + pascal.slice(1), pascal, words.join('_').toUpperCase()];
}

/** Words that name a kind of module, not its concept. */
const GENERIC_WORDS = new Set(['codec', 'constants']);
const WORD_LENGTH_MIN = 4;

/**
 * The concept words of a file name, singular: `message-properties-codec` gives message,
 * propertie(s). A format module (`remoting-frame.ts` exporting encodeFrame, FrameDecoder) or a
 * table of names (`header-fields.ts` exporting SEND_MESSAGE_V2_FIELD) passes when one of its
 * exports carries one of them.
 */
function conceptWords(filePath: string): string[] {
  const stem = path.posix.basename(filePath).replace(/\..*$/, '');
  return stem
    .split('-')
    .filter((word) => word.length >= WORD_LENGTH_MIN && !GENERIC_WORDS.has(word))
    .map((word) => word.replace(/s$/, ''));
}

function exportedNames(code: string): Set<string> {
  const names = new Set<string>();
  const declaration =
    /\bexport\s+(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(?:async\s+)?(?:class|function\*?|const|let|var|interface|type|enum|namespace)\s+([A-Za-z_$][\w$]*)/g;
  for (const match of code.matchAll(declaration)) names.add(match[1]!);
  for (const match of code.matchAll(/\bexport\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const item of match[1]!.split(',')) {
      const name = item
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .at(-1)!
        .trim();
      if (name !== '') names.add(name);
    }
  }
  return names;
}

/** Entry scripts run by a command; they export nothing. */
const ENTRY_SCRIPTS = new Set(['cli/main.ts']);

function isNamedAfterFile(filePath: string, exported: Set<string>): boolean {
  if (namesFor(filePath).some((name) => exported.has(name))) return true;
  if (filePath.endsWith('-constants.ts'))
    return exported.size > 0 && [...exported].every((name) => /^[A-Z][A-Z0-9_]*$/.test(name));
  const words = conceptWords(filePath);
  return [...exported].some((name) => words.some((word) => name.toLowerCase().includes(word)));
}

test('tidy: each non-index module exports something named after its file or its concept', () => {
  const offenders: string[] = [];
  for (const file of layerFiles.filter(typeScript)) {
    if (path.posix.basename(file.path) === 'index.ts' || ENTRY_SCRIPTS.has(file.path)) continue;
    const exported = exportedNames(file.code);
    if (!isNamedAfterFile(file.path, exported)) {
      const shown = [...exported].slice(0, 6).join(', ') || 'nothing';
      offenders.push(`${file.path}:1: exports none of ${namesFor(file.path).join(' / ')} (exports ${shown})`);
    }
  }
  expectNone(offenders, 'modules without an export named after the file');
});

// ---- banned APIs and markers ----------------------------------------------------------------

/** path:line for each match of `pattern` in the code (comments blanked) of `files`. */
function codeMatches(files: readonly SourceFile[], pattern: RegExp): string[] {
  const offenders: string[] = [];
  for (const file of files) {
    for (const match of file.code.matchAll(pattern)) offenders.push(`${file.path}:${lineOf(file.code, match.index!)}`);
  }
  return offenders;
}

test('tidy: comments cite ARCHITECTURE.md, never a document outside the repository', () => {
  const outside = new RegExp(['DESIGN' + ' §', 'shared/' + 'reference', '\\breference/' + 'rocketmq'].join('|'));
  const offenders = allTypeScript.flatMap((file) =>
    file.text
      .split('\n')
      .map((line, i) => (outside.test(line) ? `${file.path}:${i + 1}` : undefined))
      .filter((found): found is string => found !== undefined),
  );
  expectNone(offenders, 'citations of documents outside the repository');
});

test('tidy: unseeded randomness is banned outside test/support (use seededRandom)', () => {
  const outsideSupport = allTypeScript.filter((file) => !file.path.startsWith('test/support/'));
  // Spelled in two pieces so this file does not match itself.
  const pattern = new RegExp(`\\bMath\\s*\\.\\s*${'random'}\\b`, 'g');
  expectNone(codeMatches(outsideSupport, pattern), 'unseeded randomness');
});

test('tidy: every dependency is pinned to one exact version (no ranges in package.json)', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const offenders: string[] = [];
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    const specs = (manifest[field] ?? {}) as Record<string, string>;
    for (const [name, spec] of Object.entries(specs))
      if (!/^\d+\.\d+\.\d+$/.test(spec)) offenders.push(`package.json ${field}.${name}: ${spec}`);
  }
  expectNone(offenders, 'unpinned dependencies');
});

test('tidy: storage/ never logs to the console (errors are returned or thrown)', () => {
  const storage = layerFiles.filter((file) => file.path.startsWith('storage/') && typeScript(file));
  expectNone(
    codeMatches(storage, /\bconsole\s*\.\s*(log|info|debug|warn|error|trace)\b/g),
    'console output in storage/',
  );
});

test('tidy: no leftover markers (FIX' + 'ME, TO' + 'DO) in storage, broker, client, cli', () => {
  const offenders: string[] = [];
  const marker = new RegExp(`\\b(${'FIX'}ME|${'TO'}DO)\\b`);
  for (const file of layerFiles) {
    file.text.split('\n').forEach((line, i) => {
      if (marker.test(line)) offenders.push(`${file.path}:${i + 1}: ${line.trim()}`);
    });
  }
  expectNone(offenders, 'leftover markers');
});

test(`tidy: no line in storage/ is longer than ${LINE_COLUMNS_MAX} columns`, () => {
  const offenders: string[] = [];
  for (const file of layerFiles.filter((candidate) => candidate.path.startsWith('storage/'))) {
    file.text.split('\n').forEach((line, i) => {
      if (line.length > LINE_COLUMNS_MAX) offenders.push(`${file.path}:${i + 1} (${line.length} columns)`);
    });
  }
  expectNone(offenders, `lines over ${LINE_COLUMNS_MAX} columns`);
});

// ---- function length -------------------------------------------------------------------------

const CONTROL_KEYWORD = /^(if|else|for|while|do|switch|case|default|try|catch|finally|return|throw|with)\b/;

function indentationOf(line: string): number {
  return line.length - line.trimStart().length;
}

/**
 * Functions (and methods, constructors, arrow bodies, C++ functions) with their line counts,
 * found roughly: a header is a line ending in `{` after a closing parenthesis (plus an optional
 * return type) or `=>`, or a parameter list opened on one line and closed by `) ... {` at the
 * same indentation; its body ends at the first later line of the same indentation that starts
 * with `}`. Control statements, classes and object literals never match.
 */
function functionsOf(file: SourceFile): { name: string; line: number; lines: number }[] {
  const lines = file.code.split('\n');
  const found: { name: string; line: number; lines: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trimEnd();
    const trimmed = line.trim();
    if (trimmed.startsWith('}') || trimmed.startsWith(')') || CONTROL_KEYWORD.test(trimmed)) continue;
    const indentation = indentationOf(line);
    let headerEnd = -1;
    if (/(\)\s*(:[^{};=]+)?|=>\s*)\{$/.test(trimmed)) {
      headerEnd = i;
    } else if (/[\w$>]\s*\($/.test(trimmed)) {
      for (let j = i + 1; j < lines.length; j++) {
        const candidate = lines[j]!.trimEnd();
        if (candidate.trim() === '' || indentationOf(candidate) > indentation) continue;
        if (indentationOf(candidate) === indentation && /^\)/.test(candidate.trim()) && candidate.endsWith('{'))
          headerEnd = j;
        break;
      }
    }
    if (headerEnd < 0) continue;
    for (let j = headerEnd + 1; j < lines.length; j++) {
      const candidate = lines[j]!;
      if (candidate.trim() !== '' && indentationOf(candidate) === indentation && candidate.trim().startsWith('}')) {
        const named =
          /([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?\(/.exec(trimmed) ??
          /([A-Za-z_$][\w$]*)\s*(<[^(]*>)?\s*\(/.exec(trimmed);
        found.push({ name: named?.[1] ?? '(anonymous)', line: i + 1, lines: j - i + 1 });
        break;
      }
      if (candidate.trim() !== '' && indentationOf(candidate) < indentation) break;
    }
  }
  return found;
}

test(`tidy: no function is longer than ${FUNCTION_LINES_MAX} lines`, () => {
  // Tests and benchmarks too: a long test hides which step it proves.
  const sources = [...allTypeScript, ...layerFiles.filter((file) => file.path.endsWith('.cc'))];
  const measured = sources.flatMap((file) => functionsOf(file).map((fn) => ({ ...fn, path: file.path })));
  expectNone(
    measured
      .filter((fn) => fn.lines > FUNCTION_LINES_MAX)
      .map((fn) => `${fn.path}:${fn.line} ${fn.name} (${fn.lines} lines)`),
    `functions over ${FUNCTION_LINES_MAX} lines`,
  );
});

test('tidy: the function length check measures what it should (canary)', () => {
  const body = (count: number): string => Array.from({ length: count }, (_, i) => `    step${i}();`).join('\n');
  const code = [
    'export function short(a: number): number {',
    '  if (a > 1) {',
    body(3),
    '  }',
    '  return a;',
    '}',
    'class Example {',
    '  private constructor(',
    '    readonly value: number,',
    '  ) {',
    body(2),
    '  }',
    '  method = (x: number): void => {',
    body(4),
    '  };',
    '}',
  ].join('\n');
  const found = functionsOf({ path: 'storage/example.ts', text: code, code });
  assert.deepEqual(
    found.map((fn) => `${fn.name}:${fn.line}:${fn.lines}`),
    ['short:1:8', 'constructor:10:6', 'method:16:6'],
  );
});

test.run();
