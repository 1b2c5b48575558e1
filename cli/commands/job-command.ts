// `tributary job create|update|list|describe|trigger|pause|resume|cancel|delete|runs|executors`:
// the job scheduler on the broker that holds it (--broker host:port).
import fs from 'node:fs';

import { JobSchedulerClient, type JobRun, type JobScheduleSpec, type JobSpec } from '../../client/index.js';
import { cliCommand } from './cli-command.js';
import type { CliCommand } from './cli-command.js';
import type { CommandLine, FlagSpec } from '../command-line.js';
import { formatTable } from '../format-table.js';
import { subcommandGroup } from '../subcommand-group.js';

const BROKER_FLAG = {
  type: 'string',
  placeholder: 'host:port',
  description: 'the broker holding the scheduler',
  defaultText: '127.0.0.1:10911',
} as const;
const BROKER_ADDRESS_DEFAULT = '127.0.0.1:10911';
const NAME_FLAG = { type: 'string', placeholder: 'job', description: 'job name', required: true } as const;
const JSON_FLAG = { type: 'boolean', description: 'print JSON' } as const;
/** Runs `job runs` shows unless --count says otherwise. */
const RUNS_COUNT_DEFAULT = 20;

const DEFINITION_FLAGS: Readonly<Record<string, FlagSpec>> = {
  name: NAME_FLAG,
  handler: { type: 'string', placeholder: 'handler', description: 'handler name executors register' },
  cron: { type: 'string', placeholder: 'expr', description: 'cron expression (5 fields, or 6 with seconds)' },
  tz: {
    type: 'string',
    placeholder: 'zone',
    description: 'time zone of --cron, e.g. Europe/Paris',
    defaultText: 'UTC',
  },
  'every-ms': { type: 'integer', min: 1, description: 'fixed rate' },
  'delay-ms': { type: 'integer', min: 1, description: 'fixed delay after each run ends' },
  at: { type: 'string', placeholder: 'time', description: 'one shot at this ISO time or ms since the epoch' },
  params: { type: 'string', placeholder: 'text', description: 'parameters passed to the handler' },
  'timeout-ms': {
    type: 'integer',
    min: 1,
    description: 'a run is timed out (aborted) after this',
    defaultText: '60000',
  },
  retries: { type: 'integer', min: 0, description: 'retries of a failed run', defaultText: '0' },
  'backoff-ms': { type: 'integer', min: 0, description: 'first retry back-off (doubles)', defaultText: '1000' },
  routing: {
    type: 'string',
    description: 'executor choice',
    choices: ['first', 'roundRobin', 'random', 'consistentHash', 'leastRecentlyUsed', 'failover', 'shardingBroadcast'],
  },
  concurrency: {
    type: 'string',
    description: 'a fire while a run is active',
    choices: ['serial', 'discardLater', 'cancelRunning'],
  },
  misfire: { type: 'string', description: 'a fire missed while the broker was down', choices: ['fireOnce', 'skip'] },
  children: { type: 'string', placeholder: 'a,b', description: 'jobs fired when a run succeeds' },
  'glue-file': { type: 'string', placeholder: 'file.js', description: 'GLUE: JavaScript run by opted-in executors' },
  broker: BROKER_FLAG,
};

async function withJobs<T>(line: CommandLine, work: (jobs: JobSchedulerClient) => Promise<T>): Promise<T> {
  const jobs = new JobSchedulerClient({ brokerAddress: line.string('broker') ?? BROKER_ADDRESS_DEFAULT });
  try {
    return await work(jobs);
  } finally {
    jobs.close();
  }
}

function scheduleOf(line: CommandLine): JobScheduleSpec | undefined {
  const cron = line.string('cron');
  const everyMs = line.integer('every-ms', 0);
  const delayMs = line.integer('delay-ms', 0);
  const at = line.string('at');
  const given = [cron !== undefined, everyMs > 0, delayMs > 0, at !== undefined].filter(Boolean).length;
  if (given > 1) throw line.usageError('give one of --cron, --every-ms, --delay-ms, --at');
  if (cron !== undefined)
    return { kind: 'cron', expression: cron, ...(line.string('tz') ? { timeZone: line.string('tz')! } : {}) };
  if (everyMs > 0) return { kind: 'fixedRate', everyMs };
  if (delayMs > 0) return { kind: 'fixedDelay', delayMs };
  if (at === undefined) return undefined;
  const atMs = /^\d+$/.test(at) ? Number(at) : Date.parse(at);
  if (!Number.isFinite(atMs)) throw line.usageError(`--at '${at}' is neither an ISO time nor ms since the epoch`);
  return { kind: 'once', atMs };
}

function definitionOf(line: CommandLine): JobSpec {
  const glueFile = line.string('glue-file');
  const optional = <K extends keyof JobSpec>(key: K, value: JobSpec[K] | undefined): Partial<JobSpec> =>
    value === undefined ? {} : { [key]: value };
  const children = line.string('children');
  return {
    name: line.string('name')!,
    ...optional('handler', line.string('handler')),
    ...optional('schedule', scheduleOf(line)),
    ...optional('params', line.string('params')),
    ...optional('timeoutMs', line.has('timeout-ms') ? line.integer('timeout-ms', 0) : undefined),
    ...optional('retries', line.has('retries') ? line.integer('retries', 0) : undefined),
    ...optional('retryBackoffMs', line.has('backoff-ms') ? line.integer('backoff-ms', 0) : undefined),
    ...optional('routing', line.string('routing') as JobSpec['routing']),
    ...optional('concurrency', line.string('concurrency') as JobSpec['concurrency']),
    ...optional('misfire', line.string('misfire') as JobSpec['misfire']),
    ...optional('children', children === undefined ? undefined : children.split(',').filter((c) => c !== '')),
    ...optional('glueSource', glueFile === undefined ? undefined : fs.readFileSync(glueFile, 'utf8')),
  };
}

function definitionCommand(word: 'create' | 'update', summary: string): CliCommand {
  return cliCommand(
    word,
    {
      name: `job ${word}`,
      summary,
      flags: DEFINITION_FLAGS,
      examples: [
        `tributary job ${word} --name report --handler report --cron '0 3 * * *' --tz Europe/Paris --retries 2`,
      ],
    },
    async (line) => {
      const job = definitionOf(line);
      await withJobs(line, (jobs) => (word === 'create' ? jobs.create(job) : jobs.update(job)));
      console.log(`job ${job.name} ${word === 'create' ? 'created' : 'updated'}`);
    },
  );
}

function byNameCommand(word: 'pause' | 'resume' | 'delete' | 'trigger', summary: string): CliCommand {
  const flags = {
    name: NAME_FLAG,
    broker: BROKER_FLAG,
    ...(word === 'trigger' ? { params: DEFINITION_FLAGS.params! } : {}),
  };
  return cliCommand(word, { name: `job ${word}`, summary, flags }, async (line) => {
    const name = line.string('name')!;
    await withJobs(line, async (jobs) => {
      if (word === 'trigger')
        console.log(`runs ${(await jobs.trigger(name, line.string('params'))).join(', ')} created`);
      else {
        await jobs[word](name);
        console.log(`job ${name} ${word === 'delete' ? 'deleted' : `${word}d`}`);
      }
    });
  });
}

function runRow(run: JobRun): (string | number)[] {
  const duration = run.startedAtMs !== undefined && run.endedAtMs !== undefined ? run.endedAtMs - run.startedAtMs : '';
  const started = run.startedAtMs === undefined ? '' : new Date(run.startedAtMs).toISOString();
  return [
    run.id,
    run.job,
    run.status,
    run.executor ?? '',
    started,
    duration,
    run.attempt,
    `${run.shardIndex}/${run.shardCount}`,
  ];
}

const list = cliCommand(
  'list',
  { name: 'job list', summary: 'Lists jobs with their next fire.', flags: { json: JSON_FLAG, broker: BROKER_FLAG } },
  async (line) => {
    const jobs = await withJobs(line, (client) => client.list());
    if (line.boolean('json')) return void console.log(JSON.stringify(jobs));
    const rows = jobs.map((job) => [
      job.name,
      job.handler,
      job.schedule.kind,
      job.paused ? 'paused' : 'active',
      job.nextDueMs > 0 ? new Date(job.nextDueMs).toISOString() : '',
    ]);
    console.log(formatTable(['NAME', 'HANDLER', 'SCHEDULE', 'STATE', 'NEXT FIRE'], rows));
  },
);

const describe = cliCommand(
  'describe',
  {
    name: 'job describe',
    summary: "Shows a job's definition, state and active runs.",
    flags: { name: NAME_FLAG, broker: BROKER_FLAG },
  },
  async (line) => {
    console.log(JSON.stringify(await withJobs(line, (jobs) => jobs.describe(line.string('name')!)), null, 2));
  },
);

const cancel = cliCommand(
  'cancel',
  {
    name: 'job cancel',
    summary: "Cancels a job's active runs (or one run); handlers see their AbortSignal fire.",
    flags: {
      name: { ...NAME_FLAG, required: false },
      run: { type: 'integer', min: 1, description: 'one run id' },
      broker: BROKER_FLAG,
    },
  },
  async (line) => {
    const name = line.string('name');
    if (name === undefined && !line.has('run')) throw line.usageError('give --name or --run');
    const target = name !== undefined ? { name } : { runId: line.integer('run', 0) };
    console.log(`${await withJobs(line, (jobs) => jobs.cancel(target))} run(s) cancelled`);
  },
);

const runs = cliCommand(
  'runs',
  {
    name: 'job runs',
    summary: 'The run log, newest first: status, executor, start, duration, attempt, shard.',
    flags: {
      name: { ...NAME_FLAG, required: false },
      status: { type: 'string', description: 'only runs in this status' },
      count: { type: 'integer', min: 1, description: 'most runs shown', defaultText: String(RUNS_COUNT_DEFAULT) },
      json: JSON_FLAG,
      broker: BROKER_FLAG,
    },
  },
  async (line) => {
    const query = {
      ...(line.string('name') ? { name: line.string('name')! } : {}),
      ...(line.string('status') ? { status: line.string('status') as JobRun['status'] } : {}),
      limit: line.integer('count', RUNS_COUNT_DEFAULT),
    };
    const found = await withJobs(line, (jobs) => jobs.runs(query));
    if (line.boolean('json')) return void console.log(JSON.stringify(found));
    console.log(
      formatTable(['RUN', 'JOB', 'STATUS', 'EXECUTOR', 'STARTED', 'MS', 'ATTEMPT', 'SHARD'], found.map(runRow)),
    );
  },
);

const executors = cliCommand(
  'executors',
  {
    name: 'job executors',
    summary: 'Live executors and their handlers.',
    flags: { json: JSON_FLAG, broker: BROKER_FLAG },
  },
  async (line) => {
    const found = await withJobs(line, (jobs) => jobs.executors());
    if (line.boolean('json')) return void console.log(JSON.stringify(found));
    const rows = found.map((e) => [e.id, e.app, e.handlers.join(','), e.glue ? 'yes' : 'no', e.running.length]);
    console.log(formatTable(['EXECUTOR', 'APP', 'HANDLERS', 'GLUE', 'RUNNING'], rows));
  },
);

export const jobCommand = subcommandGroup('job', 'Defines, fires and inspects scheduled jobs.', [
  definitionCommand('create', 'Defines a job: cron, fixed rate, fixed delay, one shot or manual.'),
  definitionCommand('update', "Replaces a job's definition (its schedule is armed afresh)."),
  list,
  describe,
  byNameCommand('trigger', 'Fires a job now.'),
  byNameCommand('pause', 'Stops firing a job.'),
  byNameCommand('resume', 'Fires a paused job again.'),
  cancel,
  byNameCommand('delete', 'Deletes a job, cancelling its active runs.'),
  runs,
  executors,
]);
