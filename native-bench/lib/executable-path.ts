// Finding an installed program without running a shell: PATH, then the sbin directories.
// Debian puts some servers (nats-server) in /usr/sbin, which is not on a non-root user's PATH,
// so `which` alone would miss them.
import fs from 'node:fs';
import path from 'node:path';

export const SBIN_DIRECTORIES: readonly string[] = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The absolute path of executable `name`, or undefined when it is not installed. */
export function findExecutable(name: string): string | undefined {
  const directories = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SBIN_DIRECTORIES];
  for (const directory of directories) {
    const candidate = path.join(directory, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here; try the next directory.
    }
  }
  return undefined;
}
