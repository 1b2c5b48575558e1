// The client's copy of each namespace on disk, so a service starts with its last config when no
// broker is reachable. One JSON file per environment and namespace, written to a temporary file,
// fsynced and renamed over the old one: a crash leaves the old copy or the new, never a mix.
// File names encode the names (encodeURIComponent), so any namespace maps to one safe file.
import fs from 'node:fs';
import path from 'node:path';

import type { ConfigItem } from './config-item.js';

export interface CachedNamespace {
  readonly revision: number;
  readonly items: ConfigItem[];
  /** When the copy was written (ms since the epoch). */
  readonly savedAt: number;
}

let saveCounter = 0;

export class ConfigDiskCache {
  constructor(
    private readonly directory: string,
    private readonly env: string,
  ) {}

  async save(namespace: string, revision: number, items: readonly ConfigItem[]): Promise<void> {
    const file = this.file(namespace);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.${++saveCounter}.tmp`;
    const handle = await fs.promises.open(temporary, 'w');
    try {
      await handle.writeFile(JSON.stringify({ revision, items, savedAt: Date.now() }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temporary, file);
  }

  /** The saved copy, or undefined when there is none or it cannot be read. */
  load(namespace: string): CachedNamespace | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file(namespace), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const parsed = JSON.parse(text) as CachedNamespace;
      return typeof parsed.revision === 'number' && Array.isArray(parsed.items) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  private file(namespace: string): string {
    return path.join(this.directory, encodeURIComponent(this.env), `${encodeURIComponent(namespace)}.json`);
  }
}
