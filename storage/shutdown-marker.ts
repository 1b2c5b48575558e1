// The `abort` file exists while a store is open and is removed by a clean close, after
// everything is flushed. Finding it at open means the last run ended abnormally (crash,
// SIGKILL, power loss), and recovery must not trust anything above the checkpoint.
import fs from 'node:fs';
import path from 'node:path';

import { StoreError } from './store-error.js';
import { syncDirectory } from './sync-directory.js';

const MARKER_FILE_NAME = 'abort';

export const ShutdownMarker = {
  /** True when the previous run closed cleanly (or there was none). */
  wasClean(directory: string): boolean {
    return !fs.existsSync(path.join(directory, MARKER_FILE_NAME));
  },

  markRunning(directory: string): void {
    try {
      const fd = fs.openSync(path.join(directory, MARKER_FILE_NAME), 'w');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      syncDirectory(directory);
    } catch (error) {
      throw StoreError.fromSystemError(error, 'creating the abort marker');
    }
  },

  markClean(directory: string): void {
    try {
      fs.rmSync(path.join(directory, MARKER_FILE_NAME), { force: true });
      syncDirectory(directory);
    } catch (error) {
      throw StoreError.fromSystemError(error, 'removing the abort marker');
    }
  },
};
