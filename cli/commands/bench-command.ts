// `tributary bench produce|consume|e2e|storage`: throughput and latency figures measured with
// Tributary's own client, against a broker started elsewhere (--namesrv) or one the benchmark
// starts in a child process; `storage` runs the storage engine's benchmarks. `bench broker` is
// the child the others start.
import { benchBrokerCommand } from './bench-broker-command.js';
import { benchConsumeCommand } from './bench-consume-command.js';
import { benchE2eCommand } from './bench-e2e-command.js';
import { benchProduceCommand } from './bench-produce-command.js';
import { benchStorageCommand } from './bench-storage-command.js';
import { subcommandGroup } from '../subcommand-group.js';

export const benchCommand = subcommandGroup(
  'bench',
  'Measures throughput and latency: produce, consume, end to end, storage.',
  [benchProduceCommand, benchConsumeCommand, benchE2eCommand, benchStorageCommand, benchBrokerCommand],
);
