// Child process of test/integration/job-scheduler.test.ts: a JobExecutor with handlers that
// behave as their run's params say ({"sleepMs": n, "fail": true}), reporting on stdout:
//
//   {"event":"ready","cleaned":n}                       registered
//   {"event":"start","runId":..,"job":..,"shardIndex":..,"shardCount":..,"attempt":..}
//   {"event":"end","runId":..,"aborted":bool}           the handler returned (or threw)
//
// If stdin closes (the parent died), it exits 3. argv[2] is a JSON ExecutorChildConfig.
import { JobExecutor, type JobHandler } from '../../../client/index.js';

export interface ExecutorChildConfig {
  readonly brokerAddress: string;
  readonly executorId: string;
  readonly handlers: readonly string[];
  readonly glue?: boolean;
  readonly leaseMs?: number;
  readonly cleanStale?: boolean;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ExecutorChildConfig;

function report(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const behave: JobHandler = async (run) => {
  const { runId, job, shardIndex, shardCount, attempt } = run;
  report({ event: 'start', runId, job, shardIndex, shardCount, attempt });
  const params = (run.params === '' ? {} : JSON.parse(run.params)) as { sleepMs?: number; fail?: boolean };
  try {
    if (params.sleepMs !== undefined)
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, params.sleepMs);
        run.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new Error('aborted'));
        });
      });
    if (params.fail === true) throw new Error('asked to fail');
    run.log(`ran ${job} shard ${shardIndex}/${shardCount}`);
  } finally {
    report({ event: 'end', runId, aborted: run.signal.aborted });
  }
};

async function main(): Promise<void> {
  const executor = new JobExecutor({
    brokerAddress: config.brokerAddress,
    executorId: config.executorId,
    handlers: Object.fromEntries(config.handlers.map((name) => [name, behave])),
    glue: config.glue === true,
    leaseMs: config.leaseMs ?? 2000,
    cleanStale: config.cleanStale === true,
  });
  const { cleaned } = await executor.start();
  report({ event: 'ready', cleaned });
  process.stdin.on('end', () => void executor.close().then(() => process.exit(3)));
}

process.stdin.resume();
main().catch((error: unknown) => {
  report({ event: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  process.exit(1);
});
