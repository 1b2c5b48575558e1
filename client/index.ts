// tributary: the client. Producer, PushConsumer and Admin over RocketMQ's remoting protocol.
export { Producer, type ProducerOptions, type SendResult } from './producer.js';
export type { Message } from './outgoing-message.js';
export { PushConsumer, type PushConsumerOptions } from './push-consumer.js';
export type { MessageHandler, ConsumeVerdict } from './consume-dispatcher.js';
export type { ReceivedMessage } from './remoting/message-decoder.js';
export { ClientError, CLIENT_ERRORS, type ClientErrorCode } from './client-error.js';
export type { ClientOptions } from './client-options.js';
export type { MessageQueue } from './topic-route.js';
export { Admin, type TopicQueueStatus, type GroupQueueProgress, type CreateTopicOptions } from './admin.js';
