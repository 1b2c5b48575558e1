// Child process of test/integration/tcc-transfer-faults.test.ts: the example's account service
// (examples/tcc-transfer/) with faults injected at every step of every branch action, drawn from
// a seeded random source:
//   - SIGKILL of itself before the handler runs, between changing the store and writing it, or
//     after writing it and before the report reaches the coordinator;
//   - a try delayed past the coordinator's try timeout;
//   - a call duplicated and replayed later, out of order with the calls after it.
// Prints {"event":"ready"} once registered, {"event":"refused",...} for each refused call.
// argv[2] is a JSON FaultyAccountConfig.
import { TccParticipant, type TccBranchCall, type TccBranchHandlers } from '../../../client/index.js';
import { accountHandlers } from '../../../examples/tcc-transfer/account-handlers.js';
import { AccountStore } from '../../../examples/tcc-transfer/account-store.js';
import { seededRandom } from '../../support/seeded-random.js';

export interface FaultyAccountConfig {
  readonly coordinatorAddress: string;
  readonly resource: string;
  readonly storeFile: string;
  readonly initial: Record<string, number>;
  readonly seed: number;
  /** Chance of a SIGKILL at each of the three points of a call. */
  readonly crashChance: number;
  readonly delayChance: number;
  readonly delayMs: number;
  readonly duplicateChance: number;
  readonly duplicateDelayMsMax: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as FaultyAccountConfig;
const random = seededRandom('faulty-account', config.seed, false);

function report(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function maybeCrash(where: string, call: TccBranchCall): void {
  if (random.next() >= config.crashChance) return;
  report({ event: 'crash', where, action: call.action, xid: call.xid });
  process.kill(process.pid, 'SIGKILL');
}

function faulty(inner: TccBranchHandlers): TccBranchHandlers {
  const run = async (call: TccBranchCall): Promise<{ empty?: boolean } | void> => {
    maybeCrash('before', call);
    if (call.action === 'try' && random.next() < config.delayChance)
      await new Promise((resolve) => setTimeout(resolve, config.delayMs));
    const outcome = await inner[call.action](call);
    maybeCrash('after-save', call);
    if (random.next() < config.duplicateChance) {
      setTimeout(() => {
        Promise.resolve()
          .then(() => inner[call.action](call))
          .catch((error: unknown) => report({ event: 'refused', action: call.action, message: String(error) }));
      }, random.int(config.duplicateDelayMsMax));
    }
    return outcome;
  };
  return { try: run, confirm: run, cancel: run } as TccBranchHandlers;
}

async function main(): Promise<void> {
  const store = new AccountStore(config.storeFile, config.initial);
  const handlers = accountHandlers(store, { beforeSave: (call) => maybeCrash('before-save', call) });
  const participant = new TccParticipant({
    coordinatorAddress: config.coordinatorAddress,
    resources: { [config.resource]: faulty(handlers) },
    onError: (error, call) => report({ event: 'refused', action: call.action, message: String(error) }),
  });
  for (;;) {
    try {
      await participant.start();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100)); // The coordinator is restarting.
    }
  }
  report({ event: 'ready' });
}

process.stdin.on('end', () => process.exit(3));
process.stdin.resume();
main().catch((error: unknown) => {
  report({ event: 'failed', message: String(error) });
  process.exit(1);
});
