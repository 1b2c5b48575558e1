// `tributary bench produce`: how fast Tributary's own Producer gets messages acknowledged, with
// a window of sends in flight (closed loop) or at a fixed rate (open loop), and the latency of
// each send.
import { BENCH_TOPIC_DEFAULT } from '../bench/bench-constants.js';
import { BenchRun, type BenchOutcome } from '../bench/bench-run.js';
import { benchFlags, benchSettingsFrom } from '../bench/bench-settings.js';
import { phaseResult } from '../../bench/phase-result.js';
import { cliCommand } from './cli-command.js';
import { runSendPhase } from '../bench/send-phase.js';

export const SEND_LATENCY_MEASURES = 'send() call to its result';

export const benchProduceCommand = cliCommand(
  'produce',
  {
    name: 'bench produce',
    summary: 'Measures sending: msgs/s, MB/s and send latency, with sends in flight or at a fixed rate.',
    flags: benchFlags('produce'),
    examples: [
      'tributary bench produce                        # 100 B, 1,000 in flight, 10 s, broker in a child process',
      'tributary bench produce --in-flight 1 --count 100000 --size 1024',
      'tributary bench produce --flush sync --producers 4 --json > produce.json',
      'tributary bench produce --namesrv 10.0.0.1:9876 --rate 20000 --duration-s 60',
    ],
  },
  (line) => {
    const settings = benchSettingsFrom('produce', line, { topic: BENCH_TOPIC_DEFAULT });
    return BenchRun.execute(settings, produce);
  },
);

async function produce(run: BenchRun): Promise<BenchOutcome> {
  const { settings } = run;
  const template = Buffer.alloc(settings.messageBytes, 'a');
  const sent = await runSendPhase(run, {
    label: 'produce',
    plan: settings,
    body: () => template,
    ratePerS: settings.ratePerS,
    measured: true,
  });
  await run.endMeasuring();
  const lag = sent.pacingLagMs;
  return {
    result: phaseResult(sent.meter.totals(), SEND_LATENCY_MEASURES),
    ...(lag === undefined ? {} : { details: { pacingLagP99Ms: lag.p99Ms, pacingLagMaxMs: lag.maxMs } }),
  };
}
