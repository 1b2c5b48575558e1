// The queue catalog's tombstone line (queueId -1): a deleted topic's earlier lines stop
// counting, so recovery does not rebuild its queues; a later line creates a queue again.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { decodeCatalog, encodeCatalogLine } from '../../storage/queue-catalog.js';

test('a deleted topic is not rebuilt: its tombstone drops its earlier catalog lines', () => {
  const text = ['a 0', 'a 1', 'b 0', 'a -1', 'a 2', 'b -1', 'c -1', ''].join('\n');
  assert.deepEqual(decodeCatalog(text), [{ topic: 'a', queueId: 2 }]);
  assert.equal(encodeCatalogLine({ topic: 'a', queueId: -1 }), 'a -1\n');
  // Other negative numbers stay unreadable lines, skipped as before.
  assert.deepEqual(decodeCatalog('a -2\na 0\n'), [{ topic: 'a', queueId: 0 }]);
});

test.run();
