// Consumer groups: every group known here (configured, with offsets, or online) with members
// and total lag; one group's members, subscriptions and per-queue offsets and lag; resetting
// its offsets on a topic to a time, after a confirmation page that shows what would change.
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { HttpReply } from '../../server/http/http-endpoint.js';
import { QUEUE_LIMIT } from '../admin-limits.js';
import type { BrokerContext } from '../broker-context.js';
import { field, type ConsoleCall } from './console-call.js';
import { consoleForm, hiddenField, textField } from './console-form.js';
import { consoleHref, consolePage, formatTime, type PageMessage } from './console-layout.js';
import { runConsoleRequest } from './console-request.js';
import { html, type Html } from './html.js';
import type { ConsumerGroup } from '../clients/consumer-manager.js';

interface QueueProgress {
  readonly topic: string;
  readonly queueId: number;
  readonly brokerOffset: number;
  readonly consumerOffset: number;
  readonly lag: number;
}

/** The same figures as GET_CONSUME_STATS answers. */
function progressOf(context: BrokerContext, group: string): QueueProgress[] {
  const topics = new Set(context.offsets.offsetsOf(group).map((entry) => entry.topic));
  for (const topic of context.consumers.get(group)?.subscriptions.keys() ?? []) topics.add(topic);
  const queues: QueueProgress[] = [];
  for (const topic of [...topics].sort()) {
    const readQueues = context.topics.get(topic)?.readQueueNums ?? 0;
    for (let queueId = 0; queueId < Math.min(readQueues, QUEUE_LIMIT); queueId++) {
      const brokerOffset = context.store.maxQueueOffset(topic, queueId);
      const consumerOffset = context.offsets.query(group, topic, queueId) ?? 0;
      queues.push({ topic, queueId, brokerOffset, consumerOffset, lag: Math.max(0, brokerOffset - consumerOffset) });
    }
  }
  return queues;
}

function knownGroups(context: BrokerContext): string[] {
  const names = new Set([
    ...[...context.groups.all()].map((config) => config.groupName),
    ...context.offsets.allGroups(),
    ...[...context.consumers.all()].map((group) => group.group),
  ]);
  return [...names].sort();
}

export function groupsPage(call: ConsoleCall, message?: PageMessage): HttpReply {
  const { context } = call.sources;
  const group = field(call, 'group');
  if (group !== '') return groupPage(call, group, message);
  const rows = knownGroups(context).map((name) => {
    const lag = progressOf(context, name).reduce((sum, queue) => sum + queue.lag, 0);
    return html`<tr data-group="${name}">
      <td><a href="${consoleHref('groups', { group: name })}">${name}</a></td>
      <td class="n" data-field="members">${context.consumers.get(name)?.clients.size ?? 0}</td>
      <td class="n" data-field="lag">${lag}</td>
    </tr>`;
  });
  const content = html`<table id="groups">
    <tr>
      <th>Group</th>
      <th class="n">Members</th>
      <th class="n">Total lag</th>
    </tr>
    ${rows}
  </table>`;
  return consolePage('groups', 'Consumer groups', context.options.brokerName, content, message);
}

/** The live members and their subscriptions, as two tables. */
function membersTables(online: ConsumerGroup | undefined): Html {
  const members = [...(online?.clients.values() ?? [])].map(
    (client) =>
      html`<tr>
        <td>${client.clientId}</td>
        <td>${client.channel.remoteAddress}</td>
        <td>${formatTime(client.lastHeartbeatMs)}</td>
      </tr>`,
  );
  const subscriptions = [...(online?.subscriptions.values() ?? [])].map(
    (subscription) =>
      html`<tr>
        <td>${subscription.topic}</td>
        <td>${subscription.expressionType}</td>
        <td>${subscription.subString}</td>
      </tr>`,
  );
  return html`<h2>Members</h2>
    <table id="members">
      <tr>
        <th>Client id</th>
        <th>Address</th>
        <th>Last heartbeat</th>
      </tr>
      ${members}
    </table>
    <h2>Subscriptions</h2>
    <table id="subscriptions">
      <tr>
        <th>Topic</th>
        <th>Type</th>
        <th>Expression</th>
      </tr>
      ${subscriptions}
    </table>`;
}

function groupPage(call: ConsoleCall, group: string, message?: PageMessage): HttpReply {
  const { context } = call.sources;
  const online = context.consumers.get(group);
  const progress = progressOf(context, group);
  const queues = progress.map(
    (queue) =>
      html`<tr data-topic="${queue.topic}" data-queue="${queue.queueId}">
        <td>${queue.topic}</td>
        <td class="n">${queue.queueId}</td>
        <td class="n" data-field="brokerOffset">${queue.brokerOffset}</td>
        <td class="n" data-field="consumerOffset">${queue.consumerOffset}</td>
        <td class="n" data-field="lag">${queue.lag}</td>
      </tr>`,
  );
  const topics = [...new Set(progress.map((queue) => queue.topic))];
  const reset = consoleForm(
    consoleHref('groups/reset'),
    call.token,
    html`${hiddenField('group', group)}<label
        >Topic
        <select name="topic">
          ${topics.map((topic) => html`<option>${topic}</option>`)}
        </select></label
      >
      ${textField('To time (ISO 8601 or ms since the epoch)', 'time', new Date().toISOString(), { required: true })}`,
    'Reset offsets…',
    { id: 'reset-offset' },
  );
  const content = html`<p>
      <a href="${consoleHref('groups')}">All groups</a> ·
      <a href="${consoleHref('dead-letters', { group })}">Dead letters</a>
    </p>
    ${membersTables(online)}
    <h2>Offsets</h2>
    <table id="offsets">
      <tr>
        <th>Topic</th>
        <th class="n">Queue</th>
        <th class="n">Broker offset</th>
        <th class="n">Consumer offset</th>
        <th class="n">Lag</th>
      </tr>
      ${queues}
    </table>
    <fieldset>
      <legend>Reset offsets to a time</legend>
      ${reset}
    </fieldset>`;
  return consolePage('groups', `Group ${group}`, context.options.brokerName, content, message);
}

/** ISO 8601 or milliseconds since the epoch; NaN when neither. */
function parseTime(text: string): number {
  return /^\d+$/.test(text) ? Number(text) : Date.parse(text);
}

/** POST groups/reset: the planned offsets to confirm; with confirm=yes, INVOKE_BROKER_TO_RESET_OFFSET. */
export async function resetOffsetAction(call: ConsoleCall): Promise<HttpReply> {
  const { context } = call.sources;
  const group = field(call, 'group');
  const topic = field(call, 'topic');
  const timestamp = parseTime(field(call, 'time'));
  const back = { ...call, request: { ...call.request, form: new URLSearchParams({ group }) } };
  if (!Number.isFinite(timestamp))
    return groupsPage(back, { kind: 'error', text: `not a time: ${field(call, 'time')}` });
  const config = context.topics.get(topic);
  if (config === undefined) return groupsPage(back, { kind: 'error', text: `topic ${topic} does not exist` });
  if (field(call, 'confirm') !== 'yes') {
    const plan = [];
    for (let queueId = 0; queueId < Math.min(config.readQueueNums, QUEUE_LIMIT); queueId++) {
      plan.push(
        html`<tr data-queue="${queueId}">
          <td class="n">${queueId}</td>
          <td class="n">${context.offsets.query(group, topic, queueId) ?? 0}</td>
          <td class="n" data-field="newOffset">${context.store.searchQueueOffsetByTime(topic, queueId, timestamp)}</td>
        </tr>`,
      );
    }
    const confirm = consoleForm(
      consoleHref('groups/reset'),
      call.token,
      html`${hiddenField('group', group)}${hiddenField('topic', topic)}${hiddenField('time', String(timestamp))}${hiddenField('confirm', 'yes')}`,
      'Yes, reset',
      { id: 'confirm', danger: true, inline: true },
    );
    const content = html`<p id="question">
        Reset group <strong>${group}</strong> on topic <strong>${topic}</strong> to ${formatTime(timestamp)}? Live
        members restart from the new offsets at once.
      </p>
      <table id="plan">
        <tr>
          <th class="n">Queue</th>
          <th class="n">Consumer offset now</th>
          <th class="n">New offset</th>
        </tr>
        ${plan}
      </table>
      ${confirm} <a href="${consoleHref('groups', { group })}">Cancel</a>`;
    return consolePage('groups', 'Confirm: reset offsets', context.options.brokerName, content);
  }
  const outcome = await runConsoleRequest(
    REQUEST_CODE.INVOKE_BROKER_TO_RESET_OFFSET,
    (request, fields) => call.processors.resetOffset.reset(request, fields),
    { topic, group, timestamp, position: 'time' },
  );
  return groupsPage(
    back,
    outcome.ok
      ? {
          kind: 'notice',
          text: `Reset ${group} on ${topic} to ${formatTime(timestamp)}; ${outcome.extFields.notifiedClients ?? 0} live member(s) told`,
        }
      : { kind: 'error', text: outcome.remark },
  );
}
