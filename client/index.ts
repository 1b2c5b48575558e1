// tributary: the client. Producer, TransactionProducer, PushConsumer and Admin over RocketMQ's remoting protocol.
export { Producer, type ProducerOptions, type SendResult } from './producer/producer.js';
export {
  TransactionProducer,
  type TransactionProducerOptions,
  type TransactionSendResult,
  type TransactionVerdict,
  type TransactionChecker,
  type LocalTransaction,
} from './producer/transaction-producer.js';
export type { Message } from './producer/outgoing-message.js';
export { PushConsumer, type PushConsumerOptions, type DeduplicateOptions } from './consumer/push-consumer.js';
export { DeduplicationWindow, type DeduplicationStore } from './consumer/deduplication-window.js';
export type { MessageHandler, ConsumeVerdict } from './consumer/consume-dispatcher.js';
export { receivedMessageFields, type ReceivedMessage } from '../protocol/message-decoder.js';
export { ClientError, CLIENT_ERRORS, type ClientErrorCode } from './client-error.js';
export { UndecodableMessageError, type UndecodableMessageIds } from './consumer/undecodable-message-error.js';
export type { ClientOptions } from './client-options.js';
export type { AccessCredentials } from '../protocol/request-signature.js';
export type { ClientTlsOptions } from './remoting/client-tls-options.js';
export type { MessageQueue } from './topic-route.js';
export { Admin, type TopicQueueStatus, type GroupQueueProgress, type CreateTopicOptions } from './admin/admin.js';
export type { DeadLetter, DeadLetterQuery, ResentDeadLetter } from './admin/admin-dead-letters.js';
export type { BrokerStatus, ClusterBroker } from './admin/admin-cluster.js';
export type { GroupDelivery, MessageTrace, RetryCopy, StoredPlace } from './admin/admin-message-trace.js';
export type { ResetResult, ResetTarget } from './admin/admin-reset-offset.js';
export type { QueueOffset } from '../protocol/reset-offset-body.js';
export type { GroupDescription, GroupMember, GroupSummary } from './admin/admin-groups.js';
export { TccCoordinatorClient, type TccConnectionOptions } from './tcc/tcc-coordinator-client.js';
export { TccTransaction, type TccTransactionOptions } from './tcc/tcc-transaction.js';
export {
  TccParticipant,
  type TccParticipantOptions,
  type TccBranchHandlers,
  type TccBranchCall,
} from './tcc/tcc-participant.js';
export { TccError, type TccErrorCode } from './tcc/tcc-error.js';
export { xidHeaders, xidFrom, TCC_XID_HEADER } from '../protocol/tcc-xid-headers.js';
export type { TccGlobalStatus, TccBranchStatus, TccGlobalState, TccBranchState } from '../protocol/tcc-status.js';
