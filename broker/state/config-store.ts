// The config centre's items as a log-backed state machine (ARCHITECTURE.md §4): every publish,
// rollback, delete and gray step is a command in state queue 7, so a restart (or a replica)
// rebuilds the same versions and history.
//
// An item is addressed by environment, namespace, group and key; environments never share
// anything. Each change of the main value is a new version (numbers increase per item and are
// never reused): a publish, a rollback (a new version equal to a kept earlier one), a delete (a
// tombstone version, value null) or a promoted gray release. History keeps the newest
// `keep` versions per item (the command carries it, so replay is deterministic); the oldest are
// dropped. A gray release is a pending version seen only by the clients it names or whose
// stable hash falls under its percentage, until promoted (a new main version) or abandoned.
//
// Each command also raises its namespace's revision, which watchers compare (Apollo's
// notification id): a watcher that knows revision r is told about the namespace once it passes r.
// Decisions (does the item exist, is the version kept) are made before submitting, and the
// commands carry every value they write, so apply never fails and never reads the clock.
import crc32c from 'fast-crc32c';

import type { MessageStore } from '../../storage/index.js';
import { STATE_QUEUE } from '../broker-constants.js';
import { ConfigCentreError } from '../config-centre/config-centre-error.js';
import { LogBackedStateMachine, type StateMachineDefinition } from './log-backed-state-machine.js';
import type { ConfigGrayRelease, ConfigVersion, ConfigVersionKind } from '../../protocol/config-history-body.js';

export interface ConfigAddress {
  readonly env: string;
  readonly namespace: string;
  readonly group: string;
  readonly key: string;
}

export type { ConfigVersion, ConfigVersionKind };
/** The broker's name for a pending gray release (protocol/config-history-body.ts). */
export type GrayRelease = ConfigGrayRelease;

interface ConfigItem {
  nextVersion: number;
  history: ConfigVersion[];
  gray: GrayRelease | undefined;
}

interface ConfigState {
  /** itemKey -> item */
  items: Map<string, ConfigItem>;
  /** namespaceKey -> revision (commands applied to the namespace) */
  revisions: Map<string, number>;
}

export interface ChangeMeta {
  readonly author: string;
  readonly time: number;
  readonly comment: string;
}

type ConfigCommand =
  | (ConfigAddress &
      ChangeMeta & { op: 'version'; value: string | null; kind: ConfigVersionKind; from?: number; keep: number })
  | (ConfigAddress & { op: 'gray'; release: GrayRelease })
  | (ConfigAddress & { op: 'abandon' });

/** A value as one client sees it. */
export interface ResolvedConfigItem {
  readonly group: string;
  readonly key: string;
  readonly value: string;
  readonly version: number;
  /** True when this client sees a gray release. */
  readonly gray: boolean;
}

/** A namespace's items as of a revision: the main values, and the gray releases pending. */
interface NamespaceView {
  readonly revision: number;
  readonly main: ResolvedConfigItem[];
  readonly grays: { group: string; key: string; release: GrayRelease }[];
}

/** What the config centre holds now, as the metrics show it. */
export interface ConfigStoreStats {
  readonly namespaces: number;
  /** Items whose newest version has a value (not deleted). */
  readonly liveItems: number;
  /** Versions kept in history, over all items. */
  readonly versionsKept: number;
  readonly grayReleases: number;
}

/** Every kind of change a command makes: a new main version of some kind, or a gray step. */
export type ConfigChangeKind = ConfigVersionKind | 'gray' | 'abandon';

/** The held watches' counts (config-watch-hold.ts), as the metrics read them. */
export interface ConfigWatchCounts {
  readonly held: number;
  readonly wakes: Readonly<Record<string, number>>;
}

const PERCENT_BUCKETS = 100;

/** The stable 0-99 bucket of a client id: a gray release of N percent reaches buckets below N. */
export function configGrayBucket(clientId: string): number {
  return (crc32c.calculate(Buffer.from(clientId, 'utf8')) >>> 0) % PERCENT_BUCKETS;
}

const SEPARATOR = '\u0000';
const namespaceKey = (env: string, namespace: string): string => `${env}${SEPARATOR}${namespace}`;
const itemKey = (a: ConfigAddress): string => [a.env, a.namespace, a.group, a.key].join(SEPARATOR);

function applyConfigCommand(state: ConfigState, command: ConfigCommand): void {
  const key = itemKey(command);
  let item = state.items.get(key);
  if (item === undefined) state.items.set(key, (item = { nextVersion: 1, history: [], gray: undefined }));
  if (command.op === 'version') {
    const { value, author, time, comment, kind, from } = command;
    item.history.push({
      version: item.nextVersion++,
      value,
      author,
      time,
      comment,
      kind,
      ...(from === undefined ? {} : { from }),
    });
    if (item.history.length > command.keep) item.history.splice(0, item.history.length - command.keep);
    if (kind === 'promote') item.gray = undefined;
  } else if (command.op === 'gray') {
    item.gray = command.release;
    item.nextVersion = Math.max(item.nextVersion, command.release.version + 1);
  } else {
    item.gray = undefined;
  }
  const ns = namespaceKey(command.env, command.namespace);
  state.revisions.set(ns, (state.revisions.get(ns) ?? 0) + 1);
}

const definition: StateMachineDefinition<ConfigState, ConfigCommand> = {
  name: 'config-centre',
  queueId: STATE_QUEUE.configCentre,
  initial: () => ({ items: new Map(), revisions: new Map() }),
  apply: applyConfigCommand,
  toSnapshot: (state) => ({
    items: [...state.items].map(([key, item]) => [key, { ...item, gray: item.gray ?? null }]),
    revisions: [...state.revisions],
  }),
  fromSnapshot: (data) => {
    const snapshot = data as {
      items: [string, ConfigItem & { gray: GrayRelease | null }][];
      revisions: [string, number][];
    };
    return {
      items: new Map(snapshot.items.map(([key, item]) => [key, { ...item, gray: item.gray ?? undefined }])),
      revisions: new Map(snapshot.revisions),
    };
  },
};

export class ConfigStore {
  private readonly machine: LogBackedStateMachine<ConfigState, ConfigCommand>;
  private readonly listeners: ((env: string, namespace: string) => void)[] = [];
  /** namespaceKey -> its items (an index of the state, so a read never scans other namespaces). */
  private readonly byNamespace = new Map<string, Map<string, ConfigItem>>();
  /** namespaceKey -> what clients outside any gray release see, as of a revision (a cache). */
  private readonly views = new Map<string, NamespaceView>();
  /** Changes made through this broker since it started, by kind (plain numbers, for the metrics). */
  readonly changes = new Map<ConfigChangeKind, number>();
  /** The watches held on this broker, once the config centre's requests are registered. */
  watches: ConfigWatchCounts | undefined;

  constructor(
    store: MessageStore,
    stateDirectory: string,
    private readonly historyVersionsMax: number,
  ) {
    if (!(Number.isSafeInteger(historyVersionsMax) && historyVersionsMax >= 1))
      throw new RangeError(`config history must keep at least 1 version, got ${historyVersionsMax}`);
    this.machine = LogBackedStateMachine.open(store, stateDirectory, definition);
    for (const [key, item] of this.machine.state.items) this.indexItem(key, item);
  }

  /** Called after every change of a namespace, once the command is stored. */
  onChange(listener: (env: string, namespace: string) => void): void {
    this.listeners.push(listener);
  }

  /** A new main version holding `value`. */
  publish(address: ConfigAddress, value: string, meta: ChangeMeta): Promise<ConfigVersion> {
    return this.newVersion(address, value, 'publish', meta);
  }

  /** A tombstone version; CONFIG_NOT_FOUND when the item has no live value. */
  delete(address: ConfigAddress, meta: ChangeMeta): Promise<ConfigVersion> {
    if (this.latest(address)?.value == null) throw new ConfigCentreError('CONFIG_NOT_FOUND', describe(address));
    return this.newVersion(address, null, 'delete', meta);
  }

  /** A new version equal to kept version `toVersion`. */
  rollback(address: ConfigAddress, toVersion: number, meta: ChangeMeta): Promise<ConfigVersion> {
    const target = this.item(address)?.history.find((entry) => entry.version === toVersion);
    if (target === undefined)
      throw new ConfigCentreError('CONFIG_VERSION_NOT_KEPT', `${describe(address)} version ${toVersion}`);
    return this.newVersion(address, target.value, 'rollback', meta, toVersion);
  }

  /** Publishes `value` to the named clients and a percentage of all clients only. */
  async gray(
    address: ConfigAddress,
    value: string,
    audience: { clientIds: string[]; percent: number },
    meta: ChangeMeta,
  ): Promise<GrayRelease> {
    const version = this.item(address)?.nextVersion ?? 1;
    const release: GrayRelease = { version, value, ...meta, ...audience };
    await this.submit({ ...pick(address), op: 'gray', release });
    return release;
  }

  /** The gray release becomes the main version (a new version number). */
  promote(address: ConfigAddress, meta: ChangeMeta): Promise<ConfigVersion> {
    const gray = this.item(address)?.gray;
    if (gray === undefined) throw new ConfigCentreError('CONFIG_NO_GRAY', describe(address));
    return this.newVersion(
      address,
      gray.value,
      'promote',
      { ...meta, comment: meta.comment || gray.comment },
      gray.version,
    );
  }

  async abandon(address: ConfigAddress): Promise<void> {
    if (this.item(address)?.gray === undefined) throw new ConfigCentreError('CONFIG_NO_GRAY', describe(address));
    await this.submit({ ...pick(address), op: 'abandon' });
  }

  /** Kept versions, oldest first, and the pending gray release. */
  history(address: ConfigAddress): { versions: ConfigVersion[]; gray: GrayRelease | undefined } {
    const item = this.item(address);
    return { versions: [...(item?.history ?? [])], gray: item?.gray };
  }

  revision(env: string, namespace: string): number {
    return this.machine.state.revisions.get(namespaceKey(env, namespace)) ?? 0;
  }

  /** The live items of a namespace as `clientId` sees them (gray applied). */
  namespace(env: string, namespace: string, clientId: string): ResolvedConfigItem[] {
    const view = this.view(env, namespace);
    if (view.grays.length === 0) return view.main;
    const bucket = configGrayBucket(clientId);
    const mine = view.grays.filter(({ release }) => release.clientIds.includes(clientId) || bucket < release.percent);
    if (mine.length === 0) return view.main;
    const items = new Map(view.main.map((item) => [`${item.group}${SEPARATOR}${item.key}`, item]));
    for (const { group, key, release } of mine)
      items.set(`${group}${SEPARATOR}${key}`, {
        group,
        key,
        value: release.value,
        version: release.version,
        gray: true,
      });
    return [...items.values()];
  }

  get stateMachine(): LogBackedStateMachine<ConfigState, ConfigCommand> {
    return this.machine;
  }

  /** Counts over the whole state, for the metrics (read at scrape time). */
  stats(): ConfigStoreStats {
    let liveItems = 0;
    let versionsKept = 0;
    let grayReleases = 0;
    for (const item of this.machine.state.items.values()) {
      if (item.history.at(-1)?.value != null) liveItems++;
      versionsKept += item.history.length;
      if (item.gray !== undefined) grayReleases++;
    }
    return { namespaces: this.byNamespace.size, liveItems, versionsKept, grayReleases };
  }

  private async newVersion(
    address: ConfigAddress,
    value: string | null,
    kind: ConfigVersionKind,
    meta: ChangeMeta,
    from?: number,
  ): Promise<ConfigVersion> {
    const version = this.item(address)?.nextVersion ?? 1;
    const { author, time, comment } = meta;
    const command: ConfigCommand = {
      ...pick(address),
      op: 'version',
      value,
      kind,
      author,
      time,
      comment,
      keep: this.historyVersionsMax,
    };
    if (from !== undefined) command.from = from;
    await this.submit(command);
    return { version, value, author, time, comment, kind, ...(from === undefined ? {} : { from }) };
  }

  private async submit(command: ConfigCommand): Promise<void> {
    const stored = this.machine.submit(command);
    const kind: ConfigChangeKind = command.op === 'version' ? command.kind : command.op;
    this.changes.set(kind, (this.changes.get(kind) ?? 0) + 1);
    const key = itemKey(command);
    this.indexItem(key, this.machine.state.items.get(key)!);
    // Watchers hear of a change once it is stored, so none acts on a value a crash could take back.
    await stored;
    for (const listener of this.listeners) listener(command.env, command.namespace);
  }

  private indexItem(key: string, item: ConfigItem): void {
    const split = key.indexOf(SEPARATOR, key.indexOf(SEPARATOR) + 1);
    const namespace = key.slice(0, split);
    let items = this.byNamespace.get(namespace);
    if (items === undefined) this.byNamespace.set(namespace, (items = new Map()));
    items.set(key.slice(split + 1), item);
  }

  private view(env: string, namespace: string): NamespaceView {
    const key = namespaceKey(env, namespace);
    const revision = this.machine.state.revisions.get(key) ?? 0;
    const cached = this.views.get(key);
    if (cached?.revision === revision) return cached;
    const view: NamespaceView = { revision, main: [], grays: [] };
    for (const [groupAndKey, item] of this.byNamespace.get(key) ?? []) {
      const [group, name] = groupAndKey.split(SEPARATOR) as [string, string];
      const latest = item.history.at(-1);
      if (latest?.value != null)
        view.main.push({ group, key: name, value: latest.value, version: latest.version, gray: false });
      if (item.gray !== undefined) view.grays.push({ group, key: name, release: item.gray });
    }
    this.views.set(key, view);
    return view;
  }

  private item(address: ConfigAddress): ConfigItem | undefined {
    return this.machine.state.items.get(itemKey(address));
  }

  private latest(address: ConfigAddress): ConfigVersion | undefined {
    return this.item(address)?.history.at(-1);
  }
}

function pick({ env, namespace, group, key }: ConfigAddress): ConfigAddress {
  return { env, namespace, group, key };
}

function describe(address: ConfigAddress): string {
  return `${address.env}/${address.namespace}/${address.group}/${address.key}`;
}
