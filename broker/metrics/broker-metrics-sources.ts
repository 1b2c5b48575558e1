// What the broker's metrics read when scraped: the broker's context (every state machine and
// service), the server's connection counters and the ACL's refusal count.
import type { ConnectionStats } from '../../server/connection-limits.js';
import type { BrokerContext } from '../broker-context.js';

export interface BrokerMetricsSources {
  readonly context: BrokerContext;
  readonly connections: () => ConnectionStats;
  readonly aclRefusals: () => number;
}
