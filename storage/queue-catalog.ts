// The list of consume queues that exist, kept outside the consumequeue directory so that
// recovery notices a queue whose files were lost and rebuilds it from the commit log. A line
// is appended (and fdatasynced) when a queue is created; a torn last line is ignored.
//
// File `queues.catalog`, UTF-8 text, one line per queue:
// | field   | format                                |
// |---------|---------------------------------------|
// | topic   | 1-127 characters of [A-Za-z0-9_%|-]   |
// | ' '     | separator                             |
// | queueId | decimal integer                       |
// | '\n'    | terminator; a line without one is torn |
//
// A queueId of -1 is a tombstone: the topic was deleted, and its earlier lines no longer count
// (a later line creates its queue again). Appending one line keeps deletion crash-safe.
import path from 'node:path';

import type { StorageFile, StorageFileSystem } from './storage-file-system.js';
import { StoreError } from './store-error.js';
import { isValidTopic } from '../protocol/name-rules.js';

const CATALOG_FILE_NAME = 'queues.catalog';
/** A topic (checked against the name rules after the split) and a queue id. */
const LINE_PATTERN = /^(\S+) (-1|\d{1,9})$/;
/** The queueId of a tombstone line. */
const TOPIC_DELETED_QUEUE_ID = -1;

export interface CatalogEntry {
  readonly topic: string;
  readonly queueId: number;
}

export function encodeCatalogLine(entry: CatalogEntry): string {
  return `${entry.topic} ${entry.queueId}\n`;
}

export function decodeCatalog(text: string): CatalogEntry[] {
  const lines = text.split('\n');
  lines.pop(); // Text after the last newline is a torn line (or empty).
  const entries: CatalogEntry[] = [];
  for (const line of lines) {
    const match = LINE_PATTERN.exec(line);
    if (match === null || !isValidTopic(match[1])) continue;
    const queueId = Number(match[2]);
    if (queueId !== TOPIC_DELETED_QUEUE_ID) entries.push({ topic: match[1], queueId });
    else removeTopicEntries(entries, match[1]);
  }
  return entries;
}

export class QueueCatalog {
  private readonly file: StorageFile;
  private unsynced = false;
  readonly entries: CatalogEntry[];

  constructor(fileSystem: StorageFileSystem, directory: string) {
    const filePath = path.join(directory, CATALOG_FILE_NAME);
    try {
      this.file = fileSystem.open(filePath, 'append');
      const bytes = Buffer.alloc(this.file.size());
      this.file.read(bytes, 0);
      this.entries = decodeCatalog(bytes.toString('utf8'));
      // Cut a torn last line off: the next line appended would be glued to it and lost.
      const complete = bytes.lastIndexOf(0x0a) + 1;
      if (complete < bytes.length) this.file.truncate(complete);
    } catch (error) {
      throw StoreError.fromSystemError(error, `opening ${filePath}`);
    }
  }

  /**
   * Records a new queue. The line is written at once and made durable by the next sync():
   * the checkpoint syncs the catalog before it records queue data as durable, and a queue the
   * catalog lost in a crash is one whose records recovery re-dispatches anyway. Syncing here
   * would stall the event loop for every new queue.
   */
  add(entry: CatalogEntry): void {
    try {
      this.file.append(Buffer.from(encodeCatalogLine(entry), 'utf8'));
    } catch (error) {
      throw StoreError.fromSystemError(error, 'recording a new consume queue');
    }
    this.unsynced = true;
    this.entries.push(entry);
  }

  /** Records that a topic's queues were deleted (a tombstone line), durable at once. */
  removeTopic(topic: string): void {
    try {
      this.file.append(Buffer.from(encodeCatalogLine({ topic, queueId: TOPIC_DELETED_QUEUE_ID }), 'utf8'));
      this.file.datasync();
    } catch (error) {
      throw StoreError.fromSystemError(error, 'recording a deleted topic');
    }
    removeTopicEntries(this.entries, topic);
  }

  /** fdatasyncs lines added since the last sync, off the event loop. */
  async sync(): Promise<void> {
    if (!this.unsynced) return;
    this.unsynced = false;
    try {
      await this.file.datasyncAsync();
    } catch (error) {
      this.unsynced = true;
      throw StoreError.fromSystemError(error, 'syncing the queue catalog');
    }
  }

  close(): void {
    if (this.unsynced) this.file.datasync();
    this.file.close();
  }
}

function removeTopicEntries(entries: CatalogEntry[], topic: string): void {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.topic === topic) entries.splice(i, 1);
}
