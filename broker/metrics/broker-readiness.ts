// /readyz of the broker: ready when the store is recovered and its state machines replayed,
// it is registered with at least one name server, and the disk has room for writes. Each
// unmet condition is a reason in the 503 answer.
import type { StoreReader } from '../store-reader.js';

export interface BrokerReadinessSources {
  /** Undefined until the store is open and every state machine has replayed. */
  readonly store: StoreReader | undefined;
  /** Name servers the last registration round reached. */
  readonly registeredWith: () => readonly string[];
  readonly nameServers: readonly string[];
}

export interface Readiness {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

export function brokerReadiness(sources: BrokerReadinessSources): Readiness {
  const reasons: string[] = [];
  const { store } = sources;
  if (store === undefined) reasons.push('recovering: the store and its state machines are replaying');
  else {
    const { diskUsedRatio } = store.stats();
    const fullRatio = store.options.diskFullRatio;
    if (diskUsedRatio >= fullRatio)
      reasons.push(`disk full: ${(diskUsedRatio * 100).toFixed(1)}% used, writes refused from ${fullRatio * 100}%`);
    if (sources.registeredWith().length === 0)
      reasons.push(
        sources.nameServers.length === 0
          ? 'not registered: no name server configured'
          : `not registered with any name server (${sources.nameServers.join(', ')})`,
      );
  }
  return { ready: reasons.length === 0, reasons };
}
