// The benchmark's topic: created (or its queue count changed) on every broker, then awaited
// until the name server routes it with that many queues, so the first send neither fails nor
// goes to a route with the old queue count.
import { Admin } from '../../client/index.js';
import { BENCH_TOPIC_ROUTE_WAIT_MS } from './bench-constants.js';
import { TOPIC_ROUTE_POLL_INTERVAL_MS } from '../cli-constants.js';
import { CliFailure, cliFailure } from '../cli-failure.js';

export async function prepareBenchTopic(nameServer: string, topic: string, queues: number): Promise<void> {
  const admin = new Admin({ nameServer });
  try {
    await admin.createTopic(topic, { queues });
    const deadline = Date.now() + BENCH_TOPIC_ROUTE_WAIT_MS;
    for (;;) {
      const routed = await admin.topicStatus(topic).catch(() => []);
      const brokers = new Set(routed.map((queue) => queue.brokerName)).size;
      if (brokers > 0 && routed.length === brokers * queues) return;
      if (Date.now() >= deadline) {
        throw new CliFailure(
          `topic '${topic}' is not routed with ${queues} queues after ${BENCH_TOPIC_ROUTE_WAIT_MS} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, TOPIC_ROUTE_POLL_INTERVAL_MS));
    }
  } catch (error) {
    throw cliFailure(error, { nameServer });
  } finally {
    await admin.close();
  }
}
