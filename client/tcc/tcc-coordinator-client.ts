// A connection to the TCC coordinator (a broker) for initiators and operators: begin a global
// transaction, run branch tries, commit, roll back, and ask where globals stand. Transactions
// are usually driven through TccTransaction (tcc-transaction.ts), which uses this.
import type tls from 'node:tls';

import { RemotingClient } from '../remoting/remoting-client.js';
import { clientTlsConnectionOptions, type ClientTlsOptions } from '../remoting/client-tls-options.js';
import type { ExtFields, RemotingCommand } from '../../protocol/remoting-command.js';
import { bodyOf } from '../../protocol/remoting-command.js';
import type { AccessCredentials } from '../../protocol/request-signature.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import type { TccGlobalStatus } from '../../protocol/tcc-status.js';
import {
  TCC_GLOBAL_TIMEOUT_MS_DEFAULT,
  TCC_REQUEST_TIMEOUT_MS_DEFAULT,
  TCC_TRY_TIMEOUT_MS_DEFAULT,
} from './tcc-constants.js';
import { TccError } from './tcc-error.js';

/**
 * How to reach the TCC coordinator (a broker). Defaults: no credentials, no TLS, requests time
 * out after TCC_REQUEST_TIMEOUT_MS_DEFAULT (5000 ms; a try waits its own timeout besides).
 */
export interface TccConnectionOptions {
  /** The coordinator broker, 'host:port'. */
  readonly coordinatorAddress: string;
  /** Signs each request; under ACL begin, commit, rollback and status need a signed request. */
  readonly credentials?: AccessCredentials;
  /** Connects over TLS with these options. */
  readonly tls?: ClientTlsOptions;
  /** How long a request may take before it fails with UNAVAILABLE. */
  readonly requestTimeoutMs?: number;
}

/**
 * A connection to the TCC coordinator for initiators and operators: begin a global transaction,
 * run branch tries, commit, roll back, and ask where globals stand (TccTransaction drives one
 * transaction with it). Every request rejects with TccError: the coordinator's refusal
 * (GLOBAL_NOT_FOUND, WRONG_STATE, BRANCH_CANCELLED, TRY_FAILED, NOT_ALL_TRIED,
 * TOO_MANY_BRANCHES), BROKER_ERROR for any other refusal (a bad resource name, a payload over
 * 64 KiB, an ACL denial), or UNAVAILABLE when the coordinator was not reached or did not answer
 * in time, so the outcome is unknown.
 */
export class TccCoordinatorClient {
  private readonly remoting: RemotingClient;
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly options: TccConnectionOptions,
    onRequest?: (request: RemotingCommand) => RemotingCommand | undefined,
  ) {
    const tlsOptions: tls.ConnectionOptions | undefined =
      options.tls === undefined ? undefined : clientTlsConnectionOptions(options.tls);
    this.remoting = new RemotingClient({
      credentials: options.credentials,
      tls: tlsOptions,
      onRequest: onRequest === undefined ? undefined : (request) => onRequest(request),
    });
    this.requestTimeoutMs = options.requestTimeoutMs ?? TCC_REQUEST_TIMEOUT_MS_DEFAULT;
  }

  /**
   * Begins a global transaction; resolves with its xid. A global still trying after `timeoutMs`
   * (default 60000, at most 24 h) is rolled back by the coordinator. WRONG_STATE for a timeout out
   * of range or when 100,000 globals are unfinished.
   */
  async begin(timeoutMs = TCC_GLOBAL_TIMEOUT_MS_DEFAULT): Promise<string> {
    const response = await this.request(REQUEST_CODE.TCC_BEGIN, { timeoutMs }, 'begin');
    return String(response.extFields?.xid);
  }

  /**
   * Runs `resource`'s try with `payload` on its participant, through the coordinator; resolves
   * once the participant reported success (a repeat of a tried branch resolves at once).
   * TRY_FAILED when the try threw or no participant answered within `timeoutMs` (default 5000);
   * BRANCH_CANCELLED when the branch was cancelled already; WRONG_STATE after the decision;
   * TOO_MANY_BRANCHES past 64; GLOBAL_NOT_FOUND for an unknown xid.
   */
  async tryBranch(
    xid: string,
    resource: string,
    payload: Buffer,
    timeoutMs = TCC_TRY_TIMEOUT_MS_DEFAULT,
  ): Promise<void> {
    await this.request(REQUEST_CODE.TCC_TRY, { xid, resource, timeoutMs }, `try ${resource}`, payload, timeoutMs);
  }

  /**
   * Decides commit: the coordinator logs it, then drives confirm of every branch until each is
   * reported (it does not wait for them). A repeat is a no-op. NOT_ALL_TRIED when some branch
   * has not tried successfully, WRONG_STATE when the global is rolling back or rolled back,
   * GLOBAL_NOT_FOUND for an unknown xid.
   */
  async commit(xid: string): Promise<void> {
    await this.request(REQUEST_CODE.TCC_COMMIT, { xid }, `commit ${xid}`);
  }

  /**
   * Decides rollback: the coordinator logs it, then drives cancel of every branch until each is
   * reported. A repeat is a no-op. WRONG_STATE when the global is committing or committed,
   * GLOBAL_NOT_FOUND for an unknown xid.
   */
  async rollback(xid: string): Promise<void> {
    await this.request(REQUEST_CODE.TCC_ROLLBACK, { xid }, `rollback ${xid}`);
  }

  /** Where the global and each of its branches stand now. GLOBAL_NOT_FOUND when never begun or forgotten. */
  async status(xid: string): Promise<TccGlobalStatus> {
    const response = await this.request(REQUEST_CODE.TCC_STATUS, { xid }, `status ${xid}`);
    return JSON.parse(bodyOf(response).toString('utf8')) as TccGlobalStatus;
  }

  /** Unfinished globals, then up to `finished` recently finished ones. */
  async list(finished = 20): Promise<TccGlobalStatus[]> {
    const response = await this.request(REQUEST_CODE.TCC_LIST, { finished }, 'list');
    return (JSON.parse(bodyOf(response).toString('utf8')) as { globals: TccGlobalStatus[] }).globals;
  }

  /** Sends a TCC request; a refusal becomes a TccError, no answer an UNAVAILABLE one. */
  async request(
    code: number,
    extFields: ExtFields,
    what: string,
    body?: Buffer,
    extraMs = 0,
  ): Promise<RemotingCommand> {
    let response: RemotingCommand;
    try {
      response = await this.remoting.invoke(
        this.options.coordinatorAddress,
        { code, extFields, body },
        this.requestTimeoutMs + extraMs,
      );
    } catch (error) {
      throw new TccError('UNAVAILABLE', `${what}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    if (response.code !== RESPONSE_CODE.SUCCESS) throw TccError.fromResponse(response.code, response.remark, what);
    return response;
  }

  /** Sends a TCC request that gets no answer; false when it could not be sent. */
  async oneway(code: number, extFields: ExtFields): Promise<boolean> {
    try {
      await this.remoting.invokeOneway(this.options.coordinatorAddress, { code, extFields });
      return true;
    } catch {
      return false;
    }
  }

  /** Closes the connection; requests still pending fail with UNAVAILABLE. */
  close(): void {
    this.remoting.close();
  }
}
