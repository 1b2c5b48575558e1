// One process per store directory. The `lock` file carries an flock held for the store's
// lifetime; the kernel drops it when the holder exits for any reason, SIGKILL included, so a
// crashed owner never leaves the directory stuck. The holder's pid is written for diagnostics.
import fs from 'node:fs';
import path from 'node:path';

import { nativeBinding } from './native-binding.js';
import { StoreError } from './store-error.js';

const LOCK_FILE_NAME = 'lock';

export class StoreLock {
  private constructor(private readonly fd: number) {}

  static acquire(directory: string): StoreLock {
    const filePath = path.join(directory, LOCK_FILE_NAME);
    let fd: number;
    try {
      fd = fs.openSync(filePath, fs.constants.O_RDWR | fs.constants.O_CREAT);
    } catch (error) {
      throw StoreError.fromSystemError(error, `opening ${filePath}`);
    }
    try {
      nativeBinding.lockFile(fd);
    } catch (error) {
      const holder = fs.readFileSync(filePath, 'utf8').trim();
      fs.closeSync(fd);
      const code = (error as { code?: string }).code;
      if (code === 'EWOULDBLOCK' || code === 'EAGAIN') {
        throw new StoreError('STORE_LOCKED', `${directory} (held by pid ${holder || 'unknown'})`, {
          cause: error,
        });
      }
      throw StoreError.fromSystemError(error, `locking ${filePath}`);
    }
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, `${process.pid}\n`, 0);
    return new StoreLock(fd);
  }

  release(): void {
    fs.closeSync(this.fd);
  }
}
