// ali-ons 3.12.0 (a pure-JS RocketMQ 4.x remoting client, a devDependency used only by the
// compatibility test) ships no types. This covers what test/integration/children/ali-ons-*.ts
// use.
declare module 'ali-ons' {
  import type { EventEmitter } from 'node:events';

  interface ClientOptions {
    /** 'host:port' or a list; the Aliyun address server is then never asked. */
    nameSrv: string | string[];
    /** Asserted by the constructor even though unused with nameSrv: any truthy object. */
    httpclient: object;
    logger?: { info(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void; debug(...args: unknown[]): void };
    /** Optional; with both, requests carry AccessKey, OnsChannel and Signature extFields. */
    accessKey?: string;
    secretKey?: string;
    instanceName?: string;
    pollNameServerInteval?: number;
    heartbeatBrokerInterval?: number;
    persistConsumerOffsetInterval?: number;
    rebalanceInterval?: number;
  }

  interface MessageQueue {
    readonly topic: string;
    readonly brokerName: string;
    readonly queueId: number | string;
  }

  class Message {
    /** The 2-argument form sends TAGS "null". */
    constructor(topic: string, tags: string | null, body: string | Buffer);
    constructor(topic: string, body: string | Buffer);
    topic: string;
    tags: string | null;
    /** Set from an array; read back as the space-joined string. */
    get keys(): string | undefined;
    set keys(value: readonly string[]);
    body: Buffer;
    properties: Record<string, string>;
    delayTimeLevel: number;
    readonly msgId: string;
    readonly queueId: number;
    readonly queueOffset: number;
    readonly commitLogOffset: number;
    readonly reconsumeTimes: number;
    readonly storeTimestamp: number;
    readonly bornTimestamp: number;
    readonly storeHost: string;
    readonly bornHost: string;
    readonly sysFlag: number;
    readonly retryTopic: string | undefined;
    readonly originMessageId: string | undefined;
  }

  interface SendResult {
    readonly sendStatus: string;
    readonly msgId: string;
    readonly messageQueue: MessageQueue;
    readonly queueOffset: number;
  }

  class Producer extends EventEmitter {
    constructor(options: ClientOptions & { producerGroup: string; sendMsgTimeout?: number; retryTimesWhenSendFailed?: number });
    ready(): Promise<void>;
    send(message: Message): Promise<SendResult>;
    close(): Promise<void>;
  }

  class Consumer extends EventEmitter {
    static readonly ACTION_RETRY: string;
    constructor(
      options: ClientOptions & {
        consumerGroup: string;
        consumeFromWhere?: 'CONSUME_FROM_LAST_OFFSET' | 'CONSUME_FROM_FIRST_OFFSET' | 'CONSUME_FROM_TIMESTAMP';
        /** Local time, 'yyyyMMddHHmmss'. */
        consumeTimestamp?: string;
        isBroadcast?: boolean;
        maxReconsumeTimes?: number;
        parallelConsumeLimit?: number;
      },
    );
    ready(): Promise<void>;
    subscribe(topic: string, subExpression: string, handler: (message: Message) => Promise<unknown>): void;
    /** Queues this consumer owns, keyed by MessageQueue.key; an entry appears once its start offset is known. */
    readonly processQueueTable: ReadonlyMap<string, { readonly messageQueue: MessageQueue; readonly nextOffset: number }>;
    close(): Promise<void>;
  }

  const ons: { Message: typeof Message; Producer: typeof Producer; Consumer: typeof Consumer };
  export default ons;
  export type { ClientOptions, MessageQueue, SendResult };
  export { Message, Producer, Consumer };
}
