// The HTTP port of a broker or name server process: health, readiness and metrics (README
// "HTTP endpoint"). Plain HTTP, or HTTPS with the remoting port's certificate when TLS is on.
// `authorize` (the broker's ACL when on) sees every request except those to `openPaths`.
// GET and HEAD are served; POST only where `acceptsPost` says (the broker's console forms), with
// a form body of at most HTTP_FORM_BYTES_MAX. Unknown paths get 404. Slow or idle clients are bounded by the
// timeouts in server-constants.ts, and connections by HTTP_CONNECTIONS_MAX.
import http from 'node:http';
import https from 'node:https';
import type tls from 'node:tls';

import type { Logger } from 'pino';

import {
  HTTP_CONNECTIONS_MAX,
  HTTP_FORM_BYTES_MAX,
  HTTP_HEADERS_TIMEOUT_MS,
  HTTP_KEEP_ALIVE_TIMEOUT_MS,
  HTTP_REQUEST_TIMEOUT_MS,
} from '../server-constants.js';

export interface HttpReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Buffer;
  /** Extra response headers (Location, Content-Security-Policy, ...). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a route sees of its request. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** A POST's url-encoded form; empty otherwise. */
  readonly form: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
}

export type HttpRoute = (request: HttpRequest) => HttpReply | Promise<HttpReply>;

/** 'allowed', or why not: 401 asks for credentials, 403 refuses the ones given. */
export type HttpAccess = 'allowed' | 401 | 403;

export interface HttpEndpointOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly tls?: tls.TlsOptions;
  readonly routes: Readonly<Record<string, HttpRoute>>;
  /** Paths served to anyone (liveness probes). */
  readonly openPaths?: ReadonlySet<string>;
  readonly authorize?: (
    path: string,
    authorization: string | undefined,
    remoteAddress: string,
    method: string,
  ) => HttpAccess;
  /** Paths that take POST forms; every other path answers POST with 405. */
  readonly acceptsPost?: (path: string) => boolean;
  readonly logger: Logger;
}

export class HttpEndpoint {
  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {}

  static async start(options: HttpEndpointOptions): Promise<HttpEndpoint> {
    const handler = (request: http.IncomingMessage, response: http.ServerResponse): void =>
      void serve(options, request, response);
    const server = options.tls === undefined ? http.createServer(handler) : https.createServer(options.tls, handler);
    server.headersTimeout = HTTP_HEADERS_TIMEOUT_MS;
    server.requestTimeout = HTTP_REQUEST_TIMEOUT_MS;
    server.keepAliveTimeout = HTTP_KEEP_ALIVE_TIMEOUT_MS;
    server.maxConnections = HTTP_CONNECTIONS_MAX;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    return new HttpEndpoint(server, typeof address === 'object' && address !== null ? address.port : options.port);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function serve(
  options: HttpEndpointOptions,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://endpoint');
  const reply = await answer(options, request, url).catch((error: unknown): HttpReply => {
    if (error instanceof FormTooLargeError)
      return { ...json(413, { error: error.message }), headers: { connection: 'close' } };
    options.logger.error({ err: error, path: url.pathname }, 'http endpoint failed');
    return json(500, { error: 'internal error' });
  });
  const headers: Record<string, string> = { 'content-type': reply.contentType, 'cache-control': 'no-store' };
  Object.assign(headers, reply.headers);
  if (reply.status === 401) headers['www-authenticate'] = 'Basic realm="tributary", charset="UTF-8"';
  response.writeHead(reply.status, headers);
  response.end(request.method === 'HEAD' ? undefined : reply.body);
}

async function answer(options: HttpEndpointOptions, request: http.IncomingMessage, url: URL): Promise<HttpReply> {
  const path = url.pathname;
  const method = request.method ?? 'GET';
  const post = method === 'POST' && (options.acceptsPost?.(path) ?? false);
  if (method !== 'GET' && method !== 'HEAD' && !post) return json(405, { error: 'only GET and HEAD' });
  if (options.authorize !== undefined && !(options.openPaths?.has(path) ?? false)) {
    const access = options.authorize(path, request.headers.authorization, request.socket.remoteAddress ?? '', method);
    if (access !== 'allowed') {
      // The credentials are logged as sent: the logger redacts `authorization`.
      options.logger.debug(
        {
          path,
          remoteAddress: request.socket.remoteAddress,
          status: access,
          authorization: request.headers.authorization,
        },
        'http refused',
      );
      return json(access, { error: access === 401 ? 'credentials required' : 'not permitted' });
    }
  }
  const route = options.routes[path];
  if (route === undefined) return json(404, { error: `no page ${path}` });
  const form = post ? new URLSearchParams(await readForm(request)) : new URLSearchParams();
  return route({ method, path, query: url.searchParams, form, headers: request.headers });
}

class FormTooLargeError extends Error {
  readonly code = 'HTTP_FORM_TOO_LARGE';
}

/**
 * A POST body as text, refused past HTTP_FORM_BYTES_MAX: the rest is read and dropped (bounded
 * by HTTP_REQUEST_TIMEOUT_MS) so the 413 still reaches the client, and the connection closes.
 */
function readForm(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      if (refused) return;
      bytes += chunk.length;
      if (bytes > HTTP_FORM_BYTES_MAX) {
        refused = true;
        reject(new FormTooLargeError(`form bodies are limited to ${HTTP_FORM_BYTES_MAX} bytes`));
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export function json(status: number, body: unknown): HttpReply {
  return { status, contentType: 'application/json', body: JSON.stringify(body) };
}
