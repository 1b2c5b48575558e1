// Topics: the list with a create form; one topic's queues (min and max offsets, last store
// time) and route as the name servers give it; delete after a confirmation page.
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { HttpReply } from '../../server/http/http-endpoint.js';
import { QUEUE_LIMIT } from '../admin-limits.js';
import { isReservedTopic } from '../topic-check.js';
import { field, type ConsoleCall } from './console-call.js';
import { consoleForm, hiddenField, textField } from './console-form.js';
import { consoleHref, consolePage, formatTime, type PageMessage } from './console-layout.js';
import { runConsoleRequest } from './console-request.js';
import { html } from './html.js';
import { topicRoute } from './topic-route.js';

export async function topicsPage(call: ConsoleCall, message?: PageMessage): Promise<HttpReply> {
  const topic = field(call, 'topic');
  if (topic !== '' && call.sources.context.topics.get(topic) !== undefined) return topicPage(call, topic, message);
  const { context } = call.sources;
  const topics = [...context.topics.all()]
    .filter((config) => !isReservedTopic(config.topicName))
    .sort((a, b) => a.topicName.localeCompare(b.topicName));
  const rows = topics.map((config) => {
    let messages = 0;
    for (let queueId = 0; queueId < Math.min(config.readQueueNums, QUEUE_LIMIT); queueId++)
      messages +=
        context.store.maxQueueOffset(config.topicName, queueId) -
        context.store.minQueueOffset(config.topicName, queueId);
    return html`<tr data-topic="${config.topicName}">
      <td><a href="${consoleHref('topics', { topic: config.topicName })}">${config.topicName}</a></td>
      <td class="n">${config.readQueueNums}</td>
      <td class="n">${config.writeQueueNums}</td>
      <td class="n">${config.perm}</td>
      <td class="n">${messages}</td>
    </tr>`;
  });
  const create = consoleForm(
    consoleHref('topics/create'),
    call.token,
    html`${textField('Name', 'topic', '', { required: true })}${textField('Queues', 'queues', String(context.options.defaultTopicQueueCount), { type: 'number' })}`,
    'Create topic',
    { id: 'create-topic' },
  );
  const content = html`<fieldset>
      <legend>New topic</legend>
      ${create}
    </fieldset>
    <table id="topics">
      <tr>
        <th>Topic</th>
        <th class="n">Read queues</th>
        <th class="n">Write queues</th>
        <th class="n">Perm</th>
        <th class="n">Messages kept</th>
      </tr>
      ${rows}
    </table>`;
  return consolePage('topics', 'Topics', context.options.brokerName, content, message);
}

async function topicPage(call: ConsoleCall, topic: string, message?: PageMessage): Promise<HttpReply> {
  const { context } = call.sources;
  const config = context.topics.get(topic)!;
  const queues = [];
  for (let queueId = 0; queueId < Math.min(config.readQueueNums, QUEUE_LIMIT); queueId++) {
    const min = context.store.minQueueOffset(topic, queueId);
    const max = context.store.maxQueueOffset(topic, queueId);
    const last = max > 0 ? context.store.read(topic, queueId, max - 1, 1).messages[0] : undefined;
    queues.push(
      html`<tr data-queue="${queueId}">
        <td class="n">${queueId}</td>
        <td class="n" data-field="minOffset">${min}</td>
        <td class="n" data-field="maxOffset">${max}</td>
        <td>${formatTime(last?.storeTimestamp ?? 0)}</td>
      </tr>`,
    );
  }
  const { route, errors } = await topicRoute(call.sources, topic);
  const routeRows = (route?.queueDatas ?? []).map((queue) => {
    const broker = route?.brokerDatas?.find((data) => data.brokerName === queue.brokerName);
    return html`<tr>
      <td>${queue.brokerName}</td>
      <td>${Object.values(broker?.brokerAddrs ?? {}).join(', ')}</td>
      <td class="n">${queue.readQueueNums}</td>
      <td class="n">${queue.writeQueueNums}</td>
      <td class="n">${queue.perm}</td>
    </tr>`;
  });
  const remove = consoleForm(consoleHref('topics/delete'), call.token, hiddenField('topic', topic), 'Delete topic…', {
    id: 'delete-topic',
    danger: true,
  });
  const content = html`<p>
      <a href="${consoleHref('topics')}">All topics</a> · <a href="${consoleHref('messages', { topic })}">Messages</a>
    </p>
    <table id="queues">
      <tr>
        <th class="n">Queue</th>
        <th class="n">Min offset</th>
        <th class="n">Max offset</th>
        <th>Last stored</th>
      </tr>
      ${queues}
    </table>
    <h2>Route</h2>
    ${errors.map((error) => html`<p class="error">${error}</p>`)}
    <table id="route">
      <tr>
        <th>Broker</th>
        <th>Addresses</th>
        <th class="n">Read queues</th>
        <th class="n">Write queues</th>
        <th class="n">Perm</th>
      </tr>
      ${routeRows}
    </table>
    ${remove}`;
  return consolePage('topics', `Topic ${topic}`, context.options.brokerName, content, message);
}

/** POST topics/create: UPDATE_AND_CREATE_TOPIC as the Admin API sends it. */
export async function createTopicAction(call: ConsoleCall): Promise<HttpReply> {
  const topic = field(call, 'topic');
  const queues = field(call, 'queues');
  const outcome = await runConsoleRequest(
    REQUEST_CODE.UPDATE_AND_CREATE_TOPIC,
    (request, fields) => call.processors.admin.createTopic(request, fields),
    { topic, ...(queues === '' ? {} : { readQueueNums: queues, writeQueueNums: queues }) },
  );
  return topicsPage(
    call,
    outcome.ok ? { kind: 'notice', text: `Created topic ${topic}` } : { kind: 'error', text: outcome.remark },
  );
}

/** POST topics/delete: a confirmation page first; with confirm=yes, DELETE_TOPIC_IN_BROKER. */
export async function deleteTopicAction(call: ConsoleCall): Promise<HttpReply> {
  const topic = field(call, 'topic');
  const { brokerName } = call.sources.context.options;
  if (field(call, 'confirm') !== 'yes') {
    const confirm = consoleForm(
      consoleHref('topics/delete'),
      call.token,
      html`${hiddenField('topic', topic)}${hiddenField('confirm', 'yes')}`,
      'Yes, delete it',
      { id: 'confirm', danger: true, inline: true },
    );
    const content = html`<p id="question">
        Delete topic <strong>${topic}</strong> and every message it holds on this broker?
      </p>
      ${confirm} <a href="${consoleHref('topics', { topic })}">Cancel</a>`;
    return consolePage('topics', 'Confirm: delete topic', brokerName, content);
  }
  const outcome = await runConsoleRequest(
    REQUEST_CODE.DELETE_TOPIC_IN_BROKER,
    (request, fields) => call.processors.admin.deleteTopic(request, fields),
    { topic },
  );
  return topicsPage(
    { ...call, request: { ...call.request, form: new URLSearchParams(), query: new URLSearchParams() } },
    outcome.ok ? { kind: 'notice', text: `Deleted topic ${topic}` } : { kind: 'error', text: outcome.remark },
  );
}
