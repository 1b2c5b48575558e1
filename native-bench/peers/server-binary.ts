// Finding a peer's server binary without installing anything. The benchmark never installs a
// peer: when a binary is missing it says how to install it and skips that peer.
import { SBIN_DIRECTORIES, findExecutable } from '../lib/executable-path.js';

/** What to run when a peer is missing (Debian and Ubuntu package both servers). */
export const SERVER_INSTALL_HINT = 'apt-get install redis-server nats-server';

/** The absolute path of server `name`, or undefined. */
export function findServerBinary(name: string): string | undefined {
  return findExecutable(name);
}

/** The sentence printed when `name` is missing. */
export function missingServerMessage(name: string, peer: string): string {
  return (
    `${name} not found on PATH or in ${SBIN_DIRECTORIES.join(', ')}: skipping ${peer}. ` +
    `Install it with \`${SERVER_INSTALL_HINT}\``
  );
}
