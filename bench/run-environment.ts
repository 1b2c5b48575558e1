// What every benchmark run records about where it ran: the machine, the commit, and the
// versions of the packages it compared against, so a saved figure can be read later.
// `tributary bench` records the short form (environmentNow), the benchmark set the long one.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/bench/). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RunEnvironment {
  readonly node: string;
  readonly platform: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly loadAverage: readonly number[];
}

/** Where `tributary bench` ran, and how loaded the machine was when it ended. */
export function environmentNow(): RunEnvironment {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${os.release()} ${process.arch}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    loadAverage: os.loadavg().map((load) => Number(load.toFixed(2))),
  };
}

/** The machine: Node, OS, CPUs, memory. */
export function machine(): Record<string, unknown> {
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
  };
}

/** A git command's trimmed output in the repository, or undefined when git is unavailable. */
export function gitOutput(args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The installed version of a dependency, or undefined when it is not installed. */
export function installedVersion(name: string): string | undefined {
  try {
    const file = path.join(ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** Files git reports as changed, for a run taken from a dirty tree. */
export function dirtyFileCount(): number {
  return (gitOutput(['status', '--porcelain']) ?? '').split('\n').filter(Boolean).length;
}
