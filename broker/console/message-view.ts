// One stored message as a console table row: ids, place, times, properties and a body preview,
// every part escaped (a body holding markup is shown as text).
import type { StoredMessage } from '../../storage/index.js';
import { OffsetMessageId } from '../../storage/index.js';
import type { HostAddressLike } from '../broker-address.js';
import { BODY_PREVIEW_BYTES_MAX } from './console-constants.js';
import { formatTime } from './console-layout.js';
import { html, type Html } from './html.js';

export const MESSAGE_TABLE_HEAD = html`<tr>
  <th>Message</th>
  <th>Where</th>
  <th>Times</th>
  <th>Properties</th>
  <th>Body</th>
</tr>`;

export function messageRow(message: StoredMessage, storeHost: HostAddressLike, actions?: Html): Html {
  const body = message.body;
  const preview = Buffer.from(body.subarray(0, BODY_PREVIEW_BYTES_MAX)).toString('utf8');
  const cut =
    body.length > BODY_PREVIEW_BYTES_MAX
      ? html`<br /><em>(${body.length} bytes; first ${BODY_PREVIEW_BYTES_MAX} shown)</em>`
      : '';
  const properties = Object.entries(message.properties).map(
    ([name, value]) =>
      html`<tr>
        <td>${name}</td>
        <td>${value}</td>
      </tr>`,
  );
  return html`<tr class="message" data-msg-id="${message.msgId}">
    <td>
      ${message.msgId}<br /><small>offset id ${OffsetMessageId.encode(storeHost, message.commitLogOffset)}</small
      >${actions}
    </td>
    <td>${message.topic}<br />queue ${message.queueId} · offset ${message.queueOffset}</td>
    <td>stored ${formatTime(message.storeTimestamp)}<br />born ${formatTime(message.bornTimestamp)}</td>
    <td>
      <table class="properties">
        ${properties}
      </table>
    </td>
    <td>
      <pre class="body">${preview}</pre>
      ${cut}
    </td>
  </tr>`;
}
