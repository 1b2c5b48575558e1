// The config centre's request processor: reads a request (config-request.ts), asks the config
// store, answers JSON. Access control has already checked PUB (changes) or SUB (reads) on
// config "env/namespace" (request-permission-table.ts). The author of a change is the request's
// ACL account when it is signed, else the name the client gives, else "anonymous".
import { bodyOf, responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { ACL_FIELD } from '../../protocol/request-signature.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import type { Channel } from '../../server/remoting-server.js';
import type { ChangeMeta, ConfigStore } from '../state/config-store.js';
import { ConfigCentreError } from './config-centre-error.js';
import {
  configAddress,
  configComment,
  configGrayAudience,
  configInteger,
  configName,
  configRequest,
  configValue,
  configWatch,
} from './config-request.js';
import type { ConfigWatchHold } from './config-watch-hold.js';

type Fields = Record<string, unknown>;
const ANONYMOUS_AUTHOR = 'anonymous';

/** A response body already serialized. */
class PreparedJson {
  constructor(readonly text: string) {}
}

export class ConfigCentreProcessor {
  /** Item lists the store shares between clients, serialized once each. */
  private readonly serialized = new WeakMap<object, string>();
  constructor(
    private readonly store: ConfigStore,
    private readonly holds: ConfigWatchHold,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `handler` on the parsed body; a ConfigCentreError becomes a refusal with its code. */
  async handle(
    request: RemotingCommand,
    handler: (fields: Fields, request: RemotingCommand) => Promise<unknown> | unknown,
  ): Promise<RemotingCommand | undefined> {
    try {
      const result = await handler(configRequest(bodyOf(request)), request);
      if (result === undefined) return undefined;
      const text = result instanceof PreparedJson ? result.text : JSON.stringify(result);
      return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, undefined, Buffer.from(text));
    } catch (error) {
      if (!(error instanceof ConfigCentreError)) throw error;
      return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, error.message, { configError: error.code });
    }
  }

  async publish(fields: Fields, request: RemotingCommand): Promise<unknown> {
    const address = configAddress(fields);
    const value = configValue(fields);
    const audience = configGrayAudience(fields);
    const meta = this.meta(fields, request);
    if (audience !== undefined)
      return { version: (await this.store.gray(address, value, audience, meta)).version, gray: true };
    return { version: (await this.store.publish(address, value, meta)).version, gray: false };
  }

  get(fields: Fields): unknown {
    const env = configName(fields, 'env');
    const namespace = configName(fields, 'namespace');
    const clientId = configName(fields, 'clientId');
    return { revision: this.store.revision(env, namespace), items: this.store.namespace(env, namespace, clientId) };
  }

  /** Answers at once when a namespace is past what the client knows; otherwise holds (long poll). */
  async watch(fields: Fields, channel: Channel): Promise<unknown> {
    const env = configName(fields, 'env');
    const clientId = configName(fields, 'clientId');
    const { known, holdMs } = configWatch(fields);
    let changes = this.changes(env, clientId, known);
    if (changes.length === 0) {
      const wake = await this.holds.wait(env, [...known.keys()], holdMs, channel);
      if (wake === 'closed') return undefined;
      // Answering "nothing changed" at once would make the client poll again at once, in a loop.
      if (wake === 'full') throw new ConfigCentreError('CONFIG_BUSY', `${this.holds.held} watches are held already`);
      changes = this.changes(env, clientId, known);
    }
    return new PreparedJson(`{"changes":[${changes.join(',')}]}`);
  }

  history(fields: Fields): unknown {
    const { versions, gray } = this.store.history(configAddress(fields));
    return { versions, gray: gray ?? null };
  }

  async rollback(fields: Fields, request: RemotingCommand): Promise<unknown> {
    const toVersion = configInteger(fields, 'toVersion', 1, Number.MAX_SAFE_INTEGER);
    return {
      version: (await this.store.rollback(configAddress(fields), toVersion, this.meta(fields, request))).version,
    };
  }

  async delete(fields: Fields, request: RemotingCommand): Promise<unknown> {
    return { version: (await this.store.delete(configAddress(fields), this.meta(fields, request))).version };
  }

  async promote(fields: Fields, request: RemotingCommand): Promise<unknown> {
    return { version: (await this.store.promote(configAddress(fields), this.meta(fields, request))).version };
  }

  async abandon(fields: Fields): Promise<unknown> {
    await this.store.abandon(configAddress(fields));
    return {};
  }

  /**
   * The namespaces past what the client knows, with their items, as JSON text: one change wakes
   * every watcher of a namespace at once, and most share one item list, serialized once.
   */
  private changes(env: string, clientId: string, known: ReadonlyMap<string, number>): string[] {
    const changes: string[] = [];
    for (const [namespace, knownRevision] of known) {
      const revision = this.store.revision(env, namespace);
      if (revision === knownRevision) continue;
      const items = this.store.namespace(env, namespace, clientId);
      let text = this.serialized.get(items);
      if (text === undefined) this.serialized.set(items, (text = JSON.stringify(items)));
      changes.push(`{"namespace":${JSON.stringify(namespace)},"revision":${revision},"items":${text}}`);
    }
    return changes;
  }

  private meta(fields: Fields, request: RemotingCommand): ChangeMeta {
    const account = request.extFields?.[ACL_FIELD.accessKey];
    const author =
      account !== undefined && account !== ''
        ? String(account)
        : fields.author === undefined
          ? ANONYMOUS_AUTHOR
          : configName(fields, 'author');
    return { author, time: this.now(), comment: configComment(fields) };
  }
}
