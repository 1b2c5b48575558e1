// Skips brokers that just failed or answered slowly, for a while that grows with the latency
// (RocketMQ 5.x's table). A send after an exception isolates the broker as if it had taken
// 10 s. When every broker is isolated, the caller still uses one: availability beats waiting.

const LATENCY_THRESHOLDS_MS = [50, 100, 550, 1800, 3000, 5000, 15000] as const;
const ISOLATION_MS = [0, 0, 2000, 5000, 6000, 10000, 30000] as const;

export class LatencyFaultTolerance {
  private readonly unavailableUntil = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records how a request to `brokerName` went. */
  record(brokerName: string, latencyMs: number): void {
    let isolation = 0;
    for (let i = LATENCY_THRESHOLDS_MS.length - 1; i >= 0; i--) {
      if (latencyMs >= LATENCY_THRESHOLDS_MS[i]!) {
        isolation = ISOLATION_MS[i]!;
        break;
      }
    }
    if (isolation === 0) this.unavailableUntil.delete(brokerName);
    else this.unavailableUntil.set(brokerName, this.now() + isolation);
  }

  isAvailable(brokerName: string): boolean {
    const until = this.unavailableUntil.get(brokerName);
    return until === undefined || until <= this.now();
  }
}
