// Starts bench-broker-child.js and waits for its ready line: the benches' broker, in its own
// process so its CPU and event loop are measured apart from the load generator's.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childReadyLine } from './child-ready-line.js';

export interface BenchBrokerProcess {
  readonly nameServer: string;
  /** The broker's 'host:port' (for clients that talk to one broker, such as LockClient). */
  readonly broker: string;
  /** The child's pid, to read its CPU time and memory from /proc. */
  readonly pid: number;
  /** Closes stdin (the child closes the broker cleanly) and waits for the exit. */
  stop(): Promise<void>;
}

export async function startBenchBroker(
  directory: string,
  flush: 'async' | 'sync' = 'async',
  options: { readonly segmentMiB?: number; readonly nodeFlags?: readonly string[] } = {},
): Promise<BenchBrokerProcess> {
  const script = fileURLToPath(new URL('../bench-broker-child.js', import.meta.url));
  const args = [...(options.nodeFlags ?? []), script, directory, flush];
  if (options.segmentMiB !== undefined) args.push(String(options.segmentMiB));
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await childReadyLine(child, 'broker child');
  return {
    ...(JSON.parse(line) as { nameServer: string; broker: string }),
    pid: child.pid!,
    stop: () => {
      child.stdin!.end();
      return exited;
    },
  };
}
