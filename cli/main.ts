// The `tributary` command. Until the broker lands, `start` opens the embedded store in the
// data directory (recovering it if needed), reports what it holds, and keeps it open until
// SIGINT or SIGTERM, when it closes it cleanly.
import path from 'node:path';
import process from 'node:process';

import { MessageStore } from '../storage/index.js';

const DATA_DIRECTORY_DEFAULT = './data';

function dataDirectory(args: readonly string[]): string {
  const flag = args.indexOf('--data');
  const chosen = flag >= 0 ? args[flag + 1] : process.env.TRIBUTARY_DATA;
  return path.resolve(chosen ?? DATA_DIRECTORY_DEFAULT);
}

async function start(args: readonly string[]): Promise<void> {
  const directory = dataDirectory(args);
  const store = await MessageStore.open(path.join(directory, 'store'));
  const { recovery } = store;
  console.log(
    `tributary: store open at ${store.directory} (${recovery.clean ? 'clean' : 'crash'} recovery, ` +
      `log ${recovery.logEnd} bytes, ${recovery.elapsedMs.toFixed(1)} ms). ` +
      'The broker is not part of this build yet; press Ctrl-C to close the store.',
  );
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const stop = (): void => {
    clearInterval(keepAlive);
    store.close().then(
      () => console.log('tributary: store closed cleanly'),
      (error: unknown) => {
        console.error(`tributary: close failed: ${String(error)}`);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function main(args: readonly string[]): Promise<void> {
  const [command = 'start', ...rest] = args;
  if (command === 'start') return start(rest);
  console.error(`tributary: unknown command '${command}'. Commands: start`);
  process.exitCode = 2;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`tributary: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
