// The distributed lock client (issue 13): acquire, try, release and renew locks, read-write
// locks and semaphores held on one broker, with fencing tokens and 'lost' events.
//
//   const locks = new LockClient({ broker: '127.0.0.1:10911' });
//   locks.on('lost', (event) => stopWriting(event.name));
//   const lock = await locks.acquire('orders', { ttlMs: 10_000, autoRenew: true });
//   await db.write(row, { fence: lock.fence });   // the resource refuses fences below its newest
//   await lock.release();
//
// A holder never loses a lock silently. 'lost' is emitted (once per grant) when:
// - the broker says the lease expired (a oneway TRIBUTARY_LOCK_LOST);
// - the client's own lease clock runs out without a successful renewal (the broker's lease
//   started after the request was sent, so the client's clock ends first);
// - the connection closed and a renewal on a new connection is refused (the broker ends the
//   leases of a closed connection; after a broker restart leases survive and the renewal keeps
//   the lock, see broker/locks/distributed-lock-service.ts);
// - an automatic renewal is refused.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';

import { ClientError } from '../client-error.js';
import { expectSuccess } from '../expect-success.js';
import { RemotingClient } from '../remoting/remoting-client.js';
import { clientTlsConnectionOptions, type ClientTlsOptions } from '../remoting/client-tls-options.js';
import { RemotingError } from '../../protocol/remoting-error.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import type { AccessCredentials } from '../../protocol/request-signature.js';

export const LOCK_REQUEST_TIMEOUT_MS_DEFAULT = 3000;
/** An acquire without a wait time waits this long at most (setTimeout's limit). */
export const LOCK_WAIT_FOREVER_MS = 2 ** 31 - 1;
/**
 * While it holds or waits for a lock, the client sends a keepalive this often, so the broker's
 * idle timeout (120 s by default) never closes the connection, which would end its leases.
 */
export const LOCK_KEEPALIVE_INTERVAL_MS_DEFAULT = 20_000;
/** Automatic renewal runs this many times per lease. */
const AUTO_RENEWALS_PER_LEASE = 3;

/**
 * Options of a LockClient. Defaults: no credentials, no TLS, requests time out after
 * LOCK_REQUEST_TIMEOUT_MS_DEFAULT, keepalive every LOCK_KEEPALIVE_INTERVAL_MS_DEFAULT.
 */
export interface LockClientOptions {
  /** 'host:port' of the broker holding the locks. */
  readonly broker: string;
  readonly credentials?: AccessCredentials;
  /** TLS: true trusts the system's CAs. */
  readonly tls?: boolean | ClientTlsOptions;
  readonly requestTimeoutMs?: number;
  /** Keepalive period while holding or waiting (0: none); below the broker's idle timeout. */
  readonly keepAliveIntervalMs?: number;
}

/** How to acquire a lock: its lease, how long to queue, its kind. Only `ttlMs` is required. */
export interface AcquireOptions {
  /** Lease length; renew within it to keep the lock. */
  readonly ttlMs: number;
  /** Give up after this long in the queue (LOCK_WAIT_TIMEOUT); absent: wait until granted. */
  readonly waitMs?: number;
  /** Owner token; a random UUID by default. Whoever knows it may release the lock. */
  readonly token?: string;
  /** 'mutex' (default), 'rw' (with mode) or 'semaphore' (with permits). */
  readonly kind?: 'mutex' | 'rw' | 'semaphore';
  readonly mode?: 'read' | 'write';
  readonly permits?: number;
  /** Renew in the background every ttlMs / 3 until released or lost. */
  readonly autoRenew?: boolean;
}

/**
 * The 'lost' event: this client no longer holds the lock, so it must stop using what the lock
 * guards. Emitted once per grant; `reason` tells which of the broker's notice, the client's own
 * lease clock, a refused renewal after a reconnect, or a refused automatic renewal said so.
 */
export interface LockLostEvent {
  readonly name: string;
  readonly token: string;
  readonly fence: number;
  readonly reason: 'expired' | 'lease-elapsed' | 'connection-closed' | 'renewal-refused';
}

/** One holder of a lock as the broker sees it; `address` is the holder's connection, if known. */
export interface LockHolderStatus {
  readonly fence: number;
  readonly mode: string;
  readonly leaseRemainingMs: number;
  readonly address: string | undefined;
}

/** A lock as the broker holds it now: its kind, its holders, and how many wait in its queue. */
export interface LockStatus {
  readonly name: string;
  readonly kind: string;
  readonly permits: number;
  readonly holders: LockHolderStatus[];
  readonly waiters: number;
}

/** A lock this client was granted; its methods are LockClient's, bound to its name and token. */
export interface HeldLock {
  readonly name: string;
  readonly token: string;
  /** Strictly increasing per lock, across broker restarts: hand it to the guarded resource. */
  readonly fence: number;
  readonly leaseMs: number;
  /** Releases the lock and stops its renewals; ClientError LOCK_NOT_HELD when it was already lost. */
  release(): Promise<void>;
  /** Restarts the lease for `leaseMs` (default: its length); ClientError LOCK_NOT_HELD when it is gone. */
  renew(leaseMs?: number): Promise<void>;
}

interface Tracked {
  readonly name: string;
  readonly token: string;
  readonly fence: number;
  leaseMs: number;
  leaseTimer: NodeJS.Timeout | undefined;
  renewTimer: NodeJS.Timeout | undefined;
}

/**
 * Distributed locks, read-write locks and semaphores held on one broker, with fencing tokens.
 * A holder never loses a lock silently: 'lost' is emitted when the lease ends for any reason.
 * Requests fail with ClientError: TIMEOUT, BROKER_UNAVAILABLE, or the refusals LOCK_BUSY,
 * LOCK_WAIT_TIMEOUT and LOCK_NOT_HELD.
 */
export class LockClient extends EventEmitter<{ lost: [LockLostEvent]; error: [Error] }> {
  private readonly remoting: RemotingClient;
  private readonly timeoutMs: number;
  /** "name\0token" -> a lock this client holds. */
  private readonly held = new Map<string, Tracked>();
  /** Acquires sent and not yet answered. */
  private waiting = 0;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(private readonly options: LockClientOptions) {
    super();
    this.timeoutMs = options.requestTimeoutMs ?? LOCK_REQUEST_TIMEOUT_MS_DEFAULT;
    this.remoting = new RemotingClient({
      credentials: options.credentials,
      tls: options.tls === undefined || options.tls === false ? undefined : clientTlsConnectionOptions(options.tls),
      onRequest: (request) => this.onBrokerRequest(request),
      onDisconnect: () => this.onDisconnect(),
    });
  }

  /** Waits in the broker's FIFO queue until granted (or `waitMs` passes: LOCK_WAIT_TIMEOUT). */
  async acquire(name: string, options: AcquireOptions): Promise<HeldLock> {
    const token = options.token ?? randomUUID();
    const body = {
      name,
      token,
      leaseMs: options.ttlMs,
      kind: options.kind ?? 'mutex',
      mode: options.mode,
      permits: options.permits,
      waitMs: options.waitMs,
    };
    const sentAt = Date.now();
    const waitMs = options.waitMs ?? LOCK_WAIT_FOREVER_MS;
    const timeoutMs = Math.min(LOCK_WAIT_FOREVER_MS, waitMs + this.timeoutMs);
    this.waiting++;
    this.keepAliveWhileBusy();
    let grant: { fence: number; leaseMs: number; waitedMs: number };
    try {
      grant = (await this.call(
        REQUEST_CODE.TRIBUTARY_LOCK_ACQUIRE,
        body,
        `acquire ${name}`,
        timeoutMs,
      )) as typeof grant;
    } finally {
      this.waiting--;
      this.keepAliveWhileBusy();
    }
    // The broker got the request after sentAt and granted it waitedMs later: its lease began
    // after this, so the client's lease clock never outlasts the broker's.
    const leaseStart = sentAt + grant.waitedMs;
    const tracked: Tracked = {
      name,
      token,
      fence: grant.fence,
      leaseMs: grant.leaseMs,
      leaseTimer: undefined,
      renewTimer: undefined,
    };
    this.held.set(key(name, token), tracked);
    this.keepAliveWhileBusy();
    this.startLeaseClock(tracked, grant.leaseMs - (Date.now() - leaseStart));
    if (options.autoRenew === true) this.startAutoRenew(tracked);
    return this.handle(tracked);
  }

  /** Takes the lock only if free now; undefined when taken. */
  async tryAcquire(name: string, options: Omit<AcquireOptions, 'waitMs'>): Promise<HeldLock | undefined> {
    try {
      return await this.acquire(name, { ...options, waitMs: 0 });
    } catch (error) {
      if (error instanceof ClientError && error.code === 'LOCK_BUSY') return undefined;
      throw error;
    }
  }

  /** Releases by owner token; LOCK_NOT_HELD when the token holds no lease on the lock. */
  async release(name: string, token: string): Promise<void> {
    this.untrack(name, token);
    await this.call(REQUEST_CODE.TRIBUTARY_LOCK_RELEASE, { name, token }, `release ${name}`);
  }

  /** Restarts the lease (for `leaseMs`, or its length); LOCK_NOT_HELD when it is gone. */
  async renew(name: string, token: string, leaseMs?: number): Promise<{ fence: number; leaseMs: number }> {
    const sentAt = Date.now();
    const result = (await this.call(REQUEST_CODE.TRIBUTARY_LOCK_RENEW, { name, token, leaseMs }, `renew ${name}`)) as {
      fence: number;
      leaseMs: number;
    };
    const tracked = this.held.get(key(name, token));
    if (tracked !== undefined) {
      tracked.leaseMs = result.leaseMs;
      this.startLeaseClock(tracked, result.leaseMs - (Date.now() - sentAt));
    }
    return result;
  }

  /** The lock's holders and waiters now; undefined when nobody holds or waits for it. */
  async status(name: string): Promise<LockStatus | undefined> {
    const status = (await this.call(REQUEST_CODE.TRIBUTARY_LOCK_STATUS, { name }, `status ${name}`)) as
      LockStatus | Record<string, never>;
    return 'name' in status ? (status as LockStatus) : undefined;
  }

  /** Every lock the broker holds or queues for now. */
  async list(): Promise<LockStatus[]> {
    return (await this.call(REQUEST_CODE.TRIBUTARY_LOCK_LIST, undefined, 'list locks')) as LockStatus[];
  }

  /** Stops renewals and closes the connection (the broker then ends this client's leases). */
  close(): void {
    for (const tracked of this.held.values()) stopTimers(tracked);
    this.held.clear();
    clearInterval(this.keepAlive);
    this.remoting.close();
  }

  private handle(tracked: Tracked): HeldLock {
    const { name, token, fence, leaseMs } = tracked;
    return {
      name,
      token,
      fence,
      leaseMs,
      release: () => this.release(name, token),
      renew: async (ms?: number) => {
        await this.renew(name, token, ms);
      },
    };
  }

  private async call(code: number, body: unknown, what: string, timeoutMs = this.timeoutMs): Promise<unknown> {
    let response: RemotingCommand;
    try {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      response = await this.remoting.invoke(this.options.broker, { code, body: payload }, timeoutMs);
    } catch (error) {
      if (error instanceof RemotingError && error.code === 'TIMEOUT')
        throw new ClientError('TIMEOUT', what, { cause: error });
      throw new ClientError('BROKER_UNAVAILABLE', what, { cause: error });
    }
    const refusal = LOCK_REFUSALS.get(response.code);
    if (refusal !== undefined)
      throw new ClientError(refusal, `${what}: ${response.remark ?? ''}`, { responseCode: response.code });
    const answer = expectSuccess(response, what);
    return answer.length === 0 ? undefined : JSON.parse(answer.toString('utf8'));
  }

  private onBrokerRequest(request: RemotingCommand): undefined {
    if (request.code !== REQUEST_CODE.TRIBUTARY_LOCK_LOST || request.body === undefined) return undefined;
    const notice = JSON.parse(Buffer.from(request.body as Buffer).toString('utf8')) as { name: string; token: string };
    this.lose(notice.name, notice.token, 'expired');
    return undefined;
  }

  /** Leases of a closed connection end at the broker unless it restarted: ask by renewing. */
  private onDisconnect(): void {
    for (const tracked of [...this.held.values()])
      this.renew(tracked.name, tracked.token).catch((error: unknown) => {
        if (error instanceof ClientError && error.code === 'LOCK_NOT_HELD')
          this.lose(tracked.name, tracked.token, 'connection-closed');
        // Unreachable: the lease clock says 'lease-elapsed' when the lease is surely over.
      });
  }

  /** Runs the keepalive while anything is held or awaited, and only then. */
  private keepAliveWhileBusy(): void {
    const intervalMs = this.options.keepAliveIntervalMs ?? LOCK_KEEPALIVE_INTERVAL_MS_DEFAULT;
    const busy = this.held.size > 0 || this.waiting > 0;
    if (!busy || intervalMs === 0) {
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
    } else if (this.keepAlive === undefined) {
      this.keepAlive = setInterval(() => {
        // A failed keepalive needs nothing: a dead connection shows in onDisconnect.
        this.call(REQUEST_CODE.TRIBUTARY_LOCK_KEEPALIVE, undefined, 'keepalive').catch(() => undefined);
      }, intervalMs);
      this.keepAlive.unref();
    }
  }

  private startLeaseClock(tracked: Tracked, remainingMs: number): void {
    clearTimeout(tracked.leaseTimer);
    tracked.leaseTimer = setTimeout(
      () => this.lose(tracked.name, tracked.token, 'lease-elapsed'),
      Math.max(0, remainingMs),
    );
    tracked.leaseTimer.unref();
  }

  private startAutoRenew(tracked: Tracked): void {
    tracked.renewTimer = setInterval(
      () => {
        this.renew(tracked.name, tracked.token).catch((error: unknown) => {
          if (error instanceof ClientError && error.code === 'LOCK_NOT_HELD')
            this.lose(tracked.name, tracked.token, 'renewal-refused');
        });
      },
      Math.max(1, Math.floor(tracked.leaseMs / AUTO_RENEWALS_PER_LEASE)),
    );
    tracked.renewTimer.unref();
  }

  private lose(name: string, token: string, reason: LockLostEvent['reason']): void {
    const tracked = this.untrack(name, token);
    if (tracked !== undefined) this.emit('lost', { name, token, fence: tracked.fence, reason });
  }

  private untrack(name: string, token: string): Tracked | undefined {
    const tracked = this.held.get(key(name, token));
    if (tracked === undefined) return undefined;
    stopTimers(tracked);
    this.held.delete(key(name, token));
    this.keepAliveWhileBusy();
    return tracked;
  }
}

const LOCK_REFUSALS = new Map<number, 'LOCK_BUSY' | 'LOCK_WAIT_TIMEOUT' | 'LOCK_NOT_HELD'>([
  [RESPONSE_CODE.LOCK_BUSY, 'LOCK_BUSY'],
  [RESPONSE_CODE.LOCK_WAIT_TIMEOUT, 'LOCK_WAIT_TIMEOUT'],
  [RESPONSE_CODE.LOCK_NOT_HELD, 'LOCK_NOT_HELD'],
]);

function key(name: string, token: string): string {
  return `${name}\u0000${token}`;
}

function stopTimers(tracked: Tracked): void {
  clearTimeout(tracked.leaseTimer);
  clearInterval(tracked.renewTimer);
}
