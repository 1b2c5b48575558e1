// A TCC participant: serves try, confirm and cancel of its resources for the coordinator. It
// registers its resources with the coordinator broker (again every TCC_PARTICIPANT_REGISTER_
// INTERVAL_MS, which also reconnects after a broker restart); the coordinator sends each branch
// action as a oneway TCC_BRANCH_ACTION on this connection, and the participant answers with a
// TCC_BRANCH_REPORT, like a transaction check-back and its END_TRANSACTION.
//
// Actions of one branch (xid, resource) run one at a time, in arrival order. The coordinator
// repeats confirm and cancel until reported, and a try may still arrive after its branch was
// cancelled, so handlers must be idempotent and keep a cancel marker (the example in
// examples/tcc-transfer/ shows both): confirm and cancel of a branch done already are no-ops;
// cancel of a branch whose try never ran records the cancel and returns { empty: true } (empty
// rollback); a try for a branch cancelled already must throw (no hanging).
import { ExtFieldReader } from '../../protocol/ext-field-reader.js';
import { bodyOf, type RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { isTccAction, type TccAction } from '../../protocol/tcc-status.js';
import { TCC_PARTICIPANT_REGISTER_INTERVAL_MS } from './tcc-constants.js';
import { TccCoordinatorClient, type TccConnectionOptions } from './tcc-coordinator-client.js';

/** One branch action the coordinator asks of a participant. */
export interface TccBranchCall {
  /** The global transaction. */
  readonly xid: string;
  /** The resource whose handlers serve it. */
  readonly resource: string;
  /** Which of the handlers runs. */
  readonly action: TccAction;
  /** What the initiator passed to its try (repeated with confirm and cancel). */
  readonly payload: Buffer;
}

/**
 * A resource's try, confirm and cancel. Each resolves on success and throws on failure; confirm
 * and cancel are repeated until they succeed, and a try may arrive after its branch's cancel,
 * so all three must be idempotent and keep a cancel marker.
 */
export interface TccBranchHandlers {
  /**
   * Reserves what the branch needs (freeze, don't spend); throwing fails the try. Must throw for
   * a branch cancelled already (no hanging).
   */
  try(call: TccBranchCall): Promise<void> | void;
  /** Makes the try's reservation final; a no-op for a branch confirmed already. */
  confirm(call: TccBranchCall): Promise<void> | void;
  /**
   * Releases the try's reservation; a no-op for a branch cancelled already. Resolves
   * { empty: true } when there was no try to undo (recorded as an empty rollback).
   */
  cancel(call: TccBranchCall): Promise<{ empty?: boolean } | void> | { empty?: boolean } | void;
}

/** Options of a TccParticipant: the coordinator connection, plus its resources' handlers. */
export interface TccParticipantOptions extends TccConnectionOptions {
  /** Resource name (1-127 of A-Z a-z 0-9 _ . : -) -> its handlers. */
  readonly resources: Readonly<Record<string, TccBranchHandlers>>;
  /** Hears handler failures and lost reports (the coordinator retries either way). */
  readonly onError?: (error: unknown, call: TccBranchCall) => void;
}

/**
 * Serves try, confirm and cancel of its resources for the TCC coordinator: it registers them
 * with the coordinator broker (again every 500 ms, which also reconnects after a broker restart)
 * and answers each branch action with a report. Actions of one branch run one at a time, in
 * arrival order. A handler that throws is reported failed and passed to `onError`; the
 * coordinator retries confirm and cancel with back-off.
 */
export class TccParticipant {
  private readonly connection: TccCoordinatorClient;
  private readonly running = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: TccParticipantOptions) {
    this.connection = new TccCoordinatorClient(options, (request) => this.onRequest(request));
  }

  /** Registers the resources; rejects when the coordinator cannot be reached now. */
  async start(): Promise<void> {
    await this.register();
    this.timer = setInterval(() => {
      this.register().catch(() => {
        // The broker is away; the next round reconnects.
      });
    }, TCC_PARTICIPANT_REGISTER_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * Stops registering and closes the connection; actions still running are not reported (the
   * coordinator retries confirm and cancel, and fails a try at its timeout).
   */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.connection.close();
  }

  private async register(): Promise<void> {
    const resources = Object.keys(this.options.resources).join(',');
    await this.connection.request(REQUEST_CODE.TCC_REGISTER_PARTICIPANT, { resources }, 'register participant');
  }

  private onRequest(request: RemotingCommand): RemotingCommand | undefined {
    if (request.code !== REQUEST_CODE.TCC_BRANCH_ACTION || this.closed) return undefined;
    const fields = new ExtFieldReader(request.extFields);
    const action = fields.optionalString('action') ?? '';
    const xid = fields.optionalString('xid');
    const resource = fields.optionalString('resource');
    if (!isTccAction(action) || xid === undefined || resource === undefined) return undefined;
    const call: TccBranchCall = { xid, resource, action, payload: bodyOf(request) };
    const key = `${xid}\u0000${resource}`;
    const next = (this.running.get(key) ?? Promise.resolve()).then(() => this.serve(call));
    this.running.set(key, next);
    void next.finally(() => {
      if (this.running.get(key) === next) this.running.delete(key);
    });
    return undefined; // Oneway: the answer is a TCC_BRANCH_REPORT of its own.
  }

  private async serve(call: TccBranchCall): Promise<void> {
    const handlers = this.options.resources[call.resource];
    let ok = false;
    let empty = false;
    let reason = '';
    try {
      if (handlers === undefined) throw new Error(`no handlers for ${call.resource}`);
      const outcome = await handlers[call.action](call);
      empty = call.action === 'cancel' && outcome?.empty === true;
      ok = true;
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
      this.options.onError?.(error, call);
    }
    if (this.closed) return;
    const { xid, resource, action } = call;
    // Oneway: a lost report costs a retried confirm or cancel (or a try timeout), nothing more.
    const sent = await this.connection.oneway(REQUEST_CODE.TCC_BRANCH_REPORT, {
      xid,
      resource,
      action,
      ok,
      empty,
      reason,
    });
    if (!sent) this.options.onError?.(new Error(`the ${action} report of ${xid} could not be sent`), call);
  }
}
