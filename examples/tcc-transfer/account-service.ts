// An account service as its own process: a TccParticipant serving one resource over a durable
// AccountStore. Run: node dist/examples/tcc-transfer/account-service.js '<config JSON>'
//   { "coordinatorAddress": "127.0.0.1:10911", "resource": "account-a",
//     "storeFile": "/tmp/a.json", "initial": { "alice": 1000 } }
// Prints {"event":"ready"} once registered with the coordinator.
import { TccParticipant } from '../../client/index.js';
import { accountHandlers } from './account-handlers.js';
import { AccountStore } from './account-store.js';

export interface AccountServiceConfig {
  readonly coordinatorAddress: string;
  readonly resource: string;
  readonly storeFile: string;
  readonly initial: Record<string, number>;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as AccountServiceConfig;
  const store = new AccountStore(config.storeFile, config.initial);
  const participant = new TccParticipant({
    coordinatorAddress: config.coordinatorAddress,
    resources: { [config.resource]: accountHandlers(store) },
  });
  await participant.start();
  process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);
  process.on('SIGTERM', () => {
    participant.close();
    process.exit(0);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
