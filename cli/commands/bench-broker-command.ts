// `tributary bench broker`: the name server and broker that the other bench commands start in a
// child process when no --namesrv is given, so the load generator and the broker never share an
// event loop. It reports on itself: event-loop delay, CPU, GC pauses, memory and store
// counters, and can profile itself, all on request over stdin, so the measured window is
// exactly the benchmark's.
//
// Protocol: one JSON object per line. It prints {"event":"ready","nameServer","broker","pid"}
// once listening, then answers each command read from stdin with one line
// {"reply":<command>,...}:
//   {"command":"reset"}                    start a fresh measurement (probe counters to zero)
//   {"command":"report"}                   {"reply":"report","process":ProcessReport,"store":...}
//   {"command":"profile-start"}            start the CPU and heap sampling profilers
//   {"command":"profile-stop","prefix":p}  write p.cpuprofile and p.heapprofile
//   {"command":"stop"}                     close cleanly, print {"event":"stopped",...} with the
//                                          report since the last reset, exit 0
// End of stdin, SIGINT and SIGTERM also stop it. The benchmark starts it in its own process
// group, so Ctrl-C in the benchmark's terminal reaches only the benchmark, which then stops
// the load, asks this child for its report and stops it.
import readline from 'node:readline';

import { startBroker, type Broker } from '../../broker/index.js';
import { startNameServer } from '../../namesrv/index.js';
import { BYTES_PER_MIB } from '../cli-constants.js';
import { cliCommand } from './cli-command.js';
import { cliFailure } from '../cli-failure.js';
import { ProcessProbe } from '../../bench/process-probe.js';
import { ProcessProfiler } from '../bench/process-profiler.js';

const LOOPBACK = '127.0.0.1';

export interface BenchBrokerCommand {
  readonly command: 'reset' | 'report' | 'profile-start' | 'profile-stop' | 'stop';
  readonly prefix?: string;
}

export const benchBrokerCommand = cliCommand(
  'broker',
  {
    name: 'bench broker',
    summary: 'The broker the other bench commands start as a child process; driven over stdin (see source).',
    flags: {
      data: { type: 'string', required: true, placeholder: 'dir', description: 'data directory (a fresh one)' },
      flush: {
        type: 'string',
        choices: ['async', 'sync'],
        description: 'acknowledge a send once in memory (async) or once on disk (sync)',
        defaultText: 'async',
      },
      'segment-mb': { type: 'integer', min: 1, description: 'commit log segment size in MiB', defaultText: '1024' },
    },
  },
  async (line) => {
    const probe = new ProcessProbe();
    const nameServer = await startNameServer({ host: LOOPBACK, port: 0 }).catch((error: unknown) => {
      throw cliFailure(error);
    });
    const segmentMiB = line.integer('segment-mb');
    const broker = await startBroker({
      dataDirectory: line.string('data')!,
      host: LOOPBACK,
      port: 0,
      advertisedHost: LOOPBACK,
      nameServers: [`${LOOPBACK}:${nameServer.port}`],
      flush: line.string('flush', 'async') as 'async' | 'sync',
      ...(segmentMiB === undefined ? {} : { store: { segmentBytes: segmentMiB * BYTES_PER_MIB } }),
    }).catch(async (error: unknown) => {
      await nameServer.close();
      throw cliFailure(error);
    });
    print({ event: 'ready', nameServer: `${LOOPBACK}:${nameServer.port}`, broker: broker.address, pid: process.pid });
    await serveCommands(broker, probe);
    const last = { process: probe.report(), store: broker.context.store.stats() };
    probe.close();
    await broker.close();
    await nameServer.close();
    print({ event: 'stopped', ...last });
  },
);

/** Answers commands until told to stop, stdin ends or SIGINT or SIGTERM arrives. */
async function serveCommands(broker: Broker, probe: ProcessProbe): Promise<void> {
  const profiler = new ProcessProfiler();
  const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  let onSignal: () => void = () => undefined;
  await new Promise<void>((resolve) => {
    onSignal = resolve;
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    input.once('close', resolve);
    input.on('line', (text) => {
      if (text.trim() === '') return;
      let request: BenchBrokerCommand;
      try {
        request = JSON.parse(text) as BenchBrokerCommand;
      } catch {
        return print({ reply: 'error', message: `not JSON: ${text}` });
      }
      if (request.command === 'stop') return resolve();
      void answer(request, broker, probe, profiler).then(print, (error: unknown) =>
        print({ reply: 'error', message: error instanceof Error ? error.message : String(error) }),
      );
    });
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  input.close();
  await profiler.discard();
}

async function answer(
  request: BenchBrokerCommand,
  broker: Broker,
  probe: ProcessProbe,
  profiler: ProcessProfiler,
): Promise<Record<string, unknown>> {
  switch (request.command) {
    case 'reset':
      probe.reset();
      return { reply: 'reset' };
    case 'report':
      return { reply: 'report', process: probe.report(), store: broker.context.store.stats() };
    case 'profile-start':
      await profiler.start();
      return { reply: 'profile-start' };
    case 'profile-stop':
      return { reply: 'profile-stop', files: await profiler.stop(request.prefix ?? `broker-${process.pid}`) };
    default:
      return { reply: 'error', message: `unknown command ${String(request.command)}` };
  }
}

function print(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
