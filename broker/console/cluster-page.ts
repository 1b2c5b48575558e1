// Cluster: this broker (identity, uptime, disk, store, TPS over the last minute), the name
// servers it registers with, and every broker the name servers know.
import type { HttpReply } from '../../server/http/http-endpoint.js';
import { isReservedTopic } from '../topic-check.js';
import { brokerStatusTable } from '../processors/broker-status-table.js';
import { RECENT_RATE_WINDOW_MS } from './console-constants.js';
import { consolePage, formatTime } from './console-layout.js';
import type { ConsoleSources } from './console-sources.js';
import { html, type Html } from './html.js';
import { clusterBrokers } from './cluster-brokers.js';
import { formatRate, rateChart } from './rate-chart.js';

const MS_PER_SECOND = 1000;

/** This broker's identity, uptime, rates over the last minute, disk and store. */
function thisBrokerTable(sources: ConsoleSources): Html {
  const { context } = sources;
  const { options, store } = context;
  const stats = store.stats();
  const recent = sources.rates.recent(RECENT_RATE_WINDOW_MS);
  const topics = [...context.topics.all()].filter((topic) => !isReservedTopic(topic.topicName)).length;
  const row = (name: string, value: string | number, id: string) =>
    html`<tr>
      <th>${name}</th>
      <td class="n" data-field="${id}">${value}</td>
    </tr>`;
  return html`<h2>This broker</h2>
    <table id="broker">
      ${row('Cluster', options.clusterName, 'cluster')}${row('Broker name', options.brokerName, 'brokerName')}
      ${row('Address', context.address, 'address')}${row('Started', formatTime(sources.boot.timestamp), 'bootTimestamp')}
      ${row('Uptime (s)', Math.floor((Date.now() - sources.boot.timestamp) / MS_PER_SECOND), 'uptimeSeconds')}
      ${row('Messages in per second (last minute)', formatRate(recent.messagesInPerSecond), 'tpsIn')}
      ${row('Messages out per second (last minute)', formatRate(recent.messagesOutPerSecond), 'tpsOut')}
      ${row('Disk used (%)', (stats.diskUsedRatio * 100).toFixed(1), 'diskUsedPercent')}
      ${row('Commit log bytes kept', stats.maxOffset - stats.minOffset, 'commitLogBytes')}${row('Topics', topics, 'topics')}
    </table>`;
}

export async function clusterPage(sources: ConsoleSources): Promise<HttpReply> {
  const { context } = sources;
  const { options } = context;
  const samples = sources.rates.samples();
  const registered = new Set(sources.registeredWith());
  const { brokers, errors } = await clusterBrokers(sources);
  const content = html`${thisBrokerTable(sources)}
    ${rateChart('Messages, the last hour', 'per second', [
      { label: 'in', className: 'in', values: samples.map((sample) => sample.messagesInPerSecond) },
      { label: 'out', className: 'out', values: samples.map((sample) => sample.messagesOutPerSecond) },
    ])}
    <h2>Name servers</h2>
    <table id="name-servers">
      <tr>
        <th>Address</th>
        <th>Registered</th>
      </tr>
      ${options.nameServers.map(
        (address) =>
          html`<tr>
            <td>${address}</td>
            <td>${registered.has(address) ? 'yes' : 'no'}</td>
          </tr>`,
      )}
    </table>
    <h2>Brokers (as the name servers know them)</h2>
    ${errors.map((error) => html`<p class="error">${error}</p>`)}
    <table id="brokers">
      <tr>
        <th>Cluster</th>
        <th>Broker</th>
        <th>Id</th>
        <th>Address</th>
      </tr>
      ${brokers.map(
        (broker) =>
          html`<tr>
            <td>${broker.cluster}</td>
            <td>${broker.brokerName}</td>
            <td class="n">${broker.brokerId}</td>
            <td>${broker.address}</td>
          </tr>`,
      )}
    </table>
    <h2>Status (as GET_BROKER_RUNTIME_INFO reports it)</h2>
    <table id="status">
      ${Object.entries(brokerStatusTable(context, sources.boot.timestamp, sources.boot.maxOffset)).map(
        ([name, value]) =>
          html`<tr>
            <th>${name}</th>
            <td class="n" data-status="${name}">${value}</td>
          </tr>`,
      )}
    </table>`;
  return consolePage('cluster', 'Cluster', options.brokerName, content);
}
