// Where a storage test keeps its store: a temporary directory on the real disk, or a directory
// on an in-memory SimulatedFileSystem (a perfect disk: no faults, no crashes). Storage suites
// register each test once per kind, so the engine is proven on both implementations of its
// StorageFileSystem. Tests that inspect or damage files do it through the volume, which goes
// to node:fs on disk and to the simulated file system's own file handles otherwise (so they see
// what the process sees: the page cache). Damage is done while the store is closed, as an
// operator or a failing disk would between runs.
import fs from 'node:fs';
import nodePath from 'node:path';

import { NodeFileSystem } from '../../storage/node-file-system.js';
import { SimulatedFileSystem } from '../../storage/simulated-file-system.js';
import type { StorageFile, StorageFileSystem } from '../../storage/storage-file-system.js';
import { seededRandom, type SeededRandom } from './seeded-random.js';
import { temporaryDirectory } from './temporary-directory.js';

export const VOLUME_KINDS = ['disk', 'simulated'] as const;
export type VolumeKind = (typeof VOLUME_KINDS)[number];

/** Paths are relative to the volume's directory; an absolute path inside it works too. */
export interface TestVolume {
  readonly kind: VolumeKind;
  /** The store directory to pass to MessageStore.open. */
  readonly path: string;
  readonly fileSystem: StorageFileSystem;
  /** Spread into MessageStore.open options so the store uses this volume's file system. */
  readonly storeOptions: { readonly fileSystem: StorageFileSystem };
  readFile(relativePath: string): Buffer;
  /** Creates or replaces a whole file. */
  writeFile(relativePath: string, bytes: Buffer): void;
  /** Overwrites bytes in place; the file must exist (it grows only if written past its end). */
  writeFileAt(relativePath: string, position: number, bytes: Buffer): void;
  /** Names in a directory, sorted; empty when it does not exist. */
  list(relativePath: string): string[];
  exists(relativePath: string): boolean;
  isDirectory(relativePath: string): boolean;
  size(relativePath: string): number;
  /** Deletes a file or a directory tree inside the volume. */
  delete(relativePath: string): void;
  /** Removes the whole volume (a disk one is kept when KEEP_TEST_DIRS is set). */
  remove(): void;
}

/**
 * A fresh volume of `kind`. `random` feeds the simulated file system; a perfect disk that never
 * crashes draws nothing from it, so without one a fixed seed keeps it deterministic anyway.
 */
export function testVolume(kind: VolumeKind, label: string, random?: SeededRandom): TestVolume {
  return kind === 'disk' ? diskVolume(label) : simulatedVolume(label, random);
}

function diskVolume(label: string): TestVolume {
  const directory = temporaryDirectory(label);
  const at = (relativePath: string): string => nodePath.resolve(directory.path, relativePath);
  return {
    kind: 'disk',
    path: directory.path,
    fileSystem: NodeFileSystem,
    storeOptions: { fileSystem: NodeFileSystem },
    readFile: (relativePath) => fs.readFileSync(at(relativePath)),
    writeFile: (relativePath, bytes) => fs.writeFileSync(at(relativePath), bytes),
    writeFileAt: (relativePath, position, bytes) => {
      const fd = fs.openSync(at(relativePath), 'r+');
      try {
        fs.writeSync(fd, bytes, 0, bytes.length, position);
      } finally {
        fs.closeSync(fd);
      }
    },
    list: (relativePath) => (fs.existsSync(at(relativePath)) ? fs.readdirSync(at(relativePath)).sort() : []),
    exists: (relativePath) => fs.existsSync(at(relativePath)),
    isDirectory: (relativePath) => fs.statSync(at(relativePath)).isDirectory(),
    size: (relativePath) => fs.statSync(at(relativePath)).size,
    delete: (relativePath) => fs.rmSync(at(relativePath), { recursive: true }),
    remove: directory.remove,
  };
}

/** Seed of the source a simulated volume draws from when the test gives none. */
const QUIET_SEED = 1;

function simulatedVolume(label: string, random: SeededRandom | undefined): TestVolume {
  const source = random ?? seededRandom(`volume ${label}`, QUIET_SEED, false);
  const fileSystem = new SimulatedFileSystem(() => source.next(), {});
  const directory = `/simulated/${label}`;
  const at = (relativePath: string): string => nodePath.resolve(directory, relativePath);
  /** Runs `work` on an open handle, closing it after. */
  const withFile = <T>(relativePath: string, mode: 'create' | 'open', work: (file: StorageFile) => T): T => {
    const file = fileSystem.open(at(relativePath), mode);
    try {
      return work(file);
    } finally {
      file.close();
    }
  };
  return {
    kind: 'simulated',
    path: directory,
    fileSystem,
    storeOptions: { fileSystem },
    readFile: (relativePath) =>
      withFile(relativePath, 'open', (file) => {
        const bytes = Buffer.alloc(file.size());
        file.read(bytes, 0);
        return bytes;
      }),
    writeFile: (relativePath, bytes) => withFile(relativePath, 'create', (file) => file.write(bytes, 0)),
    writeFileAt: (relativePath, position, bytes) =>
      withFile(relativePath, 'open', (file) => file.write(bytes, position)),
    list: (relativePath) => fileSystem.list(at(relativePath)).sort(),
    exists: (relativePath) => fileSystem.exists(at(relativePath)),
    isDirectory: (relativePath) => fileSystem.isDirectory(at(relativePath)),
    size: (relativePath) => fileSystem.size(at(relativePath)),
    delete: (relativePath) => {
      if (!fileSystem.exists(at(relativePath))) throw new Error(`no ${at(relativePath)} to delete`);
      fileSystem.remove(at(relativePath));
    },
    remove: () => fileSystem.remove(directory),
  };
}
