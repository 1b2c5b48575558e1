// The shape of results/peers-*.json as the report reads it (written by peers.bench.ts). The
// report accepts any file of this shape, so a fixture can stand in for a run in tests.
import type { PeerFigure } from '../peers/peer-figure.js';
import type { GoalOutcome } from '../peers/peer-goals.js';
import type { PeerRunPlan } from '../peers-trials.js';

export interface PeersSystemEntry {
  readonly system: 'tributary' | 'redis' | 'nats';
  readonly name: string;
  readonly durabilityMode: string;
  readonly durability: string;
  readonly command: string;
  readonly status: 'ok' | 'skipped' | 'failed';
  readonly reason?: string;
  /** The headline of every round (null: failed or skipped). */
  readonly rounds: readonly (number | null)[];
  readonly figures: readonly (PeerFigure | null)[];
  /** The median round's figure. */
  readonly median: PeerFigure | null;
}

export interface PeersWorkloadEntry {
  readonly id: string;
  readonly title: string;
  readonly kind: 'produce' | 'consume' | 'e2e';
  readonly messageBytes: number;
  readonly sync: boolean;
  readonly systems: readonly PeersSystemEntry[];
}

export interface PeersDocument {
  readonly kind: 'peers';
  readonly date: string;
  readonly command: string;
  readonly quick: boolean;
  readonly rounds: number;
  readonly plan: PeerRunPlan;
  readonly environment: Readonly<Record<string, unknown>>;
  readonly skipped: readonly string[];
  readonly workloads: readonly PeersWorkloadEntry[];
  readonly goals: readonly GoalOutcome[];
}
