// The process's shared client instances, one per instance key: the name servers, the
// instanceName (RocketMQ's: 'DEFAULT' unless given) and what shapes a connection (header
// encoding, credentials, TLS). Producers and consumers with the same key share one instance
// and so one connection per broker; a distinct instanceName gives a private one. A second
// member of a group the instance already carries gets an instance of its own (RocketMQ refuses
// such a member; here it keeps working, with its own client id the broker can tell apart).
import { createHash } from 'node:crypto';

import { INSTANCE_NAME_DEFAULT } from './client-constants.js';
import type { ClientOptions } from './client-options.js';
import { SharedClientInstance, type ClientMember, type ConnectionSettings } from './shared-client-instance.js';

export class ClientInstanceRegistry {
  private readonly instances = new Map<string, SharedClientInstance>();

  /**
   * The instance `member` joins: the shared one of `options`' key, created when missing, or a
   * private one when a member of the shared one already has one of its groups.
   */
  join(options: ClientOptions, settings: ConnectionSettings, member: ClientMember): SharedClientInstance {
    const key = instanceKey(options, settings);
    let instance = this.instances.get(key);
    if (instance !== undefined && !instance.isClosed && !sharesGroup(instance, member)) {
      instance.join(member);
      return instance;
    }
    instance = new SharedClientInstance(settings, (closed) => {
      if (this.instances.get(key) === closed) this.instances.delete(key);
    });
    if (!this.instances.has(key)) this.instances.set(key, instance);
    instance.join(member);
    return instance;
  }

  /** Shared instances open now (for tests and diagnostics). */
  get size(): number {
    return this.instances.size;
  }
}

/** Every shared instance of this process. */
export const CLIENT_INSTANCES = new ClientInstanceRegistry();

function sharesGroup(instance: SharedClientInstance, member: ClientMember): boolean {
  return (
    (member.producerGroup !== undefined && instance.hasGroup('producer', member.producerGroup)) ||
    (member.consumerGroup !== undefined && instance.hasGroup('consumer', member.consumerGroup))
  );
}

/** The key: equal exactly when two users may share connections. Secrets enter only as hashes. */
function instanceKey(options: ClientOptions, settings: ConnectionSettings): string {
  const { credentials } = settings;
  return JSON.stringify([
    [...settings.nameServers].sort(),
    options.instanceName ?? INSTANCE_NAME_DEFAULT,
    settings.serializeType,
    credentials === undefined
      ? null
      : [
          credentials.accessKey,
          createHash('sha256').update(credentials.secretKey).digest('hex'),
          credentials.securityToken ?? null,
        ],
    // A key's PEM text may be in there: hashed too.
    createHash('sha256')
      .update(JSON.stringify(options.tls ?? null))
      .digest('hex'),
  ]);
}
