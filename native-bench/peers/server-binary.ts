// Finding a peer's server binary without installing anything. The benchmark never installs a
// peer: when a binary is missing it says how to install it and skips that peer. Debian puts
// nats-server in /usr/sbin, which is not on a non-root user's PATH, so the sbin directories are
// searched after PATH.
import fs from 'node:fs';
import path from 'node:path';

/** What to run when a peer is missing (Debian and Ubuntu package both servers). */
export const SERVER_INSTALL_HINT = 'apt-get install redis-server nats-server';

const SBIN_DIRECTORIES = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The absolute path of executable `name` on PATH (then the sbin directories), or undefined. */
export function findServerBinary(name: string): string | undefined {
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

/** The sentence printed when `name` is missing. */
export function missingServerMessage(name: string, peer: string): string {
  return `${name} not found on PATH or in ${SBIN_DIRECTORIES.join(', ')}: skipping ${peer}. Install it with \`${SERVER_INSTALL_HINT}\``;
}
