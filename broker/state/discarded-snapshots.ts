// A state machine snapshot its log cannot back is deleted at open (log-backed-state-machine.ts);
// each such discard is reported here, one JSON line per snapshot in <state>/discarded-snapshots.jsonl,
// so the broker can log it and the replication status can count it across restarts.
import fs from 'node:fs';
import path from 'node:path';

export const DISCARDED_SNAPSHOTS_FILE = 'discarded-snapshots.jsonl';

export interface DiscardedSnapshot {
  readonly at: string;
  /** The machine (its snapshot file's name). */
  readonly machine: string;
  /** The first state queue offset the snapshot claimed not to cover. */
  readonly snapshotNextOffset: number;
  /** The state queue's end in the log when it was discarded. */
  readonly queueEnd: number;
}

/** Deletes the snapshot file durably (the directory is synced), then appends the report line. */
export function discardSnapshot(snapshotPath: string, entry: DiscardedSnapshot): void {
  const directory = path.dirname(snapshotPath);
  fs.rmSync(snapshotPath, { force: true });
  const handle = fs.openSync(directory, 'r');
  try {
    fs.fsyncSync(handle);
  } finally {
    fs.closeSync(handle);
  }
  fs.appendFileSync(path.join(directory, DISCARDED_SNAPSHOTS_FILE), `${JSON.stringify(entry)}\n`);
}

/** Every discard reported in a state directory, oldest first. */
export function discardedSnapshots(stateDirectory: string): DiscardedSnapshot[] {
  const file = path.join(stateDirectory, DISCARDED_SNAPSHOTS_FILE);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as DiscardedSnapshot);
}
