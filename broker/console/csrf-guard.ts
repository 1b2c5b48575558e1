// Cross-site request forgery protection for the console's forms (README "Web console"), two
// checks, both required on every POST:
// - a token in each form: an HMAC, under a key drawn at broker start, of the request's
//   Authorization header (so it is per account, and with ACL off one per broker run); a page
//   on another site cannot read it;
// - the browser's own word: Sec-Fetch-Site, when sent, must be same-origin (or none, typed by
//   hand), and Origin, when sent, must be this page's origin.
import crypto from 'node:crypto';

import type { HttpRequest } from '../../server/http/http-endpoint.js';

export const CSRF_FIELD = 'csrf';
const CSRF_KEY_BYTES = 32;
const ALLOWED_FETCH_SITES: ReadonlySet<string> = new Set(['same-origin', 'none']);

export class CsrfGuard {
  private readonly key = crypto.randomBytes(CSRF_KEY_BYTES);

  tokenFor(request: HttpRequest): string {
    return crypto
      .createHmac('sha256', this.key)
      .update(request.headers.authorization ?? '')
      .digest('base64url');
  }

  /** Undefined when the POST may proceed, else why it is refused. */
  refusal(request: HttpRequest, scheme: 'http' | 'https'): string | undefined {
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && !ALLOWED_FETCH_SITES.has(site)) return `cross-site form (Sec-Fetch-Site: ${site})`;
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `${scheme}://${request.headers.host ?? ''}`)
      return `form from another origin (${origin})`;
    const sent = Buffer.from(request.form.get(CSRF_FIELD) ?? '');
    const expected = Buffer.from(this.tokenFor(request));
    if (sent.length !== expected.length || !crypto.timingSafeEqual(sent, expected))
      return 'missing or stale form token';
    return undefined;
  }
}
