// What a console page or action is handed: the broker's state, the request, its form token,
// and the processors actions run.
import type { HttpRequest } from '../../server/http/http-endpoint.js';
import type { AdminProcessor } from '../processors/admin-processor.js';
import type { DeadLetterProcessor } from '../processors/dead-letter-processor.js';
import type { ResetOffsetProcessor } from '../processors/reset-offset-processor.js';
import type { ConsoleSources } from './console-sources.js';

export interface ConsoleProcessors {
  readonly admin: AdminProcessor;
  readonly resetOffset: ResetOffsetProcessor;
  readonly deadLetters: DeadLetterProcessor;
}

export interface ConsoleCall {
  readonly sources: ConsoleSources;
  readonly request: HttpRequest;
  /** The CSRF token every form on the page carries. */
  readonly token: string;
  readonly processors: ConsoleProcessors;
}

/** A form or query field, trimmed; '' when absent. */
export function field(call: ConsoleCall, name: string): string {
  return (call.request.form.get(name) ?? call.request.query.get(name) ?? '').trim();
}
