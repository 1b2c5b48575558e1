// A consumer group's first heartbeat creates its %RETRY% topic config, so name servers route it
// before a first retry needs it; its queue files come with its first message. When the group's
// last consumer is gone and the topic never held a message, the config goes too: clients that
// heartbeat once and leave (anyone can, without ACL) leave nothing behind. The group's next
// heartbeat creates it again. A retry topic that holds messages is kept for the group's return.
import { RETRY_TOPIC_PREFIX } from '../../protocol/name-rules.js';
import type { BrokerContext } from '../broker-context.js';

/**
 * Retires the retry topic of each group whose last consumer goes, one at a time; stop() stops
 * taking new ones and waits for the one running (before the store closes).
 */
export function retireUnusedRetryTopics(
  context: BrokerContext,
  onError: (error: unknown, context: string) => void,
): { stop(): Promise<void> } {
  let stopped = false;
  let retiring: Promise<void> = Promise.resolve();
  context.consumers.onGroupGone((group) => {
    if (stopped) return;
    retiring = retiring
      .then(() => retireIfUnused(context, group))
      .catch((error: unknown) => onError(error, `removing the unused retry topic of ${group}`));
  });
  return {
    stop: () => {
      stopped = true;
      return retiring;
    },
  };
}

async function retireIfUnused(context: BrokerContext, group: string): Promise<void> {
  const topic = RETRY_TOPIC_PREFIX + group;
  const config = context.topics.get(topic);
  if (config === undefined) return;
  const queues = Math.max(config.readQueueNums, config.writeQueueNums);
  for (let queueId = 0; queueId < queues; queueId++) {
    if (context.store.maxQueueOffset(topic, queueId) > 0) return;
  }
  // A consumer of the group may have come back while the checks above ran.
  if (context.consumers.get(group) !== undefined) return;
  await context.topics.delete(topic);
  context.registerSoon();
}
