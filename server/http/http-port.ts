// The `httpPort` option and `--http-port` flag: a port (0 picks a free one) or 'off'.

/** The port of the HTTP endpoint (metrics, health): a port, 0 for a free one, or 'off' for none. */
export type HttpPortOption = number | 'off';

export class HttpPortError extends Error {
  override readonly name = 'HttpPortError';
  readonly code = 'INVALID_HTTP_PORT';
}

/** Parses `--http-port`: an integer port 0..65535 or `off`. */
export function parseHttpPort(value: string): HttpPortOption {
  if (value === 'off') return 'off';
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535)
    throw new HttpPortError(`--http-port must be 0..65535 or off, not '${value}'`);
  return port;
}
