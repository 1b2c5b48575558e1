// Which connections serve each TCC resource, learned from TCC_REGISTER_PARTICIPANT and forgotten
// when the connection closes. The coordinator sends a branch action to one live connection of
// its resource, taking them in turn.
import type { Channel } from '../../server/remoting-server.js';

export class TccParticipants {
  private readonly byResource = new Map<string, Channel[]>();
  private turn = 0;

  /** Adds `channel` for each resource; returns the resources it was new for. */
  register(channel: Channel, resources: readonly string[]): string[] {
    const added: string[] = [];
    for (const resource of resources) {
      const channels = this.byResource.get(resource) ?? [];
      if (channels.includes(channel)) continue;
      channels.push(channel);
      this.byResource.set(resource, channels);
      added.push(resource);
    }
    return added;
  }

  channelClosed(channel: Channel): void {
    for (const [resource, channels] of this.byResource) {
      const kept = channels.filter((c) => c !== channel);
      if (kept.length === 0) this.byResource.delete(resource);
      else this.byResource.set(resource, kept);
    }
  }

  /** A live connection serving `resource`, or undefined. */
  pick(resource: string): Channel | undefined {
    const live = (this.byResource.get(resource) ?? []).filter((channel) => !channel.isClosed);
    if (live.length === 0) return undefined;
    return live[this.turn++ % live.length];
  }
}
