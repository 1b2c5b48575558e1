// A broker that starts as a slave, typically a former master, may hold records its new master
// never got (acknowledged by an async master, or never acknowledged at all). Before it follows,
// it asks the master, record by record from its end backwards (probe frames), for the last
// record both logs share, and cuts its log there. Each cut is reported (logger, warn) and
// counted in <data>/replication-truncations.jsonl, one JSON line per cut.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { MessageStore } from '../../storage/index.js';
import { REPLICA_LOOKUP_TIMEOUT_MS, REPLICA_TAIL_PROBES_MAX } from '../broker-constants.js';
import type { ResolvedBrokerOptions } from '../broker-options.js';
import { findMaster, replicaLookupClient, splitAddress, type MasterLocation } from './find-master.js';
import { replicaAuthFrame } from './replica-auth.js';
import { ReplicationFrameDecoder, encodeReplicationFrame, type ReplicationFrame } from './replication-frame.js';

export const TRUNCATIONS_FILE = 'replication-truncations.jsonl';

export class TailTruncationError extends Error {
  override readonly name = 'TailTruncationError';
  readonly code = 'TAIL_TRUNCATION_REFUSED';
}

/**
 * Returns the store to follow with: `store` itself when nothing needs cutting or the master
 * cannot be reached now (the follower then refuses a diverged stream and says so), else the
 * store reopened after the cut.
 */
export async function truncateUnreplicatedTail(
  resolved: ResolvedBrokerOptions,
  store: MessageStore,
  reopen: () => Promise<MessageStore>,
  locate?: () => Promise<MasterLocation | undefined>,
): Promise<MessageStore> {
  const lookup = replicaLookupClient(resolved.replicaCredentials);
  let common: number | undefined;
  try {
    const master = await (locate?.() ?? findMaster(lookup, resolved.nameServers, resolved.brokerName));
    if (master === undefined) return store;
    common = await sharedEnd(store, master.haAddress, resolved.replicaCredentials);
  } finally {
    lookup.close();
  }
  const end = store.commitLogMaxOffset;
  if (common === undefined || common >= end) return store;
  const snapshots = stateSnapshots(resolved.dataDirectory);
  // Snapshots may cover cut commands; without them replay must start at the log's first record.
  if (snapshots.length > 0 && store.stats().minOffset > 0) {
    await store.close();
    throw new TailTruncationError(
      `the log must be cut at ${common} but retention removed commands only snapshots hold; ` +
        `empty ${resolved.dataDirectory} to copy the master afresh`,
    );
  }
  const directory = store.directory;
  const options = store.options;
  await store.close();
  const removed = await MessageStore.truncateLog(directory, common, options);
  for (const snapshot of snapshots) fs.rmSync(snapshot, { force: true });
  const entry = { at: new Date().toISOString(), from: end, to: common, bytes: removed };
  fs.appendFileSync(path.join(resolved.dataDirectory, TRUNCATIONS_FILE), `${JSON.stringify(entry)}\n`);
  resolved.logger.warn(entry, 'cut the unreplicated tail of the log to follow the master');
  return reopen();
}

/** Times this broker's log was cut to follow a master, and the bytes removed in all. */
export function truncationCount(dataDirectory: string): { truncations: number; bytes: number } {
  const file = path.join(dataDirectory, TRUNCATIONS_FILE);
  if (!fs.existsSync(file)) return { truncations: 0, bytes: 0 };
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  const bytes = lines.reduce((sum, line) => sum + Number((JSON.parse(line) as { bytes: number }).bytes), 0);
  return { truncations: lines.length, bytes };
}

function stateSnapshots(dataDirectory: string): string[] {
  const directory = path.join(dataDirectory, 'state');
  if (!fs.existsSync(directory)) return [];
  return fs
    .readdirSync(directory)
    .filter((name) => name.endsWith('.snapshot'))
    .map((name) => path.join(directory, name));
}

/**
 * The end of the last record both logs hold, asked over the master's HA port; undefined when
 * they share none or the master does not answer.
 */
async function sharedEnd(
  store: MessageStore,
  haAddress: string,
  credentials: { accessKey: string; secretKey: string } | undefined,
): Promise<number | undefined> {
  const [host, port] = splitAddress(haAddress);
  const socket = net.connect({ host, port });
  if (credentials !== undefined) socket.write(encodeReplicationFrame(replicaAuthFrame(credentials))[0]!);
  const decoder = new ReplicationFrameDecoder();
  const answers: ((frame: ReplicationFrame) => void)[] = [];
  socket.on('data', (chunk) => {
    try {
      decoder.push(chunk, (frame) => answers.shift()?.(frame));
    } catch {
      socket.destroy();
    }
  });
  const closed = new Promise<undefined>((resolve) => {
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => resolve(undefined));
  });
  const ask = (frame: ReplicationFrame): Promise<ReplicationFrame | undefined> => {
    const answer = new Promise<ReplicationFrame>((resolve) => answers.push(resolve));
    socket.write(encodeReplicationFrame(frame)[0]!);
    const timeout = new Promise<undefined>((resolve) =>
      setTimeout(() => resolve(undefined), REPLICA_LOOKUP_TIMEOUT_MS).unref(),
    );
    return Promise.race([answer, closed, timeout]);
  };
  try {
    let end = store.commitLogMaxOffset;
    for (let probes = 0; probes < REPLICA_TAIL_PROBES_MAX; probes++) {
      const last = store.lastRecordBefore(end);
      // No record shared at all is no former master's tail but another log: it is not cut, and
      // the master refuses to stream to it (the follower reports that).
      if (last === undefined) return undefined;
      const answer = await ask({ type: 'probe', offset: last.offset, size: last.size, checksum: last.checksum });
      if (answer?.type !== 'probe-result') return undefined;
      const recordEnd = last.offset + last.size;
      if (answer.matches && recordEnd <= answer.masterLogEnd) return recordEnd;
      end = last.offset;
    }
    return undefined;
  } finally {
    socket.destroy();
  }
}
