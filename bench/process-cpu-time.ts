// CPU time of another process (a peer server), from /proc/<pid>/stat: user and system time of
// all its threads (utime, stime), plus that of its children it has waited for (cutime, cstime),
// so a Redis AOF rewrite child counts once it has been reaped. Linux only; the values are in
// clock ticks (`getconf CLK_TCK`, 100 on Linux x86-64), so a 5 s window is resolved to 0.2%.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface CpuTime {
  readonly userMs: number;
  readonly systemMs: number;
}

const MS_PER_SECOND = 1000;
/** Linux's USER_HZ on every architecture Node supports; used when getconf is missing. */
const CLOCK_TICKS_PER_SECOND_DEFAULT = 100;
/** Field positions in /proc/<pid>/stat, counted after the `(comm)` field (which may hold spaces). */
const STAT_UTIME_AFTER_COMM = 11;
const STAT_STIME_AFTER_COMM = 12;
const STAT_CUTIME_AFTER_COMM = 13;
const STAT_CSTIME_AFTER_COMM = 14;

let ticksPerSecond: number | undefined;

function clockTicksPerSecond(): number {
  if (ticksPerSecond !== undefined) return ticksPerSecond;
  try {
    ticksPerSecond = Number.parseInt(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim(), 10);
  } catch {
    ticksPerSecond = CLOCK_TICKS_PER_SECOND_DEFAULT;
  }
  if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = CLOCK_TICKS_PER_SECOND_DEFAULT;
  return ticksPerSecond;
}

/** Cumulative CPU time of process `pid` so far. */
export function processCpuTime(pid: number): CpuTime {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = (index: number): number => Number.parseInt(fields[index] ?? '0', 10);
  const msPerTick = MS_PER_SECOND / clockTicksPerSecond();
  return {
    userMs: (ticks(STAT_UTIME_AFTER_COMM) + ticks(STAT_CUTIME_AFTER_COMM)) * msPerTick,
    systemMs: (ticks(STAT_STIME_AFTER_COMM) + ticks(STAT_CSTIME_AFTER_COMM)) * msPerTick,
  };
}

/** CPU time spent between two readings. */
export function cpuTimeSince(before: CpuTime, after: CpuTime): CpuTime {
  return { userMs: after.userMs - before.userMs, systemMs: after.systemMs - before.systemMs };
}
