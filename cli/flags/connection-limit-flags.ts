// The flags that set a server's connection limits (`start`, `broker`, `namesrv`), in the units
// an operator thinks in (seconds, MiB), and the ConnectionLimits they make. An absent flag
// leaves the library default; the README's "Limits" table says what happens past each limit.
import {
  CONNECTION_IDLE_TIMEOUT_MS_DEFAULT,
  CONNECTIONS_MAX_DEFAULT,
  IN_FLIGHT_REQUESTS_MAX_DEFAULT,
  UNFINISHED_FRAME_BUDGET_BYTES_DEFAULT,
  WRITE_STALL_TIMEOUT_MS_DEFAULT,
  type ConnectionLimits,
} from '../../server/index.js';
import { WRITE_HIGH_WATER_BYTES_DEFAULT } from '../../protocol/remoting-connection.js';
import { FRAME_BYTES_MAX } from '../../protocol/remoting-frame.js';
import { BYTES_PER_MIB } from '../cli-constants.js';
import type { CommandLine, FlagSpec } from '../command-line.js';

const MS_PER_SECOND = 1000;

export const CONNECTION_LIMIT_FLAGS: Readonly<Record<string, FlagSpec>> = {
  'max-connections': {
    type: 'integer',
    min: 1,
    description: 'open connections at once; a socket past it is closed on arrival',
    defaultText: String(CONNECTIONS_MAX_DEFAULT),
  },
  'idle-timeout-s': {
    type: 'integer',
    min: 1,
    description: 'close a connection silent both ways this long (clients heartbeat every 30 s)',
    defaultText: String(CONNECTION_IDLE_TIMEOUT_MS_DEFAULT / MS_PER_SECOND),
  },
  'max-frame-mb': {
    type: 'integer',
    min: 1,
    description: 'longest request frame in MiB (at most 16); a longer one closes its connection',
    defaultText: String(FRAME_BYTES_MAX / BYTES_PER_MIB),
  },
  'max-in-flight': {
    type: 'integer',
    min: 1,
    description: 'requests processed at once per connection; past it SYSTEM_BUSY',
    defaultText: String(IN_FLIGHT_REQUESTS_MAX_DEFAULT),
  },
  'write-high-water-mb': {
    type: 'integer',
    min: 1,
    description: "unsent response MiB past which a connection's requests stop being read",
    defaultText: String(WRITE_HIGH_WATER_BYTES_DEFAULT / BYTES_PER_MIB),
  },
  'write-stall-timeout-s': {
    type: 'integer',
    min: 1,
    description: 'close a connection whose peer has read nothing of a response this long',
    defaultText: String(WRITE_STALL_TIMEOUT_MS_DEFAULT / MS_PER_SECOND),
  },
  'unfinished-frame-budget-mb': {
    type: 'integer',
    min: 1,
    description: 'MiB held in unfinished frames across all connections; a connection past it is closed',
    defaultText: String(UNFINISHED_FRAME_BUDGET_BYTES_DEFAULT / BYTES_PER_MIB),
  },
};

export function connectionLimitsFrom(line: CommandLine): ConnectionLimits {
  const scaled = (flag: string, unit: number): number | undefined => {
    const value = line.integer(flag);
    return value === undefined ? undefined : value * unit;
  };
  const limits: Record<string, number | undefined> = {
    maxConnections: line.integer('max-connections'),
    idleTimeoutMs: scaled('idle-timeout-s', MS_PER_SECOND),
    maxFrameBytes: scaled('max-frame-mb', BYTES_PER_MIB),
    maxInFlightPerConnection: line.integer('max-in-flight'),
    writeHighWaterBytes: scaled('write-high-water-mb', BYTES_PER_MIB),
    writeStallTimeoutMs: scaled('write-stall-timeout-s', MS_PER_SECOND),
    unfinishedFrameBudgetBytes: scaled('unfinished-frame-budget-mb', BYTES_PER_MIB),
  };
  // Absent flags stay absent, so the library's defaults apply.
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined)) as ConnectionLimits;
}
