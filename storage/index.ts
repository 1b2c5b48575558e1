// tributary/storage: the embeddable, crash-safe log store.
export {
  MessageStore,
  type ReadResult,
  type ReadStatus,
  type ReplicatedAppend,
  type StoreStats,
} from './message-store.js';
export type { StorageFileSystem, StorageFile, StorageMapping } from './storage-file-system.js';
export { NodeFileSystem } from './node-file-system.js';
export { SimulatedFileSystem, type SimulatedFaults } from './simulated-file-system.js';
export type { AppendResult } from './append-result.js';
export type { MessageInput } from './message-encoder.js';
export type { MessageStoreOptions, FlushMode } from './store-options.js';
export { StoredMessage } from './stored-message.js';
export { StoreError, STORE_ERRORS, type StoreErrorCode } from './store-error.js';
// The properties format is shared with the protocol; these are its names in the storage API.
export {
  PROPERTY as MESSAGE_PROPERTIES,
  encodeMessageProperties as encodeProperties,
  decodeMessageProperties as decodeProperties,
  findProperty,
} from '../protocol/message-properties-codec.js';
export { OffsetMessageId } from '../protocol/offset-message-id.js';
export type { RecoveryReport } from './recovery.js';
export { isValidTopic } from './topic-registry.js';
