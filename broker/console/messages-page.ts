// Messages: look up by id (an offset id alone, or a producer id with its topic), by key, or by
// store time range on a topic; send a test message. Admin only with ACL on (bodies are shown).
import { OffsetMessageId, type StoredMessage } from '../../storage/index.js';
import type { HttpReply } from '../../server/http/http-endpoint.js';
import { QUEUE_LIMIT } from '../admin-limits.js';
import { isReservedTopic } from '../topic-check.js';
import { CONSOLE_MESSAGES_MAX } from './console-constants.js';
import { field, type ConsoleCall } from './console-call.js';
import { consoleForm, textField } from './console-form.js';
import { consoleHref, consolePage, type PageMessage } from './console-layout.js';
import { html } from './html.js';
import { MESSAGE_TABLE_HEAD, messageRow } from './message-view.js';

/** Test messages take the queues in turn. */
let nextQueue = 0;

type Lookup = { readonly found: StoredMessage[]; readonly asked: string } | undefined;

function byId(call: ConsoleCall, id: string, topic: string): StoredMessage[] {
  const { context } = call.sources;
  const located = OffsetMessageId.decode(id);
  // An offset id names a broker: another broker's offset means nothing in this commit log.
  const ours =
    located !== undefined &&
    located.storeHost.ip === context.storeHost.ip &&
    located.storeHost.port === context.storeHost.port;
  if (located !== undefined && ours) {
    const message = context.store.readAt(located.commitLogOffset);
    if (message !== undefined && !isReservedTopic(message.topic)) return [message];
  }
  if (topic === '' || isReservedTopic(topic)) return [];
  return context.store.queryByKey(topic, id, CONSOLE_MESSAGES_MAX).filter((message) => message.msgId === id);
}

function byTime(call: ConsoleCall, topic: string, from: number, to: number): StoredMessage[] {
  const { context } = call.sources;
  const config = context.topics.get(topic);
  if (config === undefined || isReservedTopic(topic)) return [];
  const found: StoredMessage[] = [];
  for (let queueId = 0; queueId < Math.min(config.readQueueNums, QUEUE_LIMIT); queueId++) {
    const start = context.store.searchQueueOffsetByTime(topic, queueId, from);
    for (const message of context.store.read(topic, queueId, start, CONSOLE_MESSAGES_MAX).messages) {
      if (message.storeTimestamp >= from && message.storeTimestamp <= to) found.push(message);
    }
  }
  return found.sort((a, b) => a.storeTimestamp - b.storeTimestamp).slice(0, CONSOLE_MESSAGES_MAX);
}

function lookup(call: ConsoleCall): Lookup {
  const topic = field(call, 'topic');
  const id = field(call, 'id');
  const key = field(call, 'key');
  if (id !== '') return { found: byId(call, id, topic), asked: `id ${id}` };
  if (key !== '' && topic !== '' && !isReservedTopic(topic))
    return {
      found: call.sources.context.store.queryByKey(topic, key, CONSOLE_MESSAGES_MAX),
      asked: `key ${key} in ${topic}`,
    };
  const from = field(call, 'from');
  if (topic !== '' && from !== '') {
    const to = field(call, 'to');
    const range = [from, to === '' ? String(Date.now()) : to].map((text) =>
      /^\d+$/.test(text) ? Number(text) : Date.parse(text),
    );
    if (!range.every(Number.isFinite)) return { found: [], asked: `${topic}: not a time range (${from} .. ${to})` };
    return {
      found: byTime(call, topic, range[0]!, range[1]!),
      asked: `${topic} from ${from} to ${to === '' ? 'now' : to}`,
    };
  }
  return undefined;
}

export function messagesPage(call: ConsoleCall, message?: PageMessage): HttpReply {
  const { context } = call.sources;
  const topic = field(call, 'topic');
  const result = lookup(call);
  const search = (legend: string, fields: ReturnType<typeof html>) =>
    html`<fieldset>
      <legend>${legend}</legend>
      <form method="get" action="${consoleHref('messages')}">${fields}<button type="submit">Find</button></form>
    </fieldset>`;
  const results =
    result === undefined
      ? ''
      : html`<h2>${result.found.length} message(s) for ${result.asked}</h2>
          <table id="messages">
            ${MESSAGE_TABLE_HEAD}${result.found.map((found) => messageRow(found, context.storeHost))}
          </table>`;
  const send = consoleForm(
    consoleHref('messages/send'),
    call.token,
    html`${textField('Topic', 'topic', topic, { required: true })}${textField('Tags', 'tags')}${textField('Keys', 'keys')}
      <label>Body <textarea name="body" rows="2" cols="40"></textarea></label> `,
    'Send test message',
    { id: 'send-message' },
  );
  const content = html`${search('By id', html`${textField('Message id', 'id')}${textField('Topic (for producer ids)', 'topic', topic)}`)}
    ${search('By key', html`${textField('Topic', 'topic', topic)}${textField('Key', 'key')}`)}
    ${search('By store time', html`${textField('Topic', 'topic', topic)}${textField('From (ISO 8601 or ms)', 'from')}${textField('To', 'to')}`)}
    <fieldset>
      <legend>Send a test message</legend>
      ${send}
    </fieldset>
    ${results}`;
  return consolePage('messages', 'Messages', context.options.brokerName, content, message);
}

/** POST messages/send: one message through the broker's writer, as a client's send lands. */
export async function sendMessageAction(call: ConsoleCall): Promise<HttpReply> {
  const { context } = call.sources;
  const topic = field(call, 'topic');
  const config = context.topics.get(topic);
  const query = { ...call, request: { ...call.request, form: new URLSearchParams(), query: new URLSearchParams() } };
  if (config === undefined || isReservedTopic(topic) || config.writeQueueNums < 1)
    return messagesPage(query, { kind: 'error', text: `topic ${topic} does not exist` });
  const body = Buffer.from(call.request.form.get('body') ?? '', 'utf8');
  const tags = field(call, 'tags');
  const keys = field(call, 'keys');
  const queueId = nextQueue++ % config.writeQueueNums;
  try {
    const appended = await context.writer.put({
      topic,
      queueId,
      body,
      ...(tags === '' ? {} : { tags }),
      ...(keys === '' ? {} : { keys }),
    });
    context.traffic.messagesIn(topic, 1, body.length);
    const sent = new URLSearchParams({ id: appended.msgId });
    return messagesPage(
      { ...call, request: { ...call.request, form: new URLSearchParams(), query: sent } },
      { kind: 'notice', text: `Sent ${appended.msgId} to ${topic} queue ${queueId} offset ${appended.queueOffset}` },
    );
  } catch (error) {
    return messagesPage(query, { kind: 'error', text: error instanceof Error ? error.message : String(error) });
  }
}
