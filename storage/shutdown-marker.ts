// The `abort` file exists while a store is open and is removed by a clean close, after
// everything is flushed. Finding it at open means the last run ended abnormally (crash,
// SIGKILL, power loss), and recovery must not trust anything above the checkpoint.
import path from 'node:path';

import { StoreError } from './store-error.js';
import type { StorageFileSystem } from './storage-file-system.js';

const MARKER_FILE_NAME = 'abort';

export const ShutdownMarker = {
  /** True when the previous run closed cleanly (or there was none). */
  wasClean(fileSystem: StorageFileSystem, directory: string): boolean {
    return !fileSystem.exists(path.join(directory, MARKER_FILE_NAME));
  },

  markRunning(fileSystem: StorageFileSystem, directory: string): void {
    try {
      const file = fileSystem.open(path.join(directory, MARKER_FILE_NAME), 'create');
      file.datasync();
      file.close();
      fileSystem.syncDirectory(directory);
    } catch (error) {
      throw StoreError.fromSystemError(error, 'creating the abort marker');
    }
  },

  markClean(fileSystem: StorageFileSystem, directory: string): void {
    try {
      fileSystem.remove(path.join(directory, MARKER_FILE_NAME));
      fileSystem.syncDirectory(directory);
    } catch (error) {
      throw StoreError.fromSystemError(error, 'removing the abort marker');
    }
  },
};
