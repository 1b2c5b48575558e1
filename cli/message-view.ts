// How a received message is shown: a JSON object for machines (--json), one line per message
// for `consume`, and a labelled block with every field for `message`. Bodies are shown as
// UTF-8 text; a body that is not valid UTF-8 is shown as base64 and says so, never mangled.
import type { ReceivedMessage } from '../client/index.js';

export interface MessageView {
  topic: string;
  msgId: string;
  offsetMsgId: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  tags: string | null;
  keys: readonly string[];
  bornHost: string;
  bornTimestamp: number;
  storeHost: string;
  storeTimestamp: number;
  reconsumeTimes: number;
  properties: Readonly<Record<string, string>>;
  body: string;
  bodyEncoding: 'utf8' | 'base64';
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function messageView(message: ReceivedMessage): MessageView {
  const body = bodyText(message.body);
  return {
    topic: message.topic,
    msgId: message.msgId,
    offsetMsgId: message.offsetMsgId,
    queueId: message.queueId,
    queueOffset: message.queueOffset,
    commitLogOffset: message.commitLogOffset,
    tags: message.tags ?? null,
    keys: message.keys,
    bornHost: message.bornHost,
    bornTimestamp: message.bornTimestamp,
    storeHost: message.storeHost,
    storeTimestamp: message.storeTimestamp,
    reconsumeTimes: message.reconsumeTimes,
    properties: { ...message.properties },
    body: body.text,
    bodyEncoding: body.encoding,
  };
}

/** One line: `msgId=… tags=… keys=a,b body=…` (body last, as it may contain anything). */
export function messageLine(message: ReceivedMessage): string {
  const body = bodyText(message.body);
  const keys = message.keys.length === 0 ? '-' : message.keys.join(',');
  return (
    `msgId=${message.msgId} tags=${message.tags ?? '-'} keys=${keys} ` +
    `${body.encoding === 'utf8' ? 'body' : 'body(base64)'}=${body.text}`
  );
}

/** Every field, labelled, one per line. */
export function messageDetails(message: ReceivedMessage): string {
  const view = messageView(message);
  const properties = Object.entries(view.properties)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  const fields: [string, string | number][] = [
    ['Topic', view.topic],
    ['Message id', view.msgId],
    ['Offset id', view.offsetMsgId],
    ['Tags', view.tags ?? '-'],
    ['Keys', view.keys.length === 0 ? '-' : view.keys.join(', ')],
    ['Queue', view.queueId],
    ['Queue offset', view.queueOffset],
    ['Commit log offset', view.commitLogOffset],
    ['Born host', view.bornHost],
    ['Born time', new Date(view.bornTimestamp).toISOString()],
    ['Store host', view.storeHost],
    ['Store time', new Date(view.storeTimestamp).toISOString()],
    ['Reconsume times', view.reconsumeTimes],
    ['Properties', properties === '' ? '-' : properties],
    [view.bodyEncoding === 'utf8' ? 'Body' : 'Body (base64)', view.body],
  ];
  const width = Math.max(...fields.map(([label]) => label.length)) + 1;
  return fields.map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`).join('\n');
}

function bodyText(body: Buffer): { text: string; encoding: 'utf8' | 'base64' } {
  try {
    return { text: UTF8.decode(body), encoding: 'utf8' };
  } catch {
    return { text: body.toString('base64'), encoding: 'base64' };
  }
}
