// The consuming side of a benchmark, through Tributary's own PushConsumer: `count` members of
// one fresh consumer group (clustering, so the queues are split among them), each handing
// every message to the benchmark's handler, which returns at once.
import { PushConsumer, type ReceivedMessage } from '../../client/index.js';

export interface ReceiveLoad {
  readonly nameServer: string;
  readonly topic: string;
  readonly group: string;
  readonly consumers: number;
  readonly consumeFrom: 'first' | 'last';
  readonly pullBatch: number | undefined;
  readonly handler: (message: ReceivedMessage) => void;
  readonly onError: (error: unknown) => void;
}

export interface ReceivingConsumers {
  /** Shuts every consumer down (finishing in-flight handlers, committing offsets). */
  shutdown(): Promise<void>;
}

export async function startReceiveLoad(load: ReceiveLoad): Promise<ReceivingConsumers> {
  const consumers = Array.from(
    { length: load.consumers },
    () =>
      new PushConsumer({
        nameServer: load.nameServer,
        group: load.group,
        subscriptions: { [load.topic]: '*' },
        consumeFrom: load.consumeFrom,
        ...(load.pullBatch === undefined ? {} : { pullBatchSize: load.pullBatch }),
      }),
  );
  for (const consumer of consumers) consumer.onError(load.onError);
  const shutdown = async (): Promise<void> => {
    await Promise.all(consumers.map((consumer) => consumer.shutdown()));
  };
  try {
    await Promise.all(consumers.map((consumer) => consumer.start(load.handler)));
  } catch (error) {
    await shutdown();
    throw error;
  }
  return { shutdown };
}

/** A consumer group no earlier run used, so 'first' and 'last' mean this run's start. */
export function freshGroupName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${process.pid}`;
}
