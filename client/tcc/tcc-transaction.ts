// The initiator's side of a TCC global transaction: begin (the coordinator hands out the xid),
// run each branch's try through the coordinator, then commit or roll back. `run` does all three:
// commit when the body resolves, roll back when it throws. A commit or rollback that fails with
// UNAVAILABLE leaves the decision to the coordinator's recovery (a global still trying at its
// timeout is rolled back); `status` tells where it stands.
import { xidHeaders } from '../../protocol/tcc-xid-headers.js';
import type { TccGlobalStatus } from '../../protocol/tcc-status.js';
import { TCC_GLOBAL_TIMEOUT_MS_DEFAULT, TCC_TRY_TIMEOUT_MS_DEFAULT } from './tcc-constants.js';
import type { TccCoordinatorClient } from './tcc-coordinator-client.js';

/** Timeouts of one global transaction. Defaults: timeoutMs 60000, tryTimeoutMs 5000. */
export interface TccTransactionOptions {
  /** Still trying after this long, the coordinator rolls the global back. */
  readonly timeoutMs?: number;
  /** How long each try may take on its participant. */
  readonly tryTimeoutMs?: number;
}

/**
 * The initiator's side of one TCC global transaction: `begin` gets an xid from the coordinator,
 * `try` runs each branch's try, then `commit` or `rollback` decide; `run` does all three. Errors
 * are TccCoordinatorClient's (TccError with its code). A commit or rollback that fails with
 * UNAVAILABLE leaves the decision to the coordinator's recovery (a global still trying at its
 * timeout is rolled back); `status` tells where it stands.
 */
export class TccTransaction {
  private constructor(
    private readonly coordinator: TccCoordinatorClient,
    readonly xid: string,
    private readonly tryTimeoutMs: number,
  ) {}

  /** Begins a global transaction on `coordinator`; rejects with TccError as TccCoordinatorClient.begin does. */
  static async begin(coordinator: TccCoordinatorClient, options: TccTransactionOptions = {}): Promise<TccTransaction> {
    const xid = await coordinator.begin(options.timeoutMs ?? TCC_GLOBAL_TIMEOUT_MS_DEFAULT);
    return new TccTransaction(coordinator, xid, options.tryTimeoutMs ?? TCC_TRY_TIMEOUT_MS_DEFAULT);
  }

  /** Begins, runs `body`, commits when it resolves and rolls back when it throws (then rethrows). */
  static async run<T>(
    coordinator: TccCoordinatorClient,
    body: (transaction: TccTransaction) => Promise<T>,
    options: TccTransactionOptions = {},
  ): Promise<T> {
    const transaction = await TccTransaction.begin(coordinator, options);
    let result: T;
    try {
      result = await body(transaction);
    } catch (error) {
      await transaction.rollback().catch(() => {
        // The coordinator rolls back a global still trying at its timeout: the rollback happens anyway.
      });
      throw error;
    }
    await transaction.commit();
    return result;
  }

  /** Runs `resource`'s try with `payload` (JSON-encoded unless a Buffer); throws TccError when it fails. */
  async try(resource: string, payload: unknown): Promise<void> {
    const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload ?? null));
    await this.coordinator.tryBranch(this.xid, resource, body, this.tryTimeoutMs);
  }

  /** Decides commit (confirms are driven by the coordinator); NOT_ALL_TRIED when a try did not succeed. */
  commit(): Promise<void> {
    return this.coordinator.commit(this.xid);
  }

  /** Decides rollback (cancels are driven by the coordinator); a repeat is a no-op. */
  rollback(): Promise<void> {
    return this.coordinator.rollback(this.xid);
  }

  /** Where this global and its branches stand now. */
  status(): Promise<TccGlobalStatus> {
    return this.coordinator.status(this.xid);
  }

  /** Headers carrying this transaction's xid, for any other call made on its behalf. */
  headers(): Record<string, string> {
    return xidHeaders(this.xid);
  }
}
