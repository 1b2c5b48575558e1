// How a storage failure is reported to a client: the RocketMQ response code whose meaning is
// closest, so existing clients react correctly (retry elsewhere, give up, or treat as stored).
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { StoreError, type StoreErrorCode } from '../../storage/index.js';
import { FencedError } from '../replication/fenced-error.js';
import { ReplicaAckError } from '../replication/replica-ack-error.js';

const CODES: Readonly<Record<StoreErrorCode, number>> = {
  INVALID_TOPIC: RESPONSE_CODE.MESSAGE_ILLEGAL,
  INVALID_QUEUE_ID: RESPONSE_CODE.MESSAGE_ILLEGAL,
  INVALID_BODY: RESPONSE_CODE.MESSAGE_ILLEGAL,
  BODY_TOO_LARGE: RESPONSE_CODE.MESSAGE_ILLEGAL,
  PROPERTIES_TOO_LARGE: RESPONSE_CODE.MESSAGE_ILLEGAL,
  INVALID_PROPERTY: RESPONSE_CODE.MESSAGE_ILLEGAL,
  INVALID_MESSAGE: RESPONSE_CODE.MESSAGE_ILLEGAL,
  INVALID_OPTION: RESPONSE_CODE.SYSTEM_ERROR,
  // Written to the log but not flushed in time: RocketMQ reports FLUSH_DISK_TIMEOUT, which
  // clients count as stored.
  FLUSH_TIMEOUT: RESPONSE_CODE.FLUSH_DISK_TIMEOUT,
  FLUSH_FAILED: RESPONSE_CODE.SERVICE_NOT_AVAILABLE,
  STORE_FAILED: RESPONSE_CODE.SERVICE_NOT_AVAILABLE,
  STORE_CLOSED: RESPONSE_CODE.SERVICE_NOT_AVAILABLE,
  STORE_LOCKED: RESPONSE_CODE.SERVICE_NOT_AVAILABLE,
  DISK_FULL: RESPONSE_CODE.SERVICE_NOT_AVAILABLE,
  IO_ERROR: RESPONSE_CODE.SYSTEM_ERROR,
  CORRUPT_STORE: RESPONSE_CODE.SYSTEM_ERROR,
  CONFIG_MISMATCH: RESPONSE_CODE.SYSTEM_ERROR,
  REPLICATION_DIVERGED: RESPONSE_CODE.SYSTEM_ERROR,
  // A slave refuses writes as RocketMQ's does: the client retries on its master.
  REPLICA_READ_ONLY: RESPONSE_CODE.SERVICE_NOT_AVAILABLE,
};

/** Response code and remark for a failure; non-store errors are SYSTEM_ERROR. */
export function storeErrorResponse(error: unknown): { code: number; remark: string } {
  if (error instanceof StoreError) return { code: CODES[error.code], remark: `[${error.code}] ${error.message}` };
  if (error instanceof ReplicaAckError || error instanceof FencedError)
    return { code: error.responseCode, remark: error.message };
  return { code: RESPONSE_CODE.SYSTEM_ERROR, remark: error instanceof Error ? error.message : String(error) };
}
