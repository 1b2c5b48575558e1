// Held watch requests (Apollo's long polling): a watch that finds nothing newer than what the
// client knows waits here until one of its namespaces changes, its hold time runs out, or its
// connection closes. Waking only resolves the waiter; the processor then reads what changed, so
// a change that lands between the check and the hold is never missed (the check runs again).
import type { Channel } from '../../server/remoting-server.js';

/**
 * Why a held watch ended: something changed, the hold ran out, the client went away, or (at
 * once) too many watches are held already.
 */
export type ConfigWatchWake = 'changed' | 'timeout' | 'closed' | 'full';
export const CONFIG_WATCH_WAKES: readonly ConfigWatchWake[] = ['changed', 'timeout', 'closed', 'full'];

interface Waiter {
  readonly keys: readonly string[];
  readonly channel: Channel;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (wake: ConfigWatchWake) => void;
}

export class ConfigWatchHold {
  private readonly byNamespace = new Map<string, Set<Waiter>>();
  private readonly byChannel = new Map<Channel, Set<Waiter>>();
  private count = 0;
  /** How held watches ended since the broker started (plain numbers, for the metrics). */
  readonly wakes: Record<ConfigWatchWake, number> = { changed: 0, timeout: 0, closed: 0, full: 0 };

  constructor(private readonly heldMax: number) {}

  /** Watches held now. */
  get held(): number {
    return this.count;
  }

  /** Waits for a change of one of `namespaces` of `env`; 'full' at once when too many are held. */
  wait(env: string, namespaces: readonly string[], holdMs: number, channel: Channel): Promise<ConfigWatchWake> {
    if (holdMs === 0) return Promise.resolve('timeout');
    if (this.count >= this.heldMax) {
      this.wakes.full++;
      return Promise.resolve('full');
    }
    return new Promise((resolve) => {
      const keys = namespaces.map((namespace) => `${env}\u0000${namespace}`);
      const waiter: Waiter = {
        keys,
        channel,
        // Unref'd: a held watch never keeps an embedding process alive by itself.
        timer: setTimeout(() => this.end(waiter, 'timeout'), holdMs).unref(),
        resolve,
      };
      for (const key of keys) setOf(this.byNamespace, key).add(waiter);
      setOf(this.byChannel, channel).add(waiter);
      this.count++;
    });
  }

  /** Wakes every watch of the namespace. */
  changed(env: string, namespace: string): void {
    const waiters = this.byNamespace.get(`${env}\u0000${namespace}`);
    if (waiters === undefined) return;
    for (const waiter of [...waiters]) this.end(waiter, 'changed');
  }

  channelClosed(channel: Channel): void {
    for (const waiter of [...(this.byChannel.get(channel) ?? [])]) this.end(waiter, 'closed');
  }

  private end(waiter: Waiter, wake: ConfigWatchWake): void {
    const own = this.byChannel.get(waiter.channel);
    if (own === undefined || !own.delete(waiter)) return;
    if (own.size === 0) this.byChannel.delete(waiter.channel);
    for (const key of waiter.keys) {
      const set = this.byNamespace.get(key);
      set?.delete(waiter);
      if (set?.size === 0) this.byNamespace.delete(key);
    }
    clearTimeout(waiter.timer);
    this.count--;
    this.wakes[wake]++;
    waiter.resolve(wake);
  }
}

function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  return set;
}
