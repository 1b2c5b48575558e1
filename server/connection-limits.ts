// The limits a remoting server (broker or name server) puts on its connections, their defaults,
// and the counters that show them at work. What happens past each limit is RemotingServer's
// policy (remoting-server.ts); the README's "Limits" table sums it up.
import { WRITE_HIGH_WATER_BYTES_DEFAULT } from '../protocol/remoting-connection.js';
import { FRAME_BYTES_MAX } from '../protocol/remoting-frame.js';
import {
  CONNECTION_IDLE_TIMEOUT_MS_DEFAULT,
  CONNECTIONS_MAX_DEFAULT,
  IN_FLIGHT_REQUESTS_MAX_DEFAULT,
  UNFINISHED_FRAME_BUDGET_BYTES_DEFAULT,
  WRITE_STALL_TIMEOUT_MS_DEFAULT,
} from './server-constants.js';

/**
 * Limits that bound a server's memory and connections (README, "Limits"): each optional, with the
 * default named on its field.
 */
export interface ConnectionLimits {
  /** Open connections at once; past it a new socket is closed at once (default 10,000). */
  readonly maxConnections?: number;
  /** A connection silent both ways this long is closed (default 120 s). */
  readonly idleTimeoutMs?: number;
  /** Longest request frame; a longer length prefix closes the connection (default 16 MiB). */
  readonly maxFrameBytes?: number;
  /** Requests processed at once per connection; past it SYSTEM_BUSY (default 4096). */
  readonly maxInFlightPerConnection?: number;
  /** Unsent response bytes past which a connection's requests stop being read (default 8 MiB). */
  readonly writeHighWaterBytes?: number;
  /** A response unsent for this long closes its connection (default 30 s). */
  readonly writeStallTimeoutMs?: number;
  /**
   * Bytes held in unfinished frames across all connections; a connection whose data would
   * pass it is closed (default 256 MiB; at least maxFrameBytes).
   */
  readonly unfinishedFrameBudgetBytes?: number;
}

export type ResolvedConnectionLimits = Required<ConnectionLimits>;

/** Node's timers take at most 2^31 - 1 ms (24.8 days) and fire at once past it. */
const TIMER_MS_MAX = 2 ** 31 - 1;

/** What the limits did since the server started, and how many connections are open. */
export interface ConnectionStats {
  readonly open: number;
  readonly accepted: number;
  /** Sockets closed on arrival because maxConnections were open. */
  readonly rejected: number;
  readonly closedIdle: number;
  /** Closed because a response stayed unsent past writeStallTimeoutMs. */
  readonly closedStalled: number;
  /** Closed for a malformed or oversized frame or an undecodable header. */
  readonly closedProtocolError: number;
  /** Closed because their unfinished frame would have passed unfinishedFrameBudgetBytes. */
  readonly closedFrameBudget: number;
  /** Closed because a request's header was refused before its body arrived (access control). */
  readonly closedHeaderRefused: number;
  /** Bytes held in unfinished frames now, of unfinishedFrameBudgetBytes. */
  readonly unfinishedFrameBytes: number;
  /**
   * Requests answered SYSTEM_BUSY: their connection had maxInFlightPerConnection in flight, or
   * more than writeHighWaterBytes of responses unsent.
   */
  readonly busyRefusals: number;
}

/** Fills in the defaults; throws RangeError for a limit that is not a positive integer. */
export function resolveConnectionLimits(limits: ConnectionLimits = {}): ResolvedConnectionLimits {
  const resolved: ResolvedConnectionLimits = {
    maxConnections: limits.maxConnections ?? CONNECTIONS_MAX_DEFAULT,
    idleTimeoutMs: limits.idleTimeoutMs ?? CONNECTION_IDLE_TIMEOUT_MS_DEFAULT,
    maxFrameBytes: limits.maxFrameBytes ?? FRAME_BYTES_MAX,
    maxInFlightPerConnection: limits.maxInFlightPerConnection ?? IN_FLIGHT_REQUESTS_MAX_DEFAULT,
    writeHighWaterBytes: limits.writeHighWaterBytes ?? WRITE_HIGH_WATER_BYTES_DEFAULT,
    writeStallTimeoutMs: limits.writeStallTimeoutMs ?? WRITE_STALL_TIMEOUT_MS_DEFAULT,
    unfinishedFrameBudgetBytes: limits.unfinishedFrameBudgetBytes ?? UNFINISHED_FRAME_BUDGET_BYTES_DEFAULT,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`connection limit ${name} must be a positive integer, got ${String(value)}`);
  }
  // Frames past the wire format's own maximum could not be decoded by any client either.
  if (resolved.maxFrameBytes > FRAME_BYTES_MAX)
    throw new RangeError(`connection limit maxFrameBytes must be at most ${FRAME_BYTES_MAX}`);
  // A budget under one frame would refuse frames the frame limit allows.
  if (resolved.unfinishedFrameBudgetBytes < resolved.maxFrameBytes)
    throw new RangeError(`connection limit unfinishedFrameBudgetBytes must be at least maxFrameBytes`);
  if (resolved.idleTimeoutMs > TIMER_MS_MAX || resolved.writeStallTimeoutMs > TIMER_MS_MAX)
    throw new RangeError(`connection timeouts must be at most ${TIMER_MS_MAX} ms`);
  return resolved;
}
