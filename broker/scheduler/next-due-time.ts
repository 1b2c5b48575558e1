// When a job fires next. Cron expressions (5 or 6 fields, seconds first when 6) are read by
// croner in the job's time zone (UTC when none), so daylight saving changes follow the zone.
import { Cron } from 'croner';

import type { JobSchedule } from '../state/job-scheduler-state.js';
import { JobSchedulerError } from './job-scheduler-error.js';

/**
 * The first due time after `afterMs` (the previous due time, or now when none), or undefined
 * when the schedule fires no more. Fixed-delay jobs are armed when a run ends, from its end.
 */
export function nextDueTime(schedule: JobSchedule, afterMs: number, previousDueMs: number): number | undefined {
  switch (schedule.kind) {
    case 'cron':
      return cronOf(schedule.expression, schedule.timeZone).nextRun(new Date(afterMs))?.getTime();
    case 'fixedRate': {
      const start = schedule.startAtMs ?? previousDueMs;
      if (previousDueMs === 0 && schedule.startAtMs === undefined) return afterMs + schedule.everyMs;
      if (afterMs < start) return start;
      return start + (Math.floor((afterMs - start) / schedule.everyMs) + 1) * schedule.everyMs;
    }
    case 'fixedDelay':
      return afterMs + schedule.delayMs;
    case 'once':
      return previousDueMs >= schedule.atMs ? undefined : schedule.atMs;
    case 'manual':
      return undefined;
  }
}

/** Parses a cron expression, or throws a typed error naming what is wrong. */
export function cronOf(expression: string, timeZone: string | undefined): Cron {
  try {
    const cron = new Cron(expression, { timezone: timeZone, paused: true });
    // An unknown time zone only shows when a time is computed.
    cron.nextRun();
    return cron;
  } catch (error) {
    throw new JobSchedulerError('INVALID_JOB', `cron '${expression}': ${(error as Error).message}`);
  }
}
