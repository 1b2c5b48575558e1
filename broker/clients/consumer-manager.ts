// Live consumers per group, learned from heartbeats. A change of membership (a client joins,
// leaves, disconnects or goes silent) sends NOTIFY_CONSUMER_IDS_CHANGED to every remaining
// member so they rebalance at once instead of at their next 20 s tick.
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { Channel } from '../../server/remoting-server.js';

/**
 * The notification carries a token body although clients ignore it: ali-ons (tcp-base)
 * decodes an incoming frame with Buffer.concat([header, body]), which throws on a frame with
 * no body and makes it close the connection, failing its requests in flight.
 */
const NOTIFY_BODY = Buffer.from('{}');

export interface SubscriptionInfo {
  readonly topic: string;
  readonly subString: string;
  readonly expressionType: string;
}

export interface ConsumerClient {
  readonly clientId: string;
  readonly channel: Channel;
  lastHeartbeatMs: number;
}

export interface ConsumerGroup {
  readonly group: string;
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  subscriptions: Map<string, SubscriptionInfo>;
  readonly clients: Map<string, ConsumerClient>;
}

export interface ConsumerRegistration {
  readonly group: string;
  readonly clientId: string;
  readonly consumeType: string;
  readonly messageModel: string;
  readonly consumeFromWhere: string;
  readonly subscriptions: readonly SubscriptionInfo[];
}

export class ConsumerManager {
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly groupGoneListeners: ((group: string) => void)[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a heartbeat; returns true when the group's membership changed. */
  register(registration: ConsumerRegistration, channel: Channel): boolean {
    let group = this.groups.get(registration.group);
    if (group === undefined) {
      group = {
        group: registration.group,
        consumeType: registration.consumeType,
        messageModel: registration.messageModel,
        consumeFromWhere: registration.consumeFromWhere,
        subscriptions: new Map(),
        clients: new Map(),
      };
      this.groups.set(registration.group, group);
    }
    group.consumeType = registration.consumeType;
    group.messageModel = registration.messageModel;
    group.consumeFromWhere = registration.consumeFromWhere;
    group.subscriptions = new Map(registration.subscriptions.map((s) => [s.topic, s]));
    const existing = group.clients.get(registration.clientId);
    if (existing !== undefined && existing.channel === channel) {
      existing.lastHeartbeatMs = this.now();
      return false;
    }
    group.clients.set(registration.clientId, { clientId: registration.clientId, channel, lastHeartbeatMs: this.now() });
    this.notify(group);
    return true;
  }

  unregister(groupName: string, clientId: string): void {
    const group = this.groups.get(groupName);
    if (group?.clients.delete(clientId) === true) this.afterRemoval(group);
  }

  /** Drops every client that used `channel`. */
  channelClosed(channel: Channel): void {
    for (const group of [...this.groups.values()]) {
      let removed = false;
      for (const [clientId, client] of group.clients) {
        if (client.channel === channel) removed = group.clients.delete(clientId) || removed;
      }
      if (removed) this.afterRemoval(group);
    }
  }

  /** Drops clients silent for longer than `expiryMs`. */
  expire(expiryMs: number): void {
    const deadline = this.now() - expiryMs;
    for (const group of [...this.groups.values()]) {
      let removed = false;
      for (const [clientId, client] of group.clients) {
        if (client.lastHeartbeatMs < deadline) removed = group.clients.delete(clientId) || removed;
      }
      if (removed) this.afterRemoval(group);
    }
  }

  /** Called when a group's last client left (closed, unregistered or expired). */
  onGroupGone(listener: (group: string) => void): void {
    this.groupGoneListeners.push(listener);
  }

  get(group: string): ConsumerGroup | undefined {
    return this.groups.get(group);
  }

  all(): IterableIterator<ConsumerGroup> {
    return this.groups.values();
  }

  /** Client ids of a group, sorted as the allocation strategy expects. */
  clientIds(group: string): string[] {
    return [...(this.groups.get(group)?.clients.keys() ?? [])].sort();
  }

  private afterRemoval(group: ConsumerGroup): void {
    if (group.clients.size === 0) {
      this.groups.delete(group.group);
      for (const listener of this.groupGoneListeners) listener(group.group);
    } else {
      this.notify(group);
    }
  }

  private notify(group: ConsumerGroup): void {
    for (const client of group.clients.values()) {
      if (!client.channel.isClosed) {
        client.channel.sendOneway(
          REQUEST_CODE.NOTIFY_CONSUMER_IDS_CHANGED,
          { consumerGroup: group.group },
          NOTIFY_BODY,
        );
      }
    }
  }
}
