// Runs `node bin/tributary.js ...` to its end (killed past a deadline) and returns its exit
// code and output; for tests of CLI commands against live servers.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** dist/test/support/run-cli.js -> bin/tributary.js at the repository root. */
const CLI_SCRIPT = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
export const CLI_COMMAND_TIMEOUT_MS = 20_000;

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], options: { stdin?: string } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI_SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), CLI_COMMAND_TIMEOUT_MS);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Runs a command with --json that must succeed, and parses its one JSON line. */
export async function cliJson<T = Record<string, unknown>>(args: readonly string[]): Promise<T> {
  const run = await runCli([...args, '--json']);
  if (run.code !== 0) throw new Error(`tributary ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
