// Dead letters: a group's dead-letter queue (%DLQ%<group>) page by page, and resending one,
// which runs TRIBUTARY_RESEND_DEAD_LETTER's processor (a copy into the group's retry topic).
import { DLQ_TOPIC_PREFIX } from '../../protocol/name-rules.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { HttpReply } from '../../server/http/http-endpoint.js';
import { DEAD_LETTERS_PAGE_MAX } from './console-constants.js';
import { field, type ConsoleCall } from './console-call.js';
import { consoleForm, hiddenField, textField } from './console-form.js';
import { consoleHref, consolePage, type PageMessage } from './console-layout.js';
import { runConsoleRequest } from './console-request.js';
import { html } from './html.js';
import { MESSAGE_TABLE_HEAD, messageRow } from './message-view.js';

export function deadLettersPage(call: ConsoleCall, message?: PageMessage): HttpReply {
  const { context } = call.sources;
  const group = field(call, 'group');
  const pick = html`<form method="get" action="${consoleHref('dead-letters')}">
    ${textField('Group', 'group', group, { required: true })}<button type="submit">Browse</button>
  </form>`;
  let listing = html``;
  if (group !== '') {
    const topic = DLQ_TOPIC_PREFIX + group;
    const min = context.store.minQueueOffset(topic, 0);
    const max = context.store.maxQueueOffset(topic, 0);
    const asked = Number(field(call, 'offset') || min);
    const from = Math.min(Math.max(Number.isFinite(asked) ? asked : min, min), max);
    const letters = context.store.read(topic, 0, from, DEAD_LETTERS_PAGE_MAX).messages;
    const rows = letters.map((letter) =>
      messageRow(
        letter,
        context.storeHost,
        consoleForm(
          consoleHref('dead-letters/resend'),
          call.token,
          html`${hiddenField('group', group)}${hiddenField('msgId', letter.msgId)}`,
          'Resend',
          { inline: true },
        ),
      ),
    );
    const next = from + letters.length;
    const more =
      next < max
        ? html`<a id="next-page" href="${consoleHref('dead-letters', { group, offset: next })}">Next page</a>`
        : '';
    listing = html`<h2>${topic}: offsets ${min}..${max}</h2>
      <table id="dead-letters">
        ${MESSAGE_TABLE_HEAD}${rows}
      </table>
      ${more}`;
  }
  return consolePage('dead-letters', 'Dead letters', context.options.brokerName, html`${pick}${listing}`, message);
}

/** POST dead-letters/resend: TRIBUTARY_RESEND_DEAD_LETTER as the Admin API sends it. */
export async function resendDeadLetterAction(call: ConsoleCall): Promise<HttpReply> {
  const group = field(call, 'group');
  const msgId = field(call, 'msgId');
  const outcome = await runConsoleRequest(
    REQUEST_CODE.TRIBUTARY_RESEND_DEAD_LETTER,
    (request, fields) => call.processors.deadLetters.resend(request, fields),
    { group, msgId },
  );
  const back = { ...call, request: { ...call.request, form: new URLSearchParams({ group }) } };
  return deadLettersPage(
    back,
    outcome.ok
      ? { kind: 'notice', text: `Resent ${msgId} to %RETRY%${group} as ${String(outcome.extFields.msgId)}` }
      : { kind: 'error', text: outcome.remark },
  );
}
