// The distributed lock requests (21000-21004), bodies JSON:
//
//   ACQUIRE  {"name": "orders", "token": "owner-token", "leaseMs": 10000,
//             "kind": "mutex" | "rw" | "semaphore",          (default "mutex")
//             "mode": "read" | "write",                        (rw only; default "write")
//             "permits": 3,                                    (semaphore only; mutex and rw: 1)
//             "waitMs": 0 | N}                                 (0: try-lock; absent: wait until granted)
//            -> {"name": "orders", "fence": 42, "leaseMs": 10000, "waitedMs": 0}
//   RELEASE  {"name", "token"}                 -> (no body)
//   RENEW    {"name", "token", "leaseMs"?}     -> {"name", "fence", "leaseMs", "waitedMs": 0}
//            (binds the lease to the renewing connection: its close then ends the lease)
//   STATUS   {"name"}                          -> LockStatus JSON, or {} when no one holds it
//   LIST     (no body)                         -> [LockStatus, ...]
//   KEEPALIVE (no body)                        -> (no body): traffic, so the idle timeout
//            (server/, 120 s by default) never closes a holder's or waiter's connection
//
// Refusals carry the response code named like the DistributedLockError's code (LOCK_BUSY,
// LOCK_WAIT_TIMEOUT, LOCK_NOT_HELD, ...) and a remark.
import { bodyOf, responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import type { Channel } from '../../server/remoting-server.js';
import {
  DISTRIBUTED_LOCK_LEASE_MS_MAX,
  DISTRIBUTED_LOCK_LEASE_MS_MIN,
  DISTRIBUTED_LOCK_NAME_BYTES_MAX,
  DISTRIBUTED_LOCK_PERMITS_MAX,
  DISTRIBUTED_LOCK_TOKEN_BYTES_MAX,
  DISTRIBUTED_LOCK_WAIT_MS_MAX,
} from '../broker-constants.js';
import type { LockKind, LockMode } from '../state/distributed-lock-table.js';
import { DistributedLockError } from './distributed-lock-error.js';
import type { AcquireRequest, DistributedLockService } from './distributed-lock-service.js';

const KINDS: ReadonlySet<string> = new Set(['mutex', 'rw', 'semaphore']);

export class LockRequestProcessor {
  constructor(private readonly locks: DistributedLockService) {}

  acquire(request: RemotingCommand, channel: Channel): Promise<RemotingCommand> {
    return answer(request, async () => this.locks.acquire(acquireRequest(parseBody(request)), channel));
  }

  release(request: RemotingCommand): Promise<RemotingCommand> {
    return answer(request, async () => {
      const body = parseBody(request);
      await this.locks.release(lockName(body.name), ownerToken(body.token));
      return undefined;
    });
  }

  renew(request: RemotingCommand, channel: Channel): Promise<RemotingCommand> {
    return answer(request, async () => {
      const body = parseBody(request);
      const leaseMs = body.leaseMs === undefined ? undefined : lease(body.leaseMs);
      return this.locks.renew(lockName(body.name), ownerToken(body.token), leaseMs, channel);
    });
  }

  status(request: RemotingCommand): Promise<RemotingCommand> {
    return answer(request, async () => this.locks.status(lockName(parseBody(request).name)) ?? {});
  }

  list(request: RemotingCommand): Promise<RemotingCommand> {
    return answer(request, async () => this.locks.list());
  }
}

/** Runs `work`; its result as a JSON body, a lock refusal as its response code. */
async function answer(request: RemotingCommand, work: () => Promise<unknown>): Promise<RemotingCommand> {
  try {
    const result = await work();
    const body = result === undefined ? undefined : Buffer.from(JSON.stringify(result));
    return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, undefined, body);
  } catch (error) {
    if (!(error instanceof DistributedLockError)) throw error;
    return responseTo(request, RESPONSE_CODE[error.code], error.message);
  }
}

function parseBody(request: RemotingCommand): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyOf(request).toString('utf8'));
  } catch {
    throw bad('the body is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad('the body must be an object');
  return parsed as Record<string, unknown>;
}

function acquireRequest(body: Record<string, unknown>): AcquireRequest {
  const kind = body.kind ?? 'mutex';
  if (typeof kind !== 'string' || !KINDS.has(kind)) throw bad('kind must be mutex, rw or semaphore');
  const mode = kind === 'semaphore' ? 'permit' : kind === 'mutex' ? 'write' : (body.mode ?? 'write');
  if (mode !== 'read' && mode !== 'write' && mode !== 'permit') throw bad('mode must be read or write');
  const permits = kind === 'semaphore' ? integer(body.permits, 'permits', 1, DISTRIBUTED_LOCK_PERMITS_MAX) : 1;
  const waitMs =
    body.waitMs === undefined ? undefined : integer(body.waitMs, 'waitMs', 0, DISTRIBUTED_LOCK_WAIT_MS_MAX);
  return {
    name: lockName(body.name),
    token: ownerToken(body.token),
    kind: kind as LockKind,
    permits,
    mode: mode as LockMode,
    leaseMs: lease(body.leaseMs),
    waitMs,
  };
}

function lockName(value: unknown): string {
  if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > DISTRIBUTED_LOCK_NAME_BYTES_MAX)
    throw bad(`name must be 1-${DISTRIBUTED_LOCK_NAME_BYTES_MAX} bytes`);
  return value;
}

function ownerToken(value: unknown): string {
  if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > DISTRIBUTED_LOCK_TOKEN_BYTES_MAX)
    throw bad(`token must be 1-${DISTRIBUTED_LOCK_TOKEN_BYTES_MAX} bytes`);
  return value;
}

function lease(value: unknown): number {
  return integer(value, 'leaseMs', DISTRIBUTED_LOCK_LEASE_MS_MIN, DISTRIBUTED_LOCK_LEASE_MS_MAX);
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
    throw bad(`${field} must be an integer in ${min}-${max}`);
  return value;
}

function bad(message: string): DistributedLockError {
  return new DistributedLockError('LOCK_BAD_REQUEST', message);
}
