// Controller mode (`--etcd`; README "Topologies"): the brokers of one broker name elect their
// master through etcd (etcd-election.ts) and this controller runs the broker in the role it
// holds, closing and reopening the broker's internals on the same ports at each change: a
// follower is a slave of the elected master (after cutting its unreplicated tail); a master
// is a writable broker with an HA port, registered as broker id 0 with its epoch. One loop
// polls etcd and moves through election-states.ts's table; nothing else changes the role.
import { setTimeout as delay } from 'node:timers/promises';

import {
  CANDIDATE_RECHECK_INTERVAL_MS,
  CANDIDATE_REPORT_INTERVAL_MS,
  CANDIDATE_SETTLE_MS,
  ELECTION_LEASE_TTL_S,
  IN_SYNC_PUBLISH_INTERVAL_MS,
  MASTER_BROKER_ID,
} from '../broker-constants.js';
import type { BrokerOptions, ResolvedBrokerOptions } from '../broker-options.js';
import { advertisedHaAddress } from './advertised-ha-address.js';
import type { ControlledRole } from './controlled-role.js';
import { shouldCampaign } from './election-rule.js';
import { assertElectionTransition, type ElectionState } from './election-states.js';
import { EtcdElection, type LeaderValue, type Mandate } from './etcd-election.js';
import type { MasterLocation } from './find-master.js';
import type { ReplicationServer } from './replication-server.js';
import { ReplicationConfigError, type Replication } from './start-replication.js';

/** What the controller needs of a broker it runs. */
export interface RoleBroker {
  readonly port: number;
  readonly httpPort: number | undefined;
  readonly replication: Replication;
  readonly context: { readonly store: { readonly commitLogMaxOffset: number } };
  close(): Promise<void>;
}

export type StartInRole<B extends RoleBroker> = (options: BrokerOptions, control: ControlledRole) => Promise<B>;

/** How long a campaign waits to be elected before it is withdrawn (another broker leads). */
const CAMPAIGN_WAIT_MS = ELECTION_LEASE_TTL_S * 1000;

export class BrokerController<B extends RoleBroker> {
  private state: ElectionState | 'start' = 'start';
  private inner: B | undefined;
  private options: BrokerOptions;
  private readonly election: EtcdElection;
  private following: LeaderValue | undefined;
  private mandate: (Mandate & { readonly key: string }) | undefined;
  private haServer: ReplicationServer | undefined;
  private publishedInSync: readonly number[] = [];
  /** Whether the master's election value says it is ready (followers wait for that). */
  private proclaimed = false;
  private candidateSince = 0;
  private lastCandidateReport = 0;
  private lastInSyncPublish = 0;
  private closed = false;
  /** False while the broker is closed between roles, or after it failed to reopen. */
  private serving = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    options: BrokerOptions,
    private readonly resolved: ResolvedBrokerOptions,
    private readonly startInRole: StartInRole<B>,
  ) {
    const { brokerId, role, etcd } = resolved;
    if (!Number.isInteger(brokerId) || brokerId < 1)
      throw new ReplicationConfigError(`with etcd each broker needs its own broker id >= 1, not ${brokerId}`);
    if (role === 'slave')
      throw new ReplicationConfigError('with etcd, role names what the elected master is: async-master or sync-master');
    // A master needs an HA port; 0 picks a free one, kept across role changes.
    this.options = { ...options, haPort: resolved.haPort === 'off' ? 0 : resolved.haPort };
    this.election = new EtcdElection(etcd, resolved.clusterName, resolved.brokerName, brokerId, resolved.onError);
  }

  /** The broker in its current role. */
  get broker(): B {
    return this.inner!;
  }

  get electionState(): ElectionState | 'start' {
    return this.state;
  }

  /** Starts in the role etcd implies now (a follower of a ready master, else a candidate). */
  async start(): Promise<void> {
    const leader = await this.election.leader().catch(() => undefined);
    if (leader !== undefined && leader.ready && leader.brokerId !== this.resolved.brokerId) {
      await this.follow(leader);
    } else {
      await this.restart(this.followerOptions(), this.followerControl(0));
      this.enterCandidate();
    }
    this.loop = this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.loop;
    if (this.serving) await this.inner?.close();
    await this.mandate?.resign();
    await this.election.close();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        await this.step();
      } catch (error) {
        // etcd unreachable or a role change failed: the next step tries again.
        this.resolved.onError(error, `controller step (${this.state})`);
      }
      await delay(this.state === 'master' ? IN_SYNC_PUBLISH_INTERVAL_MS : CANDIDATE_REPORT_INTERVAL_MS / 2);
    }
  }

  private async step(): Promise<void> {
    if (this.state === 'master') return this.stepAsMaster();
    const leader = await this.election.leader();
    if (this.closed) return;
    const me = this.resolved.brokerId;
    if (leader !== undefined && leader.brokerId !== me) {
      if (!leader.ready) return;
      const current = this.state === 'follower' && this.serving && this.following?.epoch === leader.epoch;
      if (!current || this.refusedByMaster()) return this.follow(leader);
      return this.reportCandidate(false);
    }
    if (leader !== undefined) return; // Our own old key, not yet expired: wait it out.
    if (this.state !== 'candidate') this.enterCandidate();
    await this.reportCandidate(true);
    if (Date.now() - this.candidateSince < CANDIDATE_SETTLE_MS) return;
    const [candidates, inSync] = await Promise.all([this.election.candidates(), this.election.inSync()]);
    if (shouldCampaign(me, candidates, inSync)) await this.campaign();
    else this.candidateSince = Date.now() - CANDIDATE_SETTLE_MS + CANDIDATE_RECHECK_INTERVAL_MS;
  }

  private async stepAsMaster(): Promise<void> {
    const mandate = this.mandate!;
    if (mandate.fence.remainingMs() <= 0) {
      this.move('fenced');
      // The broker stays up refusing writes (MASTER_FENCED) until etcd names the next master.
      void mandate.resign();
      this.mandate = undefined;
      return;
    }
    if (!this.proclaimed) return this.announce(mandate);
    if (Date.now() - this.lastInSyncPublish < IN_SYNC_PUBLISH_INTERVAL_MS) return;
    this.lastInSyncPublish = Date.now();
    const server = this.haServer;
    if (server === undefined) return;
    const ids = [this.resolved.brokerId, ...server.inSync(Date.now(), false).map((replica) => replica.replicaId)];
    const next = [...new Set(ids)].sort((a, b) => a - b);
    if (next.join() === this.publishedInSync.join()) return;
    if (await this.election.publishInSync(mandate, next)) this.publishedInSync = next;
    await this.reportCandidate(false);
  }

  private enterCandidate(): void {
    this.move('candidate');
    this.candidateSince = Date.now();
    this.lastCandidateReport = 0;
  }

  private async reportCandidate(now: boolean): Promise<void> {
    if (!now && Date.now() - this.lastCandidateReport < CANDIDATE_REPORT_INTERVAL_MS) return;
    this.lastCandidateReport = Date.now();
    if (!this.serving) return;
    await this.election.publishCandidate(this.inner!.context.store.commitLogMaxOffset);
  }

  /** Campaigns; once elected, checks the rule again (no better candidate appeared), then serves. */
  private async campaign(): Promise<void> {
    const me = this.resolved.brokerId;
    const address = `${this.resolved.advertisedHost}:${this.inner?.port ?? this.resolved.port}`;
    const pending = { brokerId: me, address, haAddress: '', epoch: 0, ready: false };
    const mandate = await this.election.campaign(pending, CAMPAIGN_WAIT_MS);
    if (mandate === undefined) return;
    // Elected: any failure from here resigns, or the set would wait on a master never ready.
    try {
      const [candidates, inSync] = await Promise.all([this.election.candidates(), this.election.inSync()]);
      if (!shouldCampaign(me, candidates, inSync)) {
        await mandate.resign();
        return;
      }
      this.mandate = mandate;
      this.move('master');
      this.publishedInSync = [];
      this.proclaimed = false;
      await this.restart(
        { ...this.options, role: this.masterRole(), brokerId: MASTER_BROKER_ID },
        {
          epoch: mandate.epoch,
          brokerId: me,
          locate: () => Promise.resolve(undefined),
          fence: mandate.fence,
          serving: (server) => this.admitPublished(server),
        },
      );
    } catch (error) {
      this.mandate = undefined;
      await mandate.resign();
      if (this.state === 'master') this.enterCandidate();
      throw error;
    }
    this.options = { ...this.options, haPort: this.inner!.replication.haPort };
    await this.announce(mandate);
  }

  /** Publishes this master's in-sync set (itself) and proclaims it ready; retried until done. */
  private async announce(mandate: Mandate & { readonly key: string }): Promise<void> {
    const me = this.resolved.brokerId;
    const host = this.resolved.advertisedHost;
    if (await this.election.publishInSync(mandate, [me])) this.publishedInSync = [me];
    const value = { brokerId: me, address: `${host}:${this.inner!.port}`, epoch: mandate.epoch, ready: true };
    await mandate.proclaim({
      ...value,
      haAddress: advertisedHaAddress(this.resolved, this.inner!.replication.haPort!),
    });
    this.proclaimed = true;
    this.resolved.logger.info({ epoch: mandate.epoch, brokerId: me }, 'elected master through etcd');
  }

  /** A sync master counts a replica's acks only once etcd lists it as able to succeed it. */
  private admitPublished(server: ReplicationServer): void {
    this.haServer = server;
    server.admit = (replica) => this.publishedInSync.includes(replica.replicaId);
  }

  private async follow(leader: LeaderValue): Promise<void> {
    this.move('follower');
    this.following = leader;
    this.haServer = undefined;
    await this.restart(this.followerOptions(), this.followerControl(leader.epoch));
  }

  private followerOptions(): BrokerOptions {
    return { ...this.options, role: 'slave', brokerId: this.resolved.brokerId };
  }

  private followerControl(epoch: number): ControlledRole {
    return { epoch, brokerId: this.resolved.brokerId, locate: () => this.locateMaster() };
  }

  private async locateMaster(): Promise<MasterLocation | undefined> {
    const leader = this.following;
    if (leader === undefined || !leader.ready) return undefined;
    return { masterAddress: leader.address, haAddress: leader.haAddress };
  }

  /** The follower was refused (a diverged log whose tail could not be cut at open): start over. */
  private refusedByMaster(): boolean {
    return (this.inner?.replication.follower()?.refusals ?? 0) > 0;
  }

  /** Closes the broker in its old role and opens it in the new one on the same ports. */
  private async restart(options: BrokerOptions, control: ControlledRole): Promise<void> {
    this.serving = false;
    await this.inner?.close();
    const started = await this.startInRole(options, control);
    this.inner = started;
    this.serving = true;
    this.options = { ...this.options, port: started.port, httpPort: started.httpPort ?? 'off' };
  }

  private masterRole(): 'async-master' | 'sync-master' {
    return this.resolved.role === 'sync-master' ? 'sync-master' : 'async-master';
  }

  private move(to: ElectionState): void {
    assertElectionTransition(this.state, to);
    if (to !== this.state) this.resolved.logger.info({ from: this.state, to }, 'broker role change (etcd)');
    this.state = to;
  }
}
