// The benchmark report renderer (native-bench/report.ts) on a fixture results file: it must
// write Markdown whose tables are well formed and put a durability mode beside every figure,
// and SVG charts that are well-formed XML with no NaN in them. No server is started: the
// fixture (test/fixtures/bench-report/peers-latest.json, trimmed from a real
// `npm run bench:peers` run, NATS's sync trial skipped as on Debian 12) stands in for a run.
// The renderer runs as a process because tests may not import native-bench/ (tidy.test.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import { temporaryDirectory } from '../support/temporary-directory.js';

// dist/test/unit/bench-report.test.js -> <root>/test/fixtures/ and <root>/dist/native-bench/.
const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/bench-report/peers-latest.json', import.meta.url));
const REPORT_SCRIPT = fileURLToPath(new URL('../../native-bench/report.js', import.meta.url));
const CHART_NAMES = ['throughput-by-size', 'latency-cdf', 'cpu-per-message'];

interface Rendered {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly markdown: string;
  readonly charts: Readonly<Record<string, string>>;
}

function render(withFixture: boolean): Rendered {
  const directory = temporaryDirectory('bench-report');
  try {
    const results = path.join(directory.path, 'results');
    fs.mkdirSync(results);
    if (withFixture) fs.copyFileSync(FIXTURE, path.join(results, 'peers-latest.json'));
    const out = path.join(directory.path, 'REPORT.md');
    const run = spawnSync(process.execPath, [REPORT_SCRIPT, '--results', results, '--out', out, '--no-png'], {
      encoding: 'utf8',
    });
    const charts: Record<string, string> = {};
    for (const name of CHART_NAMES) {
      const file = path.join(results, 'charts', `${name}.svg`);
      if (fs.existsSync(file)) charts[name] = fs.readFileSync(file, 'utf8');
    }
    const markdown = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
    return { status: run.status, stdout: run.stdout, stderr: run.stderr, markdown, charts };
  } finally {
    directory.remove();
  }
}

/** The cells of a Markdown table row (escaped pipes stay inside their cell). */
function cellsOf(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

/** Checks that tags open and close in order (a small XML well-formedness check, no parser needed). */
function assertWellFormedXml(xml: string, name: string): void {
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, '');
  const stack: string[] = [];
  for (const match of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)([^<>]*?)(\/?)>/g)) {
    const [, closing, tag, attributes, selfClosing] = match;
    assert.doesNotMatch(attributes!, /NaN|undefined|Infinity/, `${name}: bad attribute value in <${tag}${attributes}>`);
    if (selfClosing === '/') continue;
    if (closing === '/') assert.equal(stack.pop(), tag, `${name}: </${tag}> closes the wrong element`);
    else stack.push(tag!);
  }
  assert.deepEqual(stack, [], `${name}: unclosed elements`);
  assert.doesNotMatch(body.replace(/<[^>]*>/g, ''), /[<>]/, `${name}: stray angle bracket in text`);
}

test('bench-report: renders peers tables with a durability mode beside every figure (fixture, no servers)', () => {
  const rendered = render(true);
  assert.equal(rendered.status, 0, rendered.stderr);
  const markdown = rendered.markdown;
  assert.match(markdown, /^# Benchmark report/);
  assert.doesNotMatch(markdown, /NaN|undefined/);
  const lines = markdown.split('\n');
  const tables: string[][] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('|') || lines[i - 1]?.startsWith('|')) continue;
    let end = i;
    while (lines[end + 1]?.startsWith('|')) end++;
    tables.push(lines.slice(i, end + 1));
  }
  assert.ok(tables.length >= 2, 'a figures table and a goals table');
  for (const table of tables) {
    const width = cellsOf(table[0]!).length;
    assert.match(table[1]!, /^\|(---\|)+$/, 'the separator row follows the header');
    for (const row of table) assert.equal(cellsOf(row).length, width, `row has ${width} cells: ${row}`);
  }
  const figures = tables[0]!;
  const durabilityColumn = cellsOf(figures[0]!).indexOf('durability');
  assert.ok(durabilityColumn >= 0, 'the figures table has a durability column');
  for (const row of figures.slice(2)) {
    if (/msgs\/s/.test(row)) assert.notEqual(cellsOf(row)[durabilityColumn], '', `durability beside: ${row}`);
  }
  assert.match(markdown, /ASYNC_FLUSH/);
  assert.match(markdown, /appendfsync everysec/);
  assert.match(markdown, /\| skipped: nats-server/, 'a skipped peer shows as skipped, not as zero');
  assert.match(markdown, /\*\*(met|missed)\*\*/);
});

test('bench-report: writes well-formed SVG charts and says PNG copies were turned off', () => {
  const rendered = render(true);
  assert.equal(rendered.status, 0, rendered.stderr);
  for (const name of CHART_NAMES) {
    const svg = rendered.charts[name];
    assert.ok(svg !== undefined, `${name}.svg written`);
    assert.match(svg, /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assertWellFormedXml(svg, name);
    assert.match(rendered.markdown, new RegExp(`\\(results/charts/${name}\\.svg\\)`), `REPORT.md links ${name}`);
  }
  assert.match(rendered.charts['latency-cdf']!, /<path d="M/, 'the CDF draws at least one line');
  assert.match(rendered.markdown, /PNG copies: none \(PNG conversion turned off/);
});

test('bench-report: without any results it says what to run and writes nothing', () => {
  const rendered = render(false);
  assert.equal(rendered.status, 1);
  assert.match(rendered.stderr, /npm run bench:peers/);
  assert.equal(rendered.markdown, '');
});

test.run();
