// Child of the recovery trial: fills a store until its log passes fillBytes, tells the parent,
// and keeps appending until the parent SIGKILLs it (so the kill lands mid-append). Yields to
// the event loop after every batch so the async flusher and checkpoints run as in a server.
import { MessageStore } from '../../storage/index.js';
import { yieldToEventLoop } from '../lib/event-loop.js';
import { MessageStream } from '../lib/messages.js';
import { num, type Params } from '../lib/trial-types.js';

const [directory, paramsJson] = process.argv.slice(2);
if (directory === undefined || paramsJson === undefined || process.send === undefined) {
  throw new Error('usage: forked by runners/recovery.js with <directory> <params json>');
}
const params = JSON.parse(paramsJson) as Params;
const fillBytes = num(params, 'fillBytes');
const stream = new MessageStream(num(params, 'bodyBytes'), num(params, 'batchSize'), 8, 16);
const store = await MessageStore.open(directory, { segmentBytes: num(params, 'segmentBytes'), flush: 'async' });
let appended = 0;
let reported = false;
for (;;) {
  await store.appendBatch(stream.nextMessages());
  appended += num(params, 'batchSize');
  const stats = store.stats();
  if (!reported && stats.maxOffset >= fillBytes) {
    reported = true;
    process.send({ maxOffset: stats.maxOffset, flushedOffset: stats.flushedOffset, appended });
  }
  await yieldToEventLoop();
}
