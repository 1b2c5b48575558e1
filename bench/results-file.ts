// Saving a benchmark run's results: one JSON document per run, named after the benchmark and
// the time it started, and optionally a copy under a fixed name that the report reads.
import fs from 'node:fs';
import path from 'node:path';

export interface ResultsFile {
  readonly directory: string;
  /** The file name's prefix: `<name>-<ISO timestamp>.json`. */
  readonly name: string;
  readonly startedAt?: Date;
  /** Also written under this name (e.g. `peers-latest.json`). */
  readonly latestName?: string;
}

/** Writes `document` (pretty JSON) and returns the path of the timestamped file. */
export function saveResultsFile(results: ResultsFile, document: unknown): string {
  fs.mkdirSync(results.directory, { recursive: true });
  const stamp = (results.startedAt ?? new Date()).toISOString().replace(/[:.]/g, '-');
  const file = path.join(results.directory, `${results.name}-${stamp}.json`);
  const text = `${JSON.stringify(document, null, 2)}\n`;
  fs.writeFileSync(file, text);
  if (results.latestName !== undefined) fs.writeFileSync(path.join(results.directory, results.latestName), text);
  return file;
}
