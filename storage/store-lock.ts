// One process per store directory. The `lock` file carries an flock held for the store's
// lifetime; the kernel drops it when the holder exits for any reason, SIGKILL included, so a
// crashed owner never leaves the directory stuck. The holder's pid is written for diagnostics.
import path from 'node:path';

import { StoreError } from './store-error.js';
import type { StorageFile, StorageFileSystem } from './storage-file-system.js';

const LOCK_FILE_NAME = 'lock';

export class StoreLock {
  private constructor(private readonly file: StorageFile) {}

  static acquire(fileSystem: StorageFileSystem, directory: string): StoreLock {
    const filePath = path.join(directory, LOCK_FILE_NAME);
    let file: StorageFile;
    try {
      file = fileSystem.open(filePath, 'openOrCreate');
    } catch (error) {
      throw StoreError.fromSystemError(error, `opening ${filePath}`);
    }
    try {
      file.lock();
    } catch (error) {
      const holder = readHolder(file);
      file.close();
      const code = (error as { code?: string }).code;
      if (code === 'EWOULDBLOCK' || code === 'EAGAIN') {
        throw new StoreError('STORE_LOCKED', `${directory} (held by pid ${holder || 'unknown'})`, {
          cause: error,
        });
      }
      throw StoreError.fromSystemError(error, `locking ${filePath}`);
    }
    try {
      file.truncate(0);
      file.write(Buffer.from(`${fileSystem.processId ?? process.pid}\n`), 0);
    } catch (error) {
      file.close();
      throw StoreError.fromSystemError(error, `writing ${filePath}`);
    }
    return new StoreLock(file);
  }

  release(): void {
    this.file.close();
  }
}

const HOLDER_PID_MAX_BYTES = 32;

function readHolder(file: StorageFile): string {
  const bytes = Buffer.alloc(HOLDER_PID_MAX_BYTES);
  return bytes.subarray(0, file.read(bytes, 0)).toString('utf8').trim();
}
