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
export { parseNameServers, type ClientOptions } from './client-options.js';
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
export type { ClientLogger, ClientLogMethod } from './client-logger.js';
export {
  LockClient,
  type LockClientOptions,
  type AcquireOptions,
  type HeldLock,
  type LockLostEvent,
  type LockStatus,
  type LockHolderStatus,
} from './locks/lock-client.js';
export { IdClient, type IdClientOptions, type WorkerLeaseOptions } from './ids/id-client.js';
export { SegmentIdGenerator, type SegmentOptions } from './ids/segment-id-generator.js';
export { SnowflakeIdGenerator, type SnowflakeOptions, type WorkerIdSource } from './ids/snowflake-id-generator.js';
export { OrderNumberGenerator, type OrderNumberFields } from './ids/order-number-generator.js';
export {
  snowflakeLayout,
  decomposeSnowflake,
  SNOWFLAKE_LAYOUT_DEFAULT,
  type SnowflakeLayout,
} from './ids/snowflake-layout.js';
export { SequenceClock, type SequenceClockOptions } from './ids/sequence-clock.js';
export type { IdRange, SequenceInfo, WorkerGrant } from './ids/id-service.js';
export type { QuotaScope, QuotaSpec } from './admin/admin-quotas.js';
export {
  ConfigClient,
  type ConfigClientOptions,
  type ConfigVersion,
  type ConfigGrayRelease,
  type ConfigItemOptions,
  type PublishOptions,
} from './config-centre/config-client.js';
export type { ConfigItem } from './config-centre/config-item.js';
export type { ConfigChange, ConfigChangeListener } from './config-centre/config-watchers.js';
export { ConfigError, CONFIG_ERRORS, type ConfigErrorCode } from './config-centre/config-error.js';
export { JobExecutor, type JobExecutorOptions, type JobHandler, type JobRunContext } from './scheduler/job-executor.js';
export { JobSchedulerClient, type JobSchedulerClientOptions } from './scheduler/job-scheduler-client.js';
export { JobSchedulerClientError } from './scheduler/job-scheduler-client-error.js';
export type { ExecutorInfo, JobRun, JobScheduleSpec, JobSpec, JobSummary, RunStatus } from './scheduler/job-spec.js';
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
