// Fresh directories for tests, removed afterwards (kept when KEEP_TEST_DIRS is set, for
// post-mortems).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function temporaryDirectory(label: string): { path: string; remove(): void } {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), `tributary-${label}-`));
  return {
    path: directory,
    remove: () => {
      if (process.env.KEEP_TEST_DIRS === undefined) fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
