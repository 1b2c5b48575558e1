// ConfigClient: the config centre as an application sees it. Bound to one broker and one
// environment. Reads load a whole namespace (with this client's gray releases applied) and keep
// it current: every namespace read runs one long poll for it (CONFIG_WATCH, Apollo's notifications/v2:
// the client sends the revision it knows, the broker answers when the namespace passes it), and
// each changed key is reported to the watchers of that key or of the whole namespace.
//
// With `cacheDirectory`, every namespace received is saved to disk (config-disk-cache.ts); when
// the broker cannot be reached, reads fall back to that copy, `servingCached` turns true and a
// 'cached' event is emitted; the first answer from the broker again emits 'live'.
//
// Events: 'cached' (namespace, error), 'live' (namespace), 'watchError' (namespace, error) for a
// failed poll (it is retried with backoff), 'cacheError' (namespace, error) when the disk copy
// could not be written, 'listenerError' (error) for what a watch listener threw.
import { EventEmitter } from 'node:events';

import { newClientId } from '../client-options.js';
import { REQUEST_TIMEOUT_MS_DEFAULT } from '../client-constants.js';
import { clientTlsConnectionOptions, type ClientTlsOptions } from '../remoting/client-tls-options.js';
import { RemotingClient } from '../remoting/remoting-client.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { AccessCredentials } from '../../protocol/request-signature.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import {
  CONFIG_GROUP_DEFAULT,
  CONFIG_WATCH_HOLD_MS_DEFAULT,
  CONFIG_WATCH_RETRY_MS_MAX,
  CONFIG_WATCH_RETRY_MS_MIN,
  CONFIG_WATCH_TIMEOUT_MARGIN_MS,
} from './config-client-constants.js';
import { ConfigDiskCache } from './config-disk-cache.js';
import type { ConfigItem } from './config-item.js';
import { CONFIG_ERRORS, ConfigError, type ConfigErrorCode } from './config-error.js';
import { ConfigWatchers, type ConfigChange, type ConfigChangeListener } from './config-watchers.js';
import type { ConfigGrayRelease, ConfigVersion } from '../../protocol/config-history-body.js';

/**
 * Options of a ConfigClient; `broker` and `env` are required (CONFIG_INVALID when empty).
 * Defaults: a new client id, no disk cache, requests time out after the client's default,
 * watches are held CONFIG_WATCH_HOLD_MS_DEFAULT.
 */
export interface ConfigClientOptions {
  /** The broker's 'host:port'. */
  readonly broker: string;
  /** The environment this client lives in (dev, test, prod...); it sees nothing of the others. */
  readonly env: string;
  /** Identifies this client for gray releases; stable across restarts if you want the same gray. */
  readonly clientId?: string;
  /** Signs every request with an ACL account (which is then the author of changes). */
  readonly credentials?: AccessCredentials;
  /** TLS to the broker: true trusts the system's CAs; an object gives a CA, client certificate, key. */
  readonly tls?: boolean | ClientTlsOptions;
  /** Where to keep the last values of each namespace, for starting without a broker. */
  readonly cacheDirectory?: string;
  readonly requestTimeoutMs?: number;
  /** How long the broker holds a watch when nothing changes. */
  readonly watchHoldMs?: number;
  /** The author of changes when no ACL account signs them. */
  readonly author?: string;
}

export type { ConfigGrayRelease, ConfigVersion };

/** Which item of a key (`group`, default DEFAULT_GROUP) and the comment a change is kept with. */
export interface ConfigItemOptions {
  readonly group?: string;
  readonly comment?: string;
}

/** How to publish: to everyone, or as a gray release when either gray option is given. */
export interface PublishOptions extends ConfigItemOptions {
  /** Publish as a gray release to these client ids only (until promoted or abandoned). */
  readonly grayClientIds?: readonly string[];
  /** Publish as a gray release to this percentage (0-100) of clients, by a stable hash of their ids. */
  readonly grayPercent?: number;
}

interface LoadedNamespace {
  revision: number;
  items: Map<string, ConfigItem>;
}

/**
 * The config centre as an application sees it, bound to one broker and one environment. Reads
 * load a whole namespace and keep it current by long polling; with `cacheDirectory` they fall
 * back to the last copy saved on disk when the broker is unreachable. Events: 'cached', 'live',
 * 'watchError', 'cacheError', 'listenerError', 'close'. Refusals are ConfigErrors.
 */
export class ConfigClient extends EventEmitter {
  readonly clientId: string;
  readonly env: string;
  private readonly remoting: RemotingClient;
  private readonly cache: ConfigDiskCache | undefined;
  private readonly loaded = new Map<string, LoadedNamespace>();
  private readonly loading = new Map<string, Promise<LoadedNamespace>>();
  private readonly polling = new Set<string>();
  private readonly watchers = new ConfigWatchers((error) => this.emit('listenerError', error));
  private readonly cachedNamespaces = new Set<string>();
  private closed = false;

  constructor(private readonly options: ConfigClientOptions) {
    super();
    if (options.env === '' || options.broker === '')
      throw new ConfigError('CONFIG_INVALID', 'a config client needs a broker and an env');
    this.env = options.env;
    this.clientId = options.clientId ?? newClientId();
    this.remoting = new RemotingClient({
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      ...(options.tls === undefined || options.tls === false ? {} : { tls: tlsOptions(options.tls) }),
    });
    this.cache =
      options.cacheDirectory === undefined ? undefined : new ConfigDiskCache(options.cacheDirectory, this.env);
  }

  /** True while some namespace is served from the disk copy because the broker was unreachable. */
  get servingCached(): boolean {
    return this.cachedNamespaces.size > 0;
  }

  /** The value of a key (undefined when absent or deleted). */
  async get(namespace: string, key: string, options: ConfigItemOptions = {}): Promise<string | undefined> {
    const loaded = await this.namespace(namespace);
    return loaded.items.get(itemId(options.group ?? CONFIG_GROUP_DEFAULT, key))?.value;
  }

  /** Every live item of a namespace. */
  async items(namespace: string): Promise<ConfigItem[]> {
    return [...(await this.namespace(namespace)).items.values()];
  }

  /**
   * Calls `listener` for each change of `key` (or of any key when key is undefined) of the
   * namespace, from now on. Resolves once the namespace is loaded and watched; returns the stop.
   */
  async watch(
    namespace: string,
    key: string | undefined,
    listener: ConfigChangeListener,
    options: { group?: string } = {},
  ): Promise<() => void> {
    const stop = this.watchers.add(namespace, key, options.group ?? CONFIG_GROUP_DEFAULT, listener);
    await this.namespace(namespace);
    this.startPolling(namespace);
    return stop;
  }

  /**
   * The changes of a key (or of the namespace) as an async iterator, resolved once the watch is
   * in place: `for await (const change of await client.changes('app', 'k'))`. It ends when the
   * client closes or the loop breaks.
   */
  async changes(
    namespace: string,
    key?: string,
    options: { group?: string } = {},
  ): Promise<AsyncIterableIterator<ConfigChange>> {
    const queue: ConfigChange[] = [];
    let wake: (() => void) | undefined;
    const stop = await this.watch(
      namespace,
      key,
      (change) => {
        queue.push(change);
        wake?.();
      },
      options,
    );
    const onClose = (): void => wake?.();
    this.once('close', onClose);
    const finish = (): IteratorResult<ConfigChange> => {
      this.off('close', onClose);
      stop();
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterableIterator<ConfigChange> = {
      next: async () => {
        while (queue.length === 0 && !this.closed) await new Promise<void>((resolve) => (wake = resolve));
        const change = queue.shift();
        return change === undefined ? finish() : { done: false, value: change };
      },
      return: async () => finish(),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * A new version of a key, or a gray release of it with `grayClientIds` or `grayPercent`;
   * CONFIG_INVALID for an out-of-bounds name or value.
   */
  async publish(
    namespace: string,
    key: string,
    value: string,
    options: PublishOptions = {},
  ): Promise<{ version: number; gray: boolean }> {
    const gray =
      options.grayClientIds === undefined && options.grayPercent === undefined
        ? {}
        : { grayClientIds: options.grayClientIds ?? [], grayPercent: options.grayPercent ?? 0 };
    return (await this.request(REQUEST_CODE.CONFIG_PUBLISH, {
      ...this.item(namespace, key, options),
      value,
      ...gray,
    })) as {
      version: number;
      gray: boolean;
    };
  }

  /** The kept versions of a key, oldest first, and its gray release; both empty for an unknown key. */
  async history(
    namespace: string,
    key: string,
    options: ConfigItemOptions = {},
  ): Promise<{ versions: ConfigVersion[]; gray: ConfigGrayRelease | null }> {
    return (await this.request(REQUEST_CODE.CONFIG_HISTORY, this.item(namespace, key, options))) as {
      versions: ConfigVersion[];
      gray: ConfigGrayRelease | null;
    };
  }

  /** A new version equal to kept version `toVersion`. */
  async rollback(
    namespace: string,
    key: string,
    toVersion: number,
    options: ConfigItemOptions = {},
  ): Promise<{ version: number }> {
    return (await this.request(REQUEST_CODE.CONFIG_ROLLBACK, { ...this.item(namespace, key, options), toVersion })) as {
      version: number;
    };
  }

  /** A tombstone version: the key reads as absent. */
  async delete(namespace: string, key: string, options: ConfigItemOptions = {}): Promise<{ version: number }> {
    return (await this.request(REQUEST_CODE.CONFIG_DELETE, this.item(namespace, key, options))) as { version: number };
  }

  /** The gray release becomes the main version for everyone. */
  async promote(namespace: string, key: string, options: ConfigItemOptions = {}): Promise<{ version: number }> {
    return (await this.request(REQUEST_CODE.CONFIG_PROMOTE, this.item(namespace, key, options))) as { version: number };
  }

  /** Drops the gray release; its clients see the main version again. */
  async abandon(namespace: string, key: string, options: ConfigItemOptions = {}): Promise<void> {
    await this.request(REQUEST_CODE.CONFIG_ABANDON, this.item(namespace, key, options));
  }

  /** Stops every long poll, drops the listeners and closes the connection; emits 'close'. */
  close(): void {
    this.closed = true;
    this.remoting.close();
    this.watchers.close();
    this.emit('close');
  }

  private item(namespace: string, key: string, options: ConfigItemOptions): Record<string, unknown> {
    const fields: Record<string, unknown> = {
      env: this.env,
      namespace,
      key,
      group: options.group ?? CONFIG_GROUP_DEFAULT,
    };
    if (options.comment !== undefined) fields.comment = options.comment;
    if (this.options.author !== undefined) fields.author = this.options.author;
    return fields;
  }

  /** The loaded namespace; loads it (from the broker, else the disk copy) the first time. */
  private namespace(namespace: string): Promise<LoadedNamespace> {
    const loaded = this.loaded.get(namespace);
    if (loaded !== undefined) return Promise.resolve(loaded);
    let loading = this.loading.get(namespace);
    if (loading === undefined) {
      loading = this.load(namespace).finally(() => this.loading.delete(namespace));
      this.loading.set(namespace, loading);
    }
    return loading;
  }

  private async load(namespace: string): Promise<LoadedNamespace> {
    let answer: { revision: number; items: ConfigItem[] };
    try {
      answer = (await this.request(REQUEST_CODE.CONFIG_GET, {
        env: this.env,
        namespace,
        clientId: this.clientId,
      })) as typeof answer;
    } catch (error) {
      const cached =
        error instanceof ConfigError && error.code === 'CONFIG_UNAVAILABLE' ? this.cache?.load(namespace) : undefined;
      if (cached === undefined) throw error;
      this.cachedNamespaces.add(namespace);
      answer = cached;
      this.emit('cached', namespace, error);
    }
    const loaded = {
      revision: answer.revision,
      items: new Map(answer.items.map((item) => [itemId(item.group, item.key), item])),
    };
    this.loaded.set(namespace, loaded);
    if (!this.cachedNamespaces.has(namespace)) this.save(namespace, loaded);
    // A namespace once read stays current: its long poll keeps the values (and the disk copy) fresh.
    this.startPolling(namespace);
    return loaded;
  }

  private startPolling(namespace: string): void {
    if (this.polling.has(namespace) || this.closed) return;
    this.polling.add(namespace);
    void this.poll(namespace);
  }

  /** One namespace's long-poll loop, until the client closes. */
  private async poll(namespace: string): Promise<void> {
    const holdMs = this.options.watchHoldMs ?? CONFIG_WATCH_HOLD_MS_DEFAULT;
    let retryMs = CONFIG_WATCH_RETRY_MS_MIN;
    while (!this.closed) {
      const loaded = this.loaded.get(namespace)!;
      try {
        if (this.cachedNamespaces.has(namespace)) await this.reload(namespace);
        const answer = (await this.request(
          REQUEST_CODE.CONFIG_WATCH,
          { env: this.env, clientId: this.clientId, holdMs, known: { [namespace]: loaded.revision } },
          holdMs + CONFIG_WATCH_TIMEOUT_MARGIN_MS,
        )) as { changes: { namespace: string; revision: number; items: ConfigItem[] }[] };
        retryMs = CONFIG_WATCH_RETRY_MS_MIN;
        for (const change of answer.changes) this.apply(change.namespace, change.revision, change.items);
      } catch (error) {
        if (this.closed) return;
        this.emit('watchError', namespace, error);
        await new Promise((resolve) => setTimeout(resolve, retryMs).unref());
        retryMs = Math.min(retryMs * 2, CONFIG_WATCH_RETRY_MS_MAX);
      }
    }
  }

  /** Reads a namespace served from the disk copy from the broker again; emits 'live'. */
  private async reload(namespace: string): Promise<void> {
    const answer = (await this.request(REQUEST_CODE.CONFIG_GET, {
      env: this.env,
      namespace,
      clientId: this.clientId,
    })) as {
      revision: number;
      items: ConfigItem[];
    };
    this.cachedNamespaces.delete(namespace);
    this.apply(namespace, answer.revision, answer.items);
    this.emit('live', namespace);
  }

  /** Takes a namespace's new items, reporting each key whose value or version changed. */
  private apply(namespace: string, revision: number, items: readonly ConfigItem[]): void {
    const loaded = this.loaded.get(namespace);
    if (loaded === undefined) return;
    const next = new Map(items.map((item) => [itemId(item.group, item.key), item]));
    const changes: ConfigChange[] = [];
    for (const [id, item] of next) {
      const before = loaded.items.get(id);
      if (before?.value !== item.value || before.version !== item.version)
        changes.push({
          namespace,
          group: item.group,
          key: item.key,
          value: item.value,
          previous: before?.value,
          version: item.version,
          gray: item.gray,
        });
    }
    for (const [id, before] of loaded.items)
      if (!next.has(id))
        changes.push({
          namespace,
          group: before.group,
          key: before.key,
          value: undefined,
          previous: before.value,
          version: undefined,
          gray: false,
        });
    loaded.revision = revision;
    loaded.items = next;
    this.save(namespace, loaded);
    for (const change of changes) this.watchers.notify(change);
  }

  private save(namespace: string, loaded: LoadedNamespace): void {
    this.cache
      ?.save(namespace, loaded.revision, [...loaded.items.values()])
      .catch((error: unknown) => this.emit('cacheError', namespace, error));
  }

  private async request(code: number, body: Record<string, unknown>, timeoutMs?: number): Promise<unknown> {
    let response: RemotingCommand;
    try {
      response = await this.remoting.invoke(
        this.options.broker,
        { code, body: Buffer.from(JSON.stringify(body)) },
        timeoutMs ?? this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT,
      );
    } catch (error) {
      throw new ConfigError('CONFIG_UNAVAILABLE', `broker ${this.options.broker}`, { cause: error });
    }
    if (response.code !== RESPONSE_CODE.SUCCESS) throw refusal(response);
    return JSON.parse(((response.body as Buffer | undefined) ?? Buffer.from('{}')).toString('utf8'));
  }
}

function refusal(response: RemotingCommand): ConfigError {
  const code = String(response.extFields?.configError ?? '');
  const known = code in CONFIG_ERRORS ? (code as ConfigErrorCode) : 'CONFIG_REFUSED';
  return new ConfigError(known, `${response.remark ?? ''} (response code ${response.code})`, {
    responseCode: response.code,
  });
}

function tlsOptions(option: true | ClientTlsOptions): ReturnType<typeof clientTlsConnectionOptions> {
  try {
    return clientTlsConnectionOptions(option);
  } catch (error) {
    throw new ConfigError('CONFIG_INVALID', `tls: ${(error as Error).message}`, { cause: error });
  }
}

function itemId(group: string, key: string): string {
  return `${group}\u0000${key}`;
}
