// One benchmark run's frame, shared by produce, consume and e2e: the broker (started as a child
// or external), the topic, the output (per-second lines on stdout, or on stderr with --json so
// stdout carries only the summary), Ctrl-C (the first stops the load and still prints the
// summary of what ran, the second exits at once), and the measured window: when measuring
// begins, the broker child and this process reset their probes and start profiling; when it
// ends, both report and the profiles are written.
import fs from 'node:fs';
import path from 'node:path';

import { BenchBroker, type BrokerReport } from './bench-broker.js';
import type { IntervalRecord } from './bench-ticker.js';
import type { BenchSettings } from './bench-settings.js';
import { cpuCostOf, durabilityOf, formatBenchSummary, type BenchSummary } from './bench-summary.js';
import { prepareBenchTopic } from './bench-topic.js';
import { ErrorSample } from '../../bench/error-sample.js';
import type { PhaseResult } from '../../bench/phase-result.js';
import { ProcessProbe, type ProcessReport } from '../../bench/process-probe.js';
import { environmentNow } from '../../bench/run-environment.js';
import { EXIT_CODE_FAILURE } from '../cli-constants.js';
import { ProcessProfiler, type ProfileFiles } from './process-profiler.js';

/** Exit status after a second Ctrl-C (128 + SIGINT). */
const EXIT_CODE_INTERRUPTED = 130;

export interface BenchOutcome {
  readonly result: PhaseResult;
  readonly phases?: Readonly<Record<string, PhaseResult>>;
  readonly details?: Readonly<Record<string, number>>;
}

interface Observations {
  readonly broker: BrokerReport | undefined;
  readonly client: ProcessReport;
  readonly profiles: { client?: ProfileFiles; broker?: ProfileFiles } | undefined;
}

export class BenchRun {
  readonly intervals: IntervalRecord[] = [];
  private readonly errors = new ErrorSample();
  private readonly interruptHandlers: (() => void)[] = [];
  private readonly profiler = new ProcessProfiler();
  private readonly startedAt = new Date();
  private interrupted = false;
  private observations: Observations | undefined;
  private readonly onSignal = (): void => {
    if (this.interrupted) process.exit(EXIT_CODE_INTERRUPTED);
    this.interrupted = true;
    process.stderr.write('tributary: interrupted; stopping the load (Ctrl-C again exits at once)\n');
    for (const handler of this.interruptHandlers) handler();
  };

  private constructor(
    readonly settings: BenchSettings,
    readonly broker: BenchBroker,
    private readonly probe: ProcessProbe,
  ) {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /** Starts (or reaches) the broker and prepares the topic; `work` runs the load. */
  static async execute(settings: BenchSettings, work: (run: BenchRun) => Promise<BenchOutcome>): Promise<void> {
    const probe = new ProcessProbe();
    const broker = await BenchBroker.start({
      nameServer: settings.nameServer,
      flush: settings.flush === 'sync' ? 'sync' : 'async',
      segmentMiB: settings.segmentMiB,
      parentDirectory: settings.dataParent,
    }).catch((error: unknown) => {
      probe.close();
      throw error;
    });
    const run = new BenchRun(settings, broker, probe);
    try {
      await prepareBenchTopic(broker.nameServer, settings.topic, settings.queues);
      const outcome = await work(run);
      run.print(run.summary(outcome));
      if (outcome.result.messages === 0) process.exitCode = EXIT_CODE_FAILURE;
    } finally {
      process.off('SIGINT', run.onSignal);
      process.off('SIGTERM', run.onSignal);
      await broker.stop();
      probe.close();
    }
  }

  get stoppedEarly(): boolean {
    return this.interrupted;
  }

  /** Runs `handler` on the first Ctrl-C (or SIGTERM). */
  onInterrupt(handler: () => void): void {
    this.interruptHandlers.push(handler);
    if (this.interrupted) handler();
  }

  /** A per-second line: stdout, or stderr when stdout is for the JSON summary. */
  write(line: string): void {
    (this.settings.json ? process.stderr : process.stdout).write(`${line}\n`);
  }

  noteError(error: unknown): void {
    this.errors.note(error);
  }

  /** The measured window begins: fresh probes on both sides, profilers on. */
  async beginMeasuring(): Promise<void> {
    this.probe.reset();
    await this.broker.reset();
    if (this.settings.profileDirectory === undefined) return;
    await Promise.all([this.profiler.start(), this.broker.profileStart()]);
  }

  /** The measured window ends: both sides report, profiles are written. */
  async endMeasuring(): Promise<void> {
    if (this.observations !== undefined) return;
    const client = this.probe.report();
    const broker = await this.broker.report();
    let profiles: Observations['profiles'];
    const directory = this.settings.profileDirectory;
    if (directory !== undefined) {
      fs.mkdirSync(directory, { recursive: true });
      const stamp = this.startedAt.toISOString().replace(/[:.]/g, '-');
      const prefix = (side: string): string => path.join(directory, `${this.settings.kind}-${side}-${stamp}`);
      const [clientFiles, brokerFiles] = await Promise.all([
        this.profiler.stop(prefix('client')),
        this.broker.profileStop(prefix('broker')),
      ]);
      profiles = { ...(clientFiles ? { client: clientFiles } : {}), ...(brokerFiles ? { broker: brokerFiles } : {}) };
    }
    this.observations = { client, broker, profiles };
  }

  private summary(outcome: BenchOutcome): BenchSummary {
    const observations = this.observations ?? { client: this.probe.report(), broker: undefined, profiles: undefined };
    return {
      tool: 'tributary bench',
      kind: this.settings.kind,
      version: packageVersion(),
      startedAt: this.startedAt.toISOString(),
      settings: this.settings,
      durability: durabilityOf(this.settings.flush),
      result: outcome.result,
      phases: outcome.phases ?? {},
      details: outcome.details ?? {},
      broker: { external: this.broker.external, nameServer: this.broker.nameServer, report: observations.broker },
      client: observations.client,
      cpuCost: cpuCostOf(outcome.result.messages, observations.client, observations.broker?.process),
      intervals: this.intervals,
      ...(observations.profiles === undefined ? {} : { profiles: observations.profiles }),
      stoppedEarly: this.interrupted,
      errors: this.errors.errors,
      environment: environmentNow(),
    };
  }

  private print(summary: BenchSummary): void {
    if (this.settings.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else process.stdout.write(`${formatBenchSummary(summary)}\n`);
  }
}

function packageVersion(): string {
  // dist/cli/bench/bench-run.js -> the package root.
  const text = fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
