// Checks a job definition from the Admin API and fills its defaults; bad input is refused
// with a typed error naming the field, and nothing is stored.
import {
  JOB_CONCURRENCY_POLICIES,
  JOB_MISFIRE_POLICIES,
  JOB_ROUTINGS,
  type JobDefinition,
  type JobSchedule,
} from '../state/job-scheduler-state.js';
import { cronOf } from './next-due-time.js';
import { JobSchedulerError } from './job-scheduler-error.js';
import {
  JOB_CHILDREN_MAX,
  JOB_GLUE_SOURCE_BYTES_MAX,
  JOB_INTERVAL_MS_MIN,
  JOB_NAME_CHARS_MAX,
  JOB_PARAMS_BYTES_MAX,
  JOB_RETRIES_MAX,
  JOB_RETRY_BACKOFF_MS_MAX,
  JOB_TIMEOUT_MS_DEFAULT,
  JOB_TIMEOUT_MS_MAX,
  MISFIRE_THRESHOLD_MS_DEFAULT,
} from './scheduler-constants.js';

const JOB_NAME_PATTERN = /^[A-Za-z0-9_.:-]+$/;

export function checkJobDefinition(input: unknown): JobDefinition {
  if (input === null || typeof input !== 'object') throw invalid('the job must be an object');
  const data = input as Record<string, unknown>;
  const name = checkJobName(data.name);
  const glueSource = optionalString(data.glueSource, 'glueSource', JOB_GLUE_SOURCE_BYTES_MAX);
  const handler = optionalString(data.handler, 'handler', JOB_NAME_CHARS_MAX) ?? '';
  if (handler === '' && glueSource === undefined) throw invalid('a job needs a handler or a glueSource');
  const children = data.children ?? [];
  if (!Array.isArray(children) || children.length > JOB_CHILDREN_MAX)
    throw invalid(`children must be a list of at most ${JOB_CHILDREN_MAX} job names`);
  return {
    name,
    handler,
    schedule: checkSchedule(data.schedule),
    params: optionalString(data.params, 'params', JOB_PARAMS_BYTES_MAX) ?? '',
    timeoutMs: integerIn(data.timeoutMs ?? JOB_TIMEOUT_MS_DEFAULT, 'timeoutMs', 1, JOB_TIMEOUT_MS_MAX),
    retries: integerIn(data.retries ?? 0, 'retries', 0, JOB_RETRIES_MAX),
    retryBackoffMs: integerIn(data.retryBackoffMs ?? 1000, 'retryBackoffMs', 0, JOB_RETRY_BACKOFF_MS_MAX),
    routing: oneOf(data.routing ?? 'first', 'routing', JOB_ROUTINGS),
    concurrency: oneOf(data.concurrency ?? 'serial', 'concurrency', JOB_CONCURRENCY_POLICIES),
    misfire: oneOf(data.misfire ?? 'fireOnce', 'misfire', JOB_MISFIRE_POLICIES),
    misfireThresholdMs: integerIn(
      data.misfireThresholdMs ?? MISFIRE_THRESHOLD_MS_DEFAULT,
      'misfireThresholdMs',
      1,
      JOB_TIMEOUT_MS_MAX,
    ),
    children: children.map((child) => checkJobName(child)),
    ...(glueSource === undefined ? {} : { glueSource }),
  };
}

export function checkJobName(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > JOB_NAME_CHARS_MAX ||
    !JOB_NAME_PATTERN.test(value)
  )
    throw invalid(`a job name is 1-${JOB_NAME_CHARS_MAX} characters of A-Z a-z 0-9 _ . : -`);
  return value;
}

function checkSchedule(value: unknown): JobSchedule {
  if (value === undefined) return { kind: 'manual' };
  if (value === null || typeof value !== 'object') throw invalid('schedule must be an object');
  const data = value as Record<string, unknown>;
  switch (data.kind) {
    case 'cron': {
      if (typeof data.expression !== 'string') throw invalid('a cron schedule needs an expression');
      const timeZone = optionalString(data.timeZone, 'timeZone', 64);
      cronOf(data.expression, timeZone);
      return { kind: 'cron', expression: data.expression, ...(timeZone === undefined ? {} : { timeZone }) };
    }
    case 'fixedRate': {
      const everyMs = integerIn(data.everyMs, 'everyMs', JOB_INTERVAL_MS_MIN, Number.MAX_SAFE_INTEGER);
      if (data.startAtMs === undefined) return { kind: 'fixedRate', everyMs };
      return {
        kind: 'fixedRate',
        everyMs,
        startAtMs: integerIn(data.startAtMs, 'startAtMs', 1, Number.MAX_SAFE_INTEGER),
      };
    }
    case 'fixedDelay':
      return {
        kind: 'fixedDelay',
        delayMs: integerIn(data.delayMs, 'delayMs', JOB_INTERVAL_MS_MIN, Number.MAX_SAFE_INTEGER),
      };
    case 'once':
      return { kind: 'once', atMs: integerIn(data.atMs, 'atMs', 1, Number.MAX_SAFE_INTEGER) };
    case 'manual':
      return { kind: 'manual' };
    default:
      throw invalid('schedule.kind must be cron, fixedRate, fixedDelay, once or manual');
  }
}

function optionalString(value: unknown, field: string, maxChars: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > maxChars)
    throw invalid(`${field} must be a string of at most ${maxChars} characters`);
  return value;
}

function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
    throw invalid(`${field} must be an integer from ${min} to ${max}`);
  return value;
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw invalid(`${field} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function invalid(message: string): JobSchedulerError {
  return new JobSchedulerError('INVALID_JOB', message);
}
