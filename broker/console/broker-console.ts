// The web console (README "Web console"): server-rendered pages on the broker's HTTP port
// under /console. Pages read the broker's own state in process; name server views are asked
// of the name servers; actions are POST forms run through the same processors as the Admin
// API's requests, behind the CSRF guard. With ACL on, broker-http.ts lets any account read
// CONSOLE_READ_ONLY_PATHS by GET and requires an admin account for everything else (the
// message and dead-letter pages show bodies; every action changes state).
import { json, type HttpReply, type HttpRequest, type HttpRoute } from '../../server/http/http-endpoint.js';
import { AdminProcessor } from '../processors/admin-processor.js';
import { DeadLetterProcessor } from '../processors/dead-letter-processor.js';
import { ResetOffsetProcessor } from '../processors/reset-offset-processor.js';
import { chartsPage } from './charts-page.js';
import { clusterPage } from './cluster-page.js';
import type { ConsoleCall, ConsoleProcessors } from './console-call.js';
import { CONSOLE_PATH, consoleHref } from './console-layout.js';
import type { ConsoleSources } from './console-sources.js';
import { CsrfGuard } from './csrf-guard.js';
import { deadLettersPage, resendDeadLetterAction } from './dead-letters-page.js';
import { groupsPage, resetOffsetAction } from './groups-page.js';
import { messagesPage, sendMessageAction } from './messages-page.js';
import { createTopicAction, deleteTopicAction, topicsPage } from './topics-page.js';

type ConsoleHandler = (call: ConsoleCall) => HttpReply | Promise<HttpReply>;

const PAGES: Readonly<Record<string, ConsoleHandler>> = {
  cluster: (call) => clusterPage(call.sources),
  topics: (call) => topicsPage(call),
  groups: (call) => groupsPage(call),
  messages: (call) => messagesPage(call),
  'dead-letters': (call) => deadLettersPage(call),
  charts: (call) => chartsPage(call.sources),
};

const ACTIONS: Readonly<Record<string, ConsoleHandler>> = {
  'topics/create': createTopicAction,
  'topics/delete': deleteTopicAction,
  'groups/reset': resetOffsetAction,
  'messages/send': sendMessageAction,
  'dead-letters/resend': resendDeadLetterAction,
};

/** Console pages any account may GET with ACL on: no message content on them. */
export const CONSOLE_READ_ONLY_PATHS: ReadonlySet<string> = new Set([
  CONSOLE_PATH,
  ...['cluster', 'topics', 'groups', 'charts'].map((page) => consoleHref(page)),
]);

export function isConsoleAction(path: string): boolean {
  return Object.keys(ACTIONS).some((action) => consoleHref(action) === path);
}

export function consoleRoutes(
  sources: () => ConsoleSources | undefined,
  scheme: 'http' | 'https',
): Record<string, HttpRoute> {
  const csrf = new CsrfGuard();
  let processors: ConsoleProcessors | undefined;
  const call = (request: HttpRequest): ConsoleCall | undefined => {
    const current = sources();
    if (current === undefined) return undefined;
    processors ??= {
      admin: new AdminProcessor(current.context),
      resetOffset: new ResetOffsetProcessor(current.context),
      deadLetters: new DeadLetterProcessor(current.context),
    };
    return { sources: current, request, token: csrf.tokenFor(request), processors };
  };
  const starting = (): HttpReply => json(503, { error: 'the broker is still starting' });
  const routes: Record<string, HttpRoute> = {
    [CONSOLE_PATH]: () => ({
      status: 303,
      contentType: 'text/plain',
      body: '',
      headers: { location: consoleHref('cluster') },
    }),
  };
  for (const [page, handler] of Object.entries(PAGES)) {
    routes[consoleHref(page)] = (request) => {
      const current = call(request);
      return current === undefined ? starting() : handler(current);
    };
  }
  for (const [action, handler] of Object.entries(ACTIONS)) {
    routes[consoleHref(action)] = (request) => {
      if (request.method !== 'POST') return json(405, { error: 'actions are POST forms' });
      const refusal = csrf.refusal(request, scheme);
      if (refusal !== undefined) return json(403, { error: refusal });
      const current = call(request);
      return current === undefined ? starting() : handler(current);
    };
  }
  return routes;
}
