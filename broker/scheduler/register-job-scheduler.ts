// Wires the job scheduler into a started broker: its request codes, executors leaving with
// their connections, and the firing and sweeping loops.
import type { RemotingServer } from '../../server/remoting-server.js';
import type { BrokerContext } from '../broker-context.js';
import { JobSchedulerProcessor } from './job-scheduler-processor.js';

export async function registerJobScheduler(server: RemotingServer, context: BrokerContext): Promise<void> {
  const { scheduler } = context;
  const processor = new JobSchedulerProcessor(scheduler);
  for (const [code, handler] of processor.routes())
    server.register(code, (request, channel) => processor.handle(handler, request, channel));
  server.onChannelClosed((channel) => {
    for (const executor of scheduler.executors.onChannel(channel.id))
      void scheduler.dispatcher
        .executorGone(executor, 'closed its connection')
        .catch((error: unknown) => context.options.onError(error, `removing executor ${executor.id}`));
  });
  await scheduler.start();
}
