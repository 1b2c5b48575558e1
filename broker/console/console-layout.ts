// The console's page shell: navigation, a small stylesheet, and security headers. No script
// runs (Content-Security-Policy forbids it): confirmations are pages, charts are inline SVG.
import type { HttpReply } from '../../server/http/http-endpoint.js';
import { html, rawHtml, type Html, type HtmlValue } from './html.js';

export const CONSOLE_PATH = '/console';

const PAGES: readonly (readonly [string, string])[] = [
  ['cluster', 'Cluster'],
  ['topics', 'Topics'],
  ['groups', 'Consumer groups'],
  ['messages', 'Messages'],
  ['dead-letters', 'Dead letters'],
  ['charts', 'Charts'],
];

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d232b;background:#f6f7f9}
nav{background:#1d3b57;padding:.5em 1em}nav a{color:#fff;margin-right:1.2em;text-decoration:none}
nav a.here{font-weight:bold;text-decoration:underline}main{padding:1em 1.5em}
table{border-collapse:collapse;background:#fff;margin:.5em 0 1em}td,th{border:1px solid #d5d9de;padding:.25em .6em;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}form.inline{display:inline}
fieldset{background:#fff;border:1px solid #d5d9de;margin:.5em 0 1em}pre{white-space:pre-wrap;word-break:break-all;margin:0;max-width:60em}
.notice{background:#e5f3e8;border:1px solid #9cc9a6;padding:.5em}.error{background:#fbe9e9;border:1px solid #e2a0a0;padding:.5em}
.chart{margin:0 0 1em}.chart svg{background:#fff}.chart .frame{fill:none;stroke:#d5d9de}.in{stroke:#2a6fb0;color:#2a6fb0}.out{stroke:#c9562c;color:#c9562c}
.legend{margin-left:1em;font-weight:bold}button.danger{color:#a01c1c}`;

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on our own forms.
  'referrer-policy': 'same-origin',
};

export function consoleHref(page: string, query: Readonly<Record<string, string | number>> = {}): string {
  const search = new URLSearchParams(
    Object.entries(query).map(([name, value]): [string, string] => [name, String(value)]),
  ).toString();
  return `${CONSOLE_PATH}/${page}${search === '' ? '' : `?${search}`}`;
}

export interface PageMessage {
  readonly kind: 'notice' | 'error';
  readonly text: string;
}

export function consolePage(
  page: string,
  title: string,
  brokerName: string,
  content: HtmlValue,
  message?: PageMessage,
): HttpReply {
  const nav = PAGES.map(
    ([name, label]) =>
      html`<a href="${consoleHref(name)}" ${rawHtml(name === page ? ' class="here"' : '')}>${label}</a>`,
  );
  const banner: Html | string =
    message === undefined ? '' : html`<p class="${message.kind}" id="message">${message.text}</p>`;
  const body = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${title} · ${brokerName} · Tributary</title>
        <style>
          ${rawHtml(STYLE)}
        </style>
      </head>
      <body>
        <nav><strong style="color:#fff;margin-right:1.5em">Tributary ${brokerName}</strong>${nav}</nav>
        <main>
          <h1>${title}</h1>
          ${banner}${content}
        </main>
      </body>
    </html>`;
  return { status: 200, contentType: 'text/html; charset=utf-8', body: body.text, headers: SECURITY_HEADERS };
}

export function formatTime(timestampMs: number): string {
  return timestampMs > 0 ? new Date(timestampMs).toISOString() : '-';
}
