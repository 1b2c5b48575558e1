// The side-by-side benchmark of `npm run bench:peers`, as data: each workload runs on
// Tributary (`tributary bench ... --json`, its broker in a child process), on Redis Streams
// and on NATS JetStream (peers/peer-trial-child.js, its server in a child process), with the
// same message size, window, rate and backlog, and the issue's goals as ratios between them.
// Goals are targets reported as met or missed, never pass/fail tests.

export type PeerSystem = 'tributary' | 'redis' | 'nats';

export const PEER_SYSTEMS: readonly PeerSystem[] = ['tributary', 'redis', 'nats'];

export const SYSTEM_NAMES: Readonly<Record<PeerSystem, string>> = {
  tributary: 'Tributary',
  redis: 'Redis Streams',
  nats: 'NATS JetStream',
};

export type WorkloadKind = 'produce' | 'consume' | 'e2e';

export interface WorkloadSpec {
  readonly id: string;
  readonly title: string;
  readonly kind: WorkloadKind;
  readonly messageBytes: number;
  /** Acknowledge only after an fsync/msync (SYNC_FLUSH, appendfsync always, sync_interval always). */
  readonly sync: boolean;
  /** produce: sends in flight, when not the plan's (1: each send awaited before the next). */
  readonly inFlight?: number;
}

export interface SystemRun {
  readonly system: PeerSystem;
  /** The durability mode, short, shown beside every figure (the JSON has the full text). */
  readonly durabilityMode: string;
  /** Arguments after `node`: the script and its flags. */
  readonly args: readonly string[];
}

/** Throughput ratio (ours / peer) >= factor; best-peer goals take the fastest eligible peer per round. */
export interface ThroughputGoal {
  readonly type: 'throughput';
  readonly workload: string;
  readonly peers: readonly PeerSystem[] | 'best';
  readonly factor: number;
}

export type LatencyPercentile = 'p50' | 'p99';

/**
 * A percentile of ours against the best (lowest) peer's `theirs` percentile (`peers` 'best'),
 * each named peer's, or a fixed bound (`boundMs`): ratio = theirs / ours, which must reach
 * `factor` (or exceed it, `strict`).
 */
export interface LatencyGoal {
  readonly type: 'latency';
  readonly workload: string;
  readonly ours: LatencyPercentile;
  readonly theirs: LatencyPercentile;
  readonly peers: readonly PeerSystem[] | 'best';
  readonly factor: number;
  readonly strict: boolean;
  readonly boundMs?: number;
}

/**
 * Our CPU per message below each peer's: ratio = peer / ours > 1 (at least 1 when not
 * `strict`); `side` 'total' is client + server, 'server' the broker alone.
 */
export interface CpuGoal {
  readonly type: 'cpu';
  readonly workload: string;
  readonly side: 'total' | 'server';
  readonly peers: readonly PeerSystem[];
  readonly strict: boolean;
}

export type PeerGoal = (ThroughputGoal | LatencyGoal | CpuGoal) & { readonly id: string; readonly label: string };

export const PEER_WORKLOADS: readonly WorkloadSpec[] = [
  { id: 'produce-100b', title: 'produce 100 B, 1,000 in flight', kind: 'produce', messageBytes: 100, sync: false },
  {
    id: 'produce-100b-inflight1',
    title: 'produce 100 B, one send at a time (each awaited)',
    kind: 'produce',
    messageBytes: 100,
    sync: false,
    inFlight: 1,
  },
  { id: 'produce-1k', title: 'produce 1 KiB, 1,000 in flight', kind: 'produce', messageBytes: 1024, sync: false },
  {
    id: 'produce-100b-sync',
    title: 'produce 100 B, 1,000 in flight, acknowledged after fsync',
    kind: 'produce',
    messageBytes: 100,
    sync: true,
  },
  { id: 'consume-100b', title: 'consume a backlog of 100 B messages', kind: 'consume', messageBytes: 100, sync: false },
  { id: 'e2e-100b-rate5000', title: 'end to end at 5,000 msgs/s, 100 B', kind: 'e2e', messageBytes: 100, sync: false },
];

/** Issue 16's goals: the cost of one message at a time, and the last throughput ratios. */
const ISSUE_16_GOALS: readonly PeerGoal[] = [
  {
    id: 'single-send-vs-redis',
    label: 'awaited single send 100 B >= 1.5x Redis XADD',
    type: 'throughput',
    workload: 'produce-100b-inflight1',
    peers: ['redis'],
    factor: 1.5,
  },
  {
    id: 'single-send-p50-vs-redis',
    label: "awaited single send: p50 ack below Redis's",
    type: 'latency',
    workload: 'produce-100b-inflight1',
    ours: 'p50',
    theirs: 'p50',
    peers: ['redis'],
    factor: 1,
    strict: true,
  },
  {
    id: 'produce-1k-vs-redis',
    label: 'produce 1 KiB >= 5x Redis pipelined XADD (everysec)',
    type: 'throughput',
    workload: 'produce-1k',
    peers: ['redis'],
    factor: 5,
  },
  {
    id: 'e2e-p50-vs-best',
    label: "e2e at 5,000 msgs/s: p50 at or below the best peer's p50",
    type: 'latency',
    workload: 'e2e-100b-rate5000',
    ours: 'p50',
    theirs: 'p50',
    peers: 'best',
    factor: 1,
    strict: false,
  },
  {
    id: 'e2e-p99-third-of-best',
    label: "e2e at 5,000 msgs/s: p99 <= 1/3 of the best peer's p99",
    type: 'latency',
    workload: 'e2e-100b-rate5000',
    ours: 'p99',
    theirs: 'p99',
    peers: 'best',
    factor: 3,
    strict: false,
  },
  {
    id: 'e2e-p99-under-1ms',
    label: 'e2e at 5,000 msgs/s: p99 < 1 ms (stretch)',
    type: 'latency',
    workload: 'e2e-100b-rate5000',
    ours: 'p99',
    theirs: 'p99',
    peers: [],
    factor: 1,
    strict: true,
    boundMs: 1,
  },
  {
    id: 'e2e-broker-cpu-vs-redis',
    label: "e2e at 5,000 msgs/s: broker CPU per message no more than Redis's",
    type: 'cpu',
    workload: 'e2e-100b-rate5000',
    side: 'server',
    peers: ['redis'],
    strict: false,
  },
];

export const PEER_GOALS: readonly PeerGoal[] = [
  {
    id: 'produce-100b-vs-redis',
    label: 'produce 100 B async >= 5x Redis pipelined XADD (everysec)',
    type: 'throughput',
    workload: 'produce-100b',
    peers: ['redis'],
    factor: 5,
  },
  {
    id: 'produce-100b-vs-nats',
    label: 'produce 100 B async >= 3x JetStream async publish',
    type: 'throughput',
    workload: 'produce-100b',
    peers: ['nats'],
    factor: 3,
  },
  {
    id: 'produce-1k-vs-both',
    label: 'produce 1 KiB >= 3x both peers',
    type: 'throughput',
    workload: 'produce-1k',
    peers: ['redis', 'nats'],
    factor: 3,
  },
  {
    id: 'produce-sync-vs-best',
    label: 'produce with sync flush >= 3x the best peer with per-write fsync',
    type: 'throughput',
    workload: 'produce-100b-sync',
    peers: 'best',
    factor: 3,
  },
  {
    id: 'consume-vs-redis',
    label: 'consume a backlog >= 5x Redis XREADGROUP',
    type: 'throughput',
    workload: 'consume-100b',
    peers: ['redis'],
    factor: 5,
  },
  {
    id: 'consume-vs-nats',
    label: 'consume a backlog >= 3x JetStream pull',
    type: 'throughput',
    workload: 'consume-100b',
    peers: ['nats'],
    factor: 3,
  },
  {
    id: 'e2e-p99-below-best-p50',
    label: "e2e p99 at 5,000 msgs/s below the best peer's p50",
    type: 'latency',
    workload: 'e2e-100b-rate5000',
    ours: 'p99',
    theirs: 'p50',
    peers: 'best',
    factor: 1,
    strict: true,
  },
  ...ISSUE_16_GOALS,
  ...PEER_WORKLOADS.map((workload): PeerGoal => ({
    id: `cpu-${workload.id}`,
    label: `CPU per message (client + server), ${workload.title}: below every peer`,
    type: 'cpu',
    workload: workload.id,
    side: 'total',
    peers: ['redis', 'nats'],
    strict: true,
  })),
];

export interface PeerRunPlan {
  readonly warmupS: number;
  readonly durationS: number;
  readonly backlog: number;
  readonly inFlight: number;
  readonly ratePerS: number;
}

/**
 * The warm-up is 5 s for every system because Tributary's needs it: a fresh broker preheats its
 * first two 1 GiB commit-log segments (MADV_POPULATE_WRITE) on pool threads, and appends stall
 * for the first ~4 s on this 2-core machine (native-bench/README.md, "cold start"); measuring
 * that would charge a start-up cost of ~2 s of system CPU to a 5 s window. Peers get the same
 * warm-up, so every system is measured warm.
 */
export const FULL_PLAN: PeerRunPlan = { warmupS: 5, durationS: 5, backlog: 1_000_000, inFlight: 1000, ratePerS: 5000 };
/** A smoke test: the same warm-up (shorter gives Tributary's cold start), short windows. */
export const QUICK_PLAN: PeerRunPlan = { warmupS: 5, durationS: 2, backlog: 50_000, inFlight: 1000, ratePerS: 5000 };

/** The three systems' command lines for `workload`. */
export function systemRuns(workload: WorkloadSpec, plan: PeerRunPlan, cli: string, child: string): SystemRun[] {
  const size = ['--size', String(workload.messageBytes)];
  const timed = ['--warmup-s', String(plan.warmupS), '--duration-s', String(plan.durationS)];
  const shape =
    workload.kind === 'produce'
      ? ['--in-flight', String(workload.inFlight ?? plan.inFlight), ...timed]
      : workload.kind === 'consume'
        ? ['--count', String(plan.backlog)]
        : ['--rate', String(plan.ratePerS), ...timed];
  const peer = (name: 'redis' | 'nats', durability: string): string[] => [
    child,
    '--peer',
    name,
    '--durability',
    durability,
    '--workload',
    workload.kind,
    ...size,
    ...shape,
  ];
  return [
    {
      system: 'tributary',
      durabilityMode: workload.sync ? 'SYNC_FLUSH' : 'ASYNC_FLUSH',
      args: [cli, 'bench', workload.kind, ...size, ...shape, '--flush', workload.sync ? 'sync' : 'async', '--json'],
    },
    {
      system: 'redis',
      durabilityMode: workload.sync ? 'appendfsync always' : 'appendfsync everysec',
      args: peer('redis', workload.sync ? 'always' : 'everysec'),
    },
    {
      system: 'nats',
      durabilityMode: workload.sync ? 'file store, sync_interval always' : 'file store, timer sync',
      args: peer('nats', workload.sync ? 'always' : 'timer'),
    },
  ];
}
