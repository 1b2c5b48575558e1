// The runner registry: trial `kind` -> function. Peers are imported lazily so a trial of one
// engine never loads another engine's native module.
import type { Runner } from '../lib/trial-types.js';

const lazy =
  (load: () => Promise<Runner>): Runner =>
  async (params, directory) =>
    (await load())(params, directory);

export const RUNNERS: Readonly<Record<string, Runner>> = {
  'tributary-append-batch': lazy(async () => (await import('./tributary.js')).appendBatch),
  'tributary-append-window': lazy(async () => (await import('./tributary.js')).appendWindow),
  'tributary-read': lazy(async () => (await import('./tributary.js')).readSequential),
  'tributary-sync-appenders': lazy(async () => (await import('./tributary.js')).syncAppenders),
  'tributary-event-loop': lazy(async () => (await import('./tributary.js')).eventLoop),
  'tributary-recovery': lazy(async () => (await import('./recovery.js')).recovery),
  'lmdb-append-async': lazy(async () => (await import('./lmdb.js')).appendAsync),
  'lmdb-append-txn': lazy(async () => (await import('./lmdb.js')).appendTxn),
  'lmdb-read': lazy(async () => (await import('./lmdb.js')).readRange),
  'lmdb-sync-appenders': lazy(async () => (await import('./lmdb.js')).syncAppenders),
  'sqlite-append': lazy(async () => (await import('./sqlite.js')).append),
  'sqlite-read': lazy(async () => (await import('./sqlite.js')).read),
  'plain-append': lazy(async () => (await import('./plain-log.js')).append),
  'plain-read': lazy(async () => (await import('./plain-log.js')).read),
  'plain-sync-appenders': lazy(async () => (await import('./plain-log.js')).syncAppenders),
  'disk-dd': lazy(async () => (await import('./disk-dd.js')).ddWrite),
  'plain-event-loop': lazy(async () => (await import('./plain-log.js')).eventLoopControl),
};
