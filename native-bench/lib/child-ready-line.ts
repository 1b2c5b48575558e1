// A benchmark's child process says it is ready by printing one line (JSON with its addresses).
import type { ChildProcess } from 'node:child_process';

/** The child's first stdout line; rejects if the child exits before printing it. */
export function childReadyLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready`)));
  });
}
