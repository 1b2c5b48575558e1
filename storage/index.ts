// tributary/storage: the embeddable, crash-safe log store.
export { MessageStore, type ReadResult, type ReadStatus, type StoreStats } from './message-store.js';
export type { StorageFileSystem, StorageFile, StorageMapping } from './storage-file-system.js';
export { NodeFileSystem } from './node-file-system.js';
export { SimulatedFileSystem, type SimulatedFaults } from './simulated-file-system.js';
export type { AppendResult } from './append-result.js';
export type { MessageInput } from './message-encoder.js';
export type { MessageStoreOptions, FlushMode } from './store-options.js';
export { StoredMessage } from './stored-message.js';
export { StoreError, STORE_ERRORS, type StoreErrorCode } from './store-error.js';
export { MESSAGE_PROPERTIES, encodeProperties, decodeProperties, findProperty } from './message-properties.js';
export { OffsetMessageId } from './offset-message-id.js';
export type { RecoveryReport } from './recovery.js';
export { isValidTopic } from './topic-registry.js';
