// What the console reads: the broker's own state, in process (it runs inside the broker), and
// for what only the name servers know (other brokers, routes) a request to them. Actions run
// the very processors the Admin API's requests run (console-request.ts), so a console action
// is validated and applied exactly as the same request over the remoting port.
import type tls from 'node:tls';

import type { BrokerContext } from '../broker-context.js';
import type { RateHistory } from './rate-history.js';

export interface ConsoleSources {
  readonly context: BrokerContext;
  readonly rates: RateHistory;
  /** When the broker started serving, and its commit log's end then (for the put rate). */
  readonly boot: { readonly timestamp: number; readonly maxOffset: number };
  /** Name servers whose last registration succeeded. */
  readonly registeredWith: () => readonly string[];
  /** TLS towards the name servers, when they serve it. */
  readonly nameServerTls: tls.ConnectionOptions | undefined;
}
