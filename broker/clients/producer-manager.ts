// Live producers per group, learned from heartbeats; transaction check-backs go to one of them.
import type { Channel } from '../../server/remoting-server.js';

export interface ProducerClient {
  readonly clientId: string;
  readonly channel: Channel;
  lastHeartbeatMs: number;
}

export class ProducerManager {
  private readonly groups = new Map<string, Map<string, ProducerClient>>();
  private rotation = 0;

  constructor(private readonly now: () => number = Date.now) {}

  register(group: string, clientId: string, channel: Channel): void {
    let clients = this.groups.get(group);
    if (clients === undefined) this.groups.set(group, (clients = new Map()));
    const existing = clients.get(clientId);
    if (existing !== undefined && existing.channel === channel) existing.lastHeartbeatMs = this.now();
    else clients.set(clientId, { clientId, channel, lastHeartbeatMs: this.now() });
  }

  unregister(group: string, clientId: string): void {
    const clients = this.groups.get(group);
    clients?.delete(clientId);
    if (clients?.size === 0) this.groups.delete(group);
  }

  channelClosed(channel: Channel): void {
    for (const [group, clients] of this.groups) {
      for (const [clientId, client] of clients) if (client.channel === channel) clients.delete(clientId);
      if (clients.size === 0) this.groups.delete(group);
    }
  }

  expire(expiryMs: number): void {
    const deadline = this.now() - expiryMs;
    for (const [group, clients] of this.groups) {
      for (const [clientId, client] of clients) if (client.lastHeartbeatMs < deadline) clients.delete(clientId);
      if (clients.size === 0) this.groups.delete(group);
    }
  }

  /** A live channel of the group, rotating between producers; undefined when none is live. */
  anyChannel(group: string): Channel | undefined {
    const live = [...(this.groups.get(group)?.values() ?? [])].filter((client) => !client.channel.isClosed);
    if (live.length === 0) return undefined;
    return live[this.rotation++ % live.length]!.channel;
  }

  groupsOf(): IterableIterator<[string, Map<string, ProducerClient>]> {
    return this.groups.entries();
  }
}
