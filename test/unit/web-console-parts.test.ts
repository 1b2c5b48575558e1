// The web console's parts that need no broker: the escaping template (markup in a value stays
// text) and the rate history's ring (one hour kept, rates per second, the interval in progress).
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { RATE_HISTORY_SAMPLES } from '../../broker/console/console-constants.js';
import { html, rawHtml } from '../../broker/console/html.js';
import { RateHistory } from '../../broker/console/rate-history.js';
import { TrafficCounters } from '../../broker/metrics/traffic-counters.js';

const LABELS_MAX = 10;

test('console html: an interpolated <script>, quotes and ampersands come out as text, in content and attributes', () => {
  const hostile = `<script>alert(1)</script>" onmouseover="x'&`;
  // prettier-ignore
  const page = html`<td title="${hostile}">${hostile}</td>${[hostile, 2]}`.text;
  assert.ok(!page.includes('<script>'));
  assert.ok(!page.includes('" onmouseover'));
  assert.equal(
    page,
    '<td title="&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&#39;&amp;">' +
      '&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&#39;&amp;</td>' +
      '&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&#39;&amp;2',
  );
  assert.equal(html`<p>${html`<b>${'<i>'}</b>`}${rawHtml('<br>')}</p>`.text, '<p><b>&lt;i&gt;</b><br></p>');
});

test('console rate history: per-second rates between marks, one hour kept after the ring wraps, the interval in progress live', () => {
  const traffic = new TrafficCounters(LABELS_MAX);
  const start = Date.now();
  const history = new RateHistory(traffic);
  const intervalMs = 10_000;
  const marks = RATE_HISTORY_SAMPLES + 20;
  for (let i = 1; i <= marks; i++) {
    traffic.messagesIn('t', i, i * 100);
    traffic.messagesOut('g', 't', 0, i, 2 * i, 0);
    history.mark(start + i * intervalMs);
  }
  const held = history.samples(start + marks * intervalMs);
  assert.equal(held.length, RATE_HISTORY_SAMPLES, 'one hour, the oldest overwritten');
  assert.equal(held[0]!.at, start + (marks - RATE_HISTORY_SAMPLES + 1) * intervalMs);
  assert.equal(held.at(-1)!.messagesInPerSecond, marks / 10);
  assert.equal(held.at(-1)!.messagesOutPerSecond, (2 * marks) / 10);
  assert.equal(held.at(-1)!.bytesInPerSecond, (marks * 100) / 10);
  traffic.messagesIn('t', 50, 0);
  const live = history.samples(start + marks * intervalMs + 5_000);
  assert.equal(live.length, RATE_HISTORY_SAMPLES + 1, 'plus the interval in progress');
  assert.equal(live.at(-1)!.messagesInPerSecond, 10);
  const minute = history.recent(60_000, start + marks * intervalMs + 5_000);
  // From the mark 55 s before to now: marks-5..marks added, then 50.
  const added = [0, 1, 2, 3, 4].reduce((sum, k) => sum + (marks - k), 0) + 50;
  assert.equal(minute.messagesInPerSecond, added / 55);
});

test.run();
