// A TCP proxy in its own process (children/tcp-proxy.ts) between a broker and what it reaches,
// which the test blackholes and heals: a network partition without network namespaces.
import { fileURLToPath } from 'node:url';

import { JsonLineChild } from './json-line-child.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./children/tcp-proxy.js', import.meta.url));
const PROXY_COMMAND_TIMEOUT_MS = 5000;

export interface TcpProxy {
  /** '127.0.0.1:port' to connect to instead of the target. */
  readonly address: string;
  /** Drops everything both ways from now on; connections stay open and silent. */
  block(): Promise<void>;
  /** Closes the blackholed connections and forwards again. */
  heal(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const child = JsonLineChild.spawn(CHILD_SCRIPT, [target], { label: `tcp proxy to ${target}` });
  const port = await child.waitFor('the proxy listening', PROXY_COMMAND_TIMEOUT_MS, (lines) =>
    lines.map((line) => line.port).find((value) => typeof value === 'number'),
  );
  const command = async (word: 'block' | 'heal'): Promise<void> => {
    const before = child.lines.length;
    child.send(word);
    await child.waitFor(`the proxy to ${word}`, PROXY_COMMAND_TIMEOUT_MS, (lines) =>
      lines.slice(before).some((line) => line.done === word) ? true : undefined,
    );
  };
  return {
    address: `127.0.0.1:${port}`,
    block: () => command('block'),
    heal: () => command('heal'),
    stop: async () => {
      await child.terminate('SIGTERM', PROXY_COMMAND_TIMEOUT_MS);
    },
  };
}
