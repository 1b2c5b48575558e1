// Runs uvu over the built tests and, once it ends, repeats what a reader of a truncated log
// needs: every failure's report and the slowest files. CI keeps only the tail of a long log,
// so a failure printed minutes earlier would otherwise be invisible there.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";

const TEST_PATTERN = "^((unit|integration|sim|fuzz)/.+|tidy)\\.test\\.js$";
const SLOWEST_FILES_SHOWN = 12;
const FAILURE_REPORT_MAX_LINES = 60;
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\x1b\[[0-9;]*m/g;
const FILE_HEADER = /^\S+\.test\.js$/;

interface FileTiming {
  name: string;
  startedMs: number;
  endedMs: number;
}

// uvu's package exports do not name its CLI, so it is reached by path from the package root
// (npm runs scripts there).
const uvuCli = join(process.cwd(), "node_modules", "uvu", "bin.js");
// A pattern argument narrows the run (`node dist/test/run-suite.js '^unit/yaml'`).
const pattern = process.argv[2] ?? TEST_PATTERN;
const child = spawn(process.execPath, [uvuCli, "dist/test", pattern], {
  stdio: ["ignore", "pipe", "inherit"],
  env: { FORCE_COLOR: process.stdout.isTTY ? "1" : "0", ...process.env },
});

const timings: FileTiming[] = [];
const failureReports: string[][] = [];
let currentReport: string[] | null = null;
let pending = "";
const decoder = new StringDecoder("utf8");

function noteLine(raw: string): void {
  const line = raw.replace(ANSI_ESCAPE, "");
  const now = performance.now();
  if (FILE_HEADER.test(line)) {
    const last = timings.at(-1);
    if (last) last.endedMs = now;
    timings.push({ name: line, startedMs: now, endedMs: now });
    currentReport = null;
    return;
  }
  if (line.startsWith("  Total:")) currentReport = null;
  if (line.includes(" FAIL ")) {
    currentReport = [`${timings.at(-1)?.name ?? "?"}:`];
    failureReports.push(currentReport);
  }
  if (currentReport && currentReport.length < FAILURE_REPORT_MAX_LINES) currentReport.push(line);
}

child.stdout.on("data", (chunk: Buffer) => {
  process.stdout.write(chunk);
  pending += decoder.write(chunk);
  const lines = pending.split("\n");
  pending = lines.pop() ?? "";
  for (const line of lines) noteLine(line);
});

child.on("close", (code, signal) => {
  if (pending) noteLine(pending);
  const last = timings.at(-1);
  if (last) last.endedMs = performance.now();
  printSlowest();
  printFailures();
  if (signal) console.log(`uvu ended on ${signal}`);
  process.exitCode = code ?? 1;
});

function printSlowest(): void {
  const slowest = [...timings].sort((a, b) => b.endedMs - b.startedMs - (a.endedMs - a.startedMs));
  console.log(`Slowest test files (of ${timings.length}):`);
  for (const t of slowest.slice(0, SLOWEST_FILES_SHOWN)) {
    console.log(`  ${((t.endedMs - t.startedMs) / 1000).toFixed(1).padStart(7)} s  ${t.name}`);
  }
}

function printFailures(): void {
  if (failureReports.length === 0) return;
  console.log(`\nFailures again (${failureReports.length}), as uvu reported them above:`);
  for (const report of failureReports) console.log(report.join("\n") + "\n");
}
