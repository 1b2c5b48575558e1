// What a broker set keeps in etcd for controller mode, and the one place that talks to etcd
// (the `etcd3` client). Under <ETCD_KEY_PREFIX>/<cluster>/<broker name>/:
//
// | key                   | value (JSON)                                     | lease        |
// |-----------------------|--------------------------------------------------|--------------|
// | election/master/<id>  | the campaign's LeaderValue (etcd3 Election)       | the master's |
// | candidates/<brokerId> | Candidate: broker id and log end                  | the broker's |
// | in-sync               | PublishedInSync: the master's epoch and set       | none (kept)  |
//
// The election is etcd3's Election: the key created first under election/master/ leads. A
// master's epoch is its key's create revision, so each new master's is higher. The in-sync
// set is written only while the writer's election key still stands (a transaction compares
// its create revision), so a deposed master cannot overwrite it.
import type { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';

import { Etcd3, type Campaign, type Election, type Lease } from 'etcd3';

import { ELECTION_LEASE_TTL_S, ETCD_KEY_PREFIX, ETCD_REQUEST_TIMEOUT_MS } from '../broker-constants.js';
import type { Candidate, PublishedInSync } from './election-rule.js';
import { LeaseFence } from './lease-fence.js';

/** The elected master as its campaign proclaims it; `ready` once it serves. */
export interface LeaderValue {
  readonly brokerId: number;
  readonly address: string;
  /** Where followers stream from (advertised-ha-address.ts); they never use `address` to. */
  readonly haAddress: string;
  readonly epoch: number;
  readonly ready: boolean;
}

/** A campaign this broker won. */
export interface Mandate {
  readonly epoch: number;
  readonly fence: LeaseFence;
  proclaim(value: LeaderValue): Promise<void>;
  resign(): Promise<void>;
}

export class EtcdElection {
  private readonly client: Etcd3;
  private readonly election: Election;
  private readonly prefix: string;
  private presence: Lease | undefined;

  constructor(
    endpoints: readonly string[],
    clusterName: string,
    brokerName: string,
    private readonly brokerId: number,
    private readonly onError: (error: unknown, context: string) => void,
  ) {
    this.client = new Etcd3({
      hosts: endpoints.map((endpoint) => (endpoint.includes('://') ? endpoint : `http://${endpoint}`)),
      // Unary requests only: a deadline would end the watch and keepalive streams.
      defaultCallOptions: (context) =>
        context.isStream ? {} : { deadline: new Date(Date.now() + ETCD_REQUEST_TIMEOUT_MS) },
    });
    this.prefix = `${ETCD_KEY_PREFIX}/${clusterName}/${brokerName}/`;
    this.election = this.client.namespace(this.prefix).election('master', ELECTION_LEASE_TTL_S);
  }

  /** The current master, undefined when none holds the election. */
  async leader(): Promise<LeaderValue | undefined> {
    const value = await this.election.leader();
    return value === undefined ? undefined : (JSON.parse(value) as LeaderValue);
  }

  /** Publishes this broker's log end under its own lease (renewed when etcd had dropped it). */
  async publishCandidate(logEnd: number): Promise<void> {
    if (this.presence === undefined || this.presence.revoked()) {
      const lease = this.client.lease(ELECTION_LEASE_TTL_S);
      lease.on('lost', () => undefined); // A lost lease is replaced on the next publish.
      this.presence = lease;
    }
    const value: Candidate = { brokerId: this.brokerId, logEnd };
    await this.presence.put(`${this.prefix}candidates/${this.brokerId}`).value(JSON.stringify(value)).exec();
  }

  /** Every live candidate's last published log end. */
  async candidates(): Promise<Candidate[]> {
    const found = await this.client.getAll().prefix(`${this.prefix}candidates/`).strings();
    return Object.values(found).map((value) => JSON.parse(value) as Candidate);
  }

  async inSync(): Promise<PublishedInSync | undefined> {
    const value = await this.client.get(`${this.prefix}in-sync`).string();
    return value === null ? undefined : (JSON.parse(value) as PublishedInSync);
  }

  /** Writes the in-sync set if `mandate` still leads; false when it no longer does. */
  async publishInSync(mandate: Mandate & { readonly key: string }, brokerIds: readonly number[]): Promise<boolean> {
    const value: PublishedInSync = { epoch: mandate.epoch, brokerIds };
    const result = await this.client
      .if(mandate.key, 'Create', '==', mandate.epoch)
      .then(this.client.put(`${this.prefix}in-sync`).value(JSON.stringify(value)))
      .commit();
    return result.succeeded;
  }

  /**
   * Campaigns with `value`; resolves with the mandate once elected, or undefined when not
   * elected within `waitMs` (another broker leads: the campaign is withdrawn).
   */
  async campaign(value: LeaderValue, waitMs: number): Promise<(Mandate & { readonly key: string }) | undefined> {
    const requestedAt = performance.now();
    const campaign = this.election.campaign(JSON.stringify(value));
    const fence = new LeaseFence(ELECTION_LEASE_TTL_S * 1000, requestedAt);
    // etcd3 1.1.2 keeps a campaign's lease private; its keepalive events are what fencing needs.
    fence.follow((campaign as unknown as { lease: EventEmitter }).lease);
    campaign.on('error', (error) => this.onError(error, 'the master election lease (fencing follows it)'));
    const elected = await Promise.race([
      campaign.wait().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), waitMs).unref()),
    ]).catch(() => false);
    if (!elected) {
      await withdraw(campaign);
      return undefined;
    }
    let key: string;
    let created: string | undefined;
    try {
      key = await campaign.getCampaignKey();
      created = (await this.client.get(key).exec()).kvs[0]?.create_revision;
    } catch (error) {
      await withdraw(campaign);
      throw error;
    }
    if (created === undefined) {
      await withdraw(campaign);
      return undefined;
    }
    return {
      key,
      epoch: Number(created),
      fence,
      proclaim: (next) => campaign.proclaim(JSON.stringify(next)),
      resign: () => withdraw(campaign),
    };
  }

  async close(): Promise<void> {
    await this.presence?.revoke().catch(() => undefined);
    this.client.close();
  }
}

/** Resigns, not waiting past one request's timeout (etcd may be unreachable: the lease then expires). */
async function withdraw(campaign: Campaign): Promise<void> {
  await Promise.race([
    campaign.resign().catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, ETCD_REQUEST_TIMEOUT_MS).unref()),
  ]);
}
