// A file's creation, rename or removal is durable only once its directory is fsynced; without
// this a power cut can lose a whole segment whose data was msynced.
import fs from 'node:fs';

export function syncDirectory(directory: string): void {
  const fd = fs.openSync(directory, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** syncDirectory off the event loop. */
export async function syncDirectoryAsync(directory: string): Promise<void> {
  const handle = await fs.promises.open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
