// Child process of test/integration/unique-ids.test.ts: takes ids from the broker without
// pause (segment or snowflake mode), riding out a broker crash, and reports every id it handed
// out. JSON lines on stdout:
//
//   {"event":"ready","workerId":..}      the generator is started
//   {"event":"ids","ids":["..",..]}       ids handed out since the last line (decimal strings)
//   {"event":"done","count":..}           after "stop" on stdin: every id has been reported
//
// Failures while the broker is down (ID_BUFFER_EMPTY, BROKER_UNAVAILABLE, TIMEOUT, ID_LEASE_LOST
// on a renewal that could not reach it) are waited out: a lost lease means a new generator on a
// newly leased worker id. Exits 3 when stdin closes.
//
// argv[2] is a JSON IdTakerConfig.
import { ClientError, IdClient, type SegmentIdGenerator, type SnowflakeIdGenerator } from '../../../client/index.js';

export interface IdTakerConfig {
  readonly nameServer: string;
  readonly mode: 'segment' | 'snowflake';
  /** Sequence (segment) or worker id space (snowflake). */
  readonly name: string;
  readonly rangeSize?: number;
  readonly leaseTtlMs?: number;
  /** Ids per tick; a tick every TICK_MS. */
  readonly idsPerTick: number;
}

const TICK_MS = 5;
const RETRY_MS = 20;
const config = JSON.parse(process.argv[2] ?? '{}') as IdTakerConfig;
const ids = new IdClient({ nameServer: config.nameServer, requestTimeoutMs: 1000 });
let stopping = false;
let count = 0;

function report(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Around a broker SIGKILL any client error can come back for a moment (a refused request while
 * the restarted broker recovers, a route gone); what this child proves is uniqueness, so it
 * waits such errors out, for at most OUTAGE_MS in a row, and fails only on other errors.
 */
const OUTAGE_MS = 20_000;

function transient(error: unknown): boolean {
  return error instanceof ClientError && error.code !== 'INVALID_ARGUMENT';
}

async function retrying<T>(attempt: () => Promise<T>): Promise<T> {
  const giveUpAt = Date.now() + OUTAGE_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!transient(error) || Date.now() > giveUpAt) throw error;
      await pause(RETRY_MS);
    }
  }
}

async function generator(): Promise<{ next(): bigint | number; workerId?: number }> {
  if (config.mode === 'segment')
    return retrying<SegmentIdGenerator>(() => ids.segment(config.name, { rangeSize: config.rangeSize }));
  return retrying<SnowflakeIdGenerator>(() => ids.snowflake(config.name, { leaseTtlMs: config.leaseTtlMs }));
}

async function main(): Promise<void> {
  let source = await generator();
  report({ event: 'ready', workerId: source.workerId });
  while (!stopping) {
    const batch: string[] = [];
    try {
      while (batch.length < config.idsPerTick) batch.push(String(source.next()));
    } catch (error) {
      if (!transient(error)) throw error;
      if ((error as ClientError).code === 'ID_LEASE_LOST') source = await generator();
    }
    count += batch.length;
    if (batch.length > 0) report({ event: 'ids', ids: batch });
    await pause(TICK_MS);
  }
  await ids.close().catch(() => undefined);
  report({ event: 'done', count });
  process.exit(0);
}

process.stdin.setEncoding('utf8').on('data', (text: string) => {
  if (text.includes('stop')) stopping = true;
});
process.stdin.on('end', () => process.exit(3));

main().catch((error: unknown) => {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  report({ event: 'failed', message });
  // On stderr too, so the parent's failure report shows it with the child's output.
  process.stderr.write(`id-taker failed: ${message}\n`);
  process.exit(1);
});
