// Runs a server command until SIGINT or SIGTERM, then closes it cleanly and lets the process
// exit 0. The handlers go in before the server starts: whoever reads the ready line may
// signal at once, and a signal during startup must still mean a clean close, not the default
// kill. A second signal while closing exits at once: the store recovers from a crash, and an
// operator pressing Ctrl-C twice means it.
import { EXIT_CODE_FAILURE } from './cli-constants.js';

/** `start` starts the servers, prints the ready line and returns how to close them. */
export async function serveUntilSignal(start: () => Promise<() => Promise<void>>): Promise<void> {
  let signalled: (signal: NodeJS.Signals) => void = () => undefined;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    signalled = resolve;
  });
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      console.error(`tributary: ${signal} again, exiting without closing cleanly`);
      process.exit(EXIT_CODE_FAILURE);
    }
    closing = true;
    signalled(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const close = await start();
    const signal = await stopRequested;
    console.error(`tributary: ${signal} received, shutting down`);
    await close();
    console.error('tributary: stopped cleanly');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
