// The unique id requests as calls (TRIBUTARY_ID_*, protocol/request-code.ts), sent to the id
// broker: the one named in the options, else the first registered broker by address. A sequence
// and a worker id space live on one broker, so every client of them must reach the same one.
import { ClientError, type ClientErrorCode } from '../client-error.js';
import type { ClientInstance } from '../client-instance.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';

/** `count` ids of a sequence, handed out once: first, first + step, ... */
export interface IdRange {
  readonly first: number;
  readonly step: number;
  readonly count: number;
}

/** A worker id leased to one holder until the broker's `expiresAtMs` unless renewed. */
export interface WorkerGrant {
  readonly workerId: number;
  /** The broker's clock; the client counts its own deadline (see worker-id-lease.ts). */
  readonly expiresAtMs: number;
}

/** A sequence as the broker holds it: the next id it hands out, and its step. */
export interface SequenceInfo {
  readonly name: string;
  readonly next: number;
  readonly step: number;
}

/** Remark prefixes the broker uses for id refusals (broker/state/id-sequences.ts). */
const REFUSALS: ReadonlySet<string> = new Set([
  'ID_SEQUENCE_NOT_FOUND',
  'ID_SEQUENCE_EXISTS',
  'ID_SEQUENCE_EXHAUSTED',
  'ID_WORKERS_EXHAUSTED',
  'ID_LEASE_LOST',
  'INVALID_ARGUMENT',
]);

export class IdService {
  private address: Promise<string> | undefined;

  constructor(
    private readonly client: ClientInstance,
    private readonly broker?: string,
  ) {}

  async createSequence(sequence: string, start: number, step: number): Promise<void> {
    await this.call(REQUEST_CODE.TRIBUTARY_ID_CREATE_SEQUENCE, { sequence, start, step }, `create ${sequence}`);
  }

  async takeRange(sequence: string, count: number): Promise<IdRange> {
    const fields = await this.call(REQUEST_CODE.TRIBUTARY_ID_TAKE_RANGE, { sequence, count }, `take ${sequence}`);
    return { first: Number(fields.first), step: Number(fields.step), count: Number(fields.count) };
  }

  async leaseWorker(
    space: string,
    holder: string,
    ttlMs: number,
    workerCount: number,
    workerId?: number,
  ): Promise<WorkerGrant> {
    const extFields: Record<string, string | number> = { space, holder, ttlMs, workerCount };
    if (workerId !== undefined) extFields.workerId = workerId;
    const fields = await this.call(REQUEST_CODE.TRIBUTARY_ID_LEASE_WORKER, extFields, `lease a worker of ${space}`);
    return { workerId: Number(fields.workerId), expiresAtMs: Number(fields.expiresAtMs) };
  }

  async releaseWorker(space: string, holder: string, workerId: number): Promise<void> {
    await this.call(REQUEST_CODE.TRIBUTARY_ID_RELEASE_WORKER, { space, holder, workerId }, `release ${workerId}`);
  }

  async sequences(): Promise<SequenceInfo[]> {
    const response = await this.invoke(REQUEST_CODE.TRIBUTARY_ID_LIST_SEQUENCES, {});
    if (response.code !== RESPONSE_CODE.SUCCESS) throw refusal(response, 'list sequences');
    return JSON.parse(((response.body as Buffer | undefined) ?? Buffer.from('[]')).toString('utf8')) as SequenceInfo[];
  }

  private async call(
    code: number,
    extFields: Record<string, string | number>,
    what: string,
  ): Promise<Record<string, string | number>> {
    const response = await this.invoke(code, extFields);
    if (response.code !== RESPONSE_CODE.SUCCESS) throw refusal(response, what);
    return (response.extFields ?? {}) as Record<string, string | number>;
  }

  private async invoke(code: number, extFields: Record<string, string | number>): Promise<RemotingCommand> {
    this.address ??= this.idBroker().catch((error: unknown) => {
      this.address = undefined;
      throw error;
    });
    return this.client.invoke(await this.address, { code, extFields });
  }

  private async idBroker(): Promise<string> {
    if (this.broker !== undefined) return this.broker;
    const addresses = (await this.client.clusterBrokerAddresses()).sort();
    if (addresses.length === 0) throw new ClientError('NO_ROUTE', 'no broker is registered with the name servers');
    return addresses[0]!;
  }
}

function refusal(response: RemotingCommand, what: string): ClientError {
  const code = /^([A-Z_]+):/.exec(response.remark ?? '')?.[1];
  if (code !== undefined && REFUSALS.has(code))
    return new ClientError(code as ClientErrorCode, `${what}: ${response.remark}`, { responseCode: response.code });
  return ClientError.fromResponse(response.code, response.remark, what);
}
