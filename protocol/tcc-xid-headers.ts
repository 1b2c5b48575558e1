// Carrying a TCC global transaction id (xid) with a call. Messages carry it in the TCC_XID
// property (PROPERTY.tccXid); any other RPC (HTTP headers, gRPC metadata, remoting extFields)
// carries it under the same name with these two helpers, so a participant finds the xid of the
// call it serves the same way whatever carried it.
import { PROPERTY } from './message-properties-codec.js';

/** The header (and message property) name carrying the xid. */
export const TCC_XID_HEADER = PROPERTY.tccXid;

/** Headers to merge into a call so it carries `xid`. */
export function xidHeaders(xid: string): Record<string, string> {
  return { [TCC_XID_HEADER]: xid };
}

/**
 * The xid a call carries, or undefined. Header names are matched case-insensitively (HTTP lower-cases
 * them); an array value (Node's IncomingHttpHeaders) gives its first element.
 */
export function xidFrom(headers: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (headers === undefined) return undefined;
  const wanted = TCC_XID_HEADER.toLowerCase();
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== wanted) continue;
    const first: unknown = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' && first !== '' ? first : undefined;
  }
  return undefined;
}
