// An ACL file kept current: read at start (a bad file stops the broker from starting), then
// checked for changes every reload interval and read again. A change that fails validation
// is reported and leaves the previous list in force, so a half-saved edit never opens or shuts
// the broker by accident. Polling (fs.watchFile) rather than fs.watch: it sees edits made by
// replacing the file (editors, config management, Kubernetes ConfigMap symlink swaps) alike.
import fs from 'node:fs';

import { readAclConfigFile, type AclConfig } from './acl-config.js';

export class AclConfigFile {
  private config: AclConfig;
  private readonly listener: (current: fs.Stats, previous: fs.Stats) => void;

  constructor(
    readonly file: string,
    reloadIntervalMs: number,
    onError: (error: unknown, context: string) => void,
  ) {
    this.config = readAclConfigFile(file);
    this.listener = (current, previous) => {
      if (current.mtimeMs === previous.mtimeMs && current.size === previous.size && current.ino === previous.ino)
        return;
      try {
        this.config = readAclConfigFile(file);
      } catch (error) {
        onError(error, 'reloading the ACL file (the previous list stays in force)');
      }
    };
    // Not persistent: an idle watcher must not keep the process alive.
    fs.watchFile(file, { interval: reloadIntervalMs, persistent: false }, this.listener);
  }

  get current(): AclConfig {
    return this.config;
  }

  close(): void {
    fs.unwatchFile(this.file, this.listener);
  }
}
