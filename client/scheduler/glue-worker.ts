// Runs one GLUE job inside a piscina worker thread: the job's source is the body of an async
// function of (params, shard, log). A worker thread has its own module graph and globals, so
// the source reaches nothing of the executor's modules or state (it is not a security
// sandbox: it runs with the process's rights). What it returns, and what it logs, come back.
interface GlueTask {
  readonly source: string;
  readonly params: string;
  readonly shard: { index: number; count: number };
}

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
  ...args: string[]
) => (...values: unknown[]) => Promise<unknown>;

export default async function runGlue(task: GlueTask): Promise<{ result: string; output: string }> {
  const lines: string[] = [];
  const log = (...parts: unknown[]): void => {
    lines.push(parts.map(String).join(' '));
  };
  const body = new AsyncFunction('params', 'shard', 'log', task.source);
  const result = await body(task.params, task.shard, log);
  return { result: result === undefined ? '' : String(result), output: lines.join('\n') };
}
