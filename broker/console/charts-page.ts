// Charts: the last hour's message and byte rates in and out, as server-drawn SVG.
import type { HttpReply } from '../../server/http/http-endpoint.js';
import { RATE_SAMPLE_INTERVAL_MS } from './console-constants.js';
import type { ConsoleSources } from './console-sources.js';
import { consolePage } from './console-layout.js';
import { html } from './html.js';
import { rateChart } from './rate-chart.js';

export function chartsPage(sources: ConsoleSources): HttpReply {
  const samples = sources.rates.samples();
  const content = html`<p>One sample every ${RATE_SAMPLE_INTERVAL_MS / 1000} s, the last hour kept.</p>
    ${rateChart('Messages', 'per second', [
      { label: 'in', className: 'in', values: samples.map((sample) => sample.messagesInPerSecond) },
      { label: 'out', className: 'out', values: samples.map((sample) => sample.messagesOutPerSecond) },
    ])}
    ${rateChart('Bytes', 'per second', [
      { label: 'in', className: 'in', values: samples.map((sample) => sample.bytesInPerSecond) },
      { label: 'out', className: 'out', values: samples.map((sample) => sample.bytesOutPerSecond) },
    ])}`;
  return consolePage('charts', 'Charts', sources.context.options.brokerName, content);
}
