// Asks the name servers something only they know (other brokers, routes), on demand (a
// console page), with a short timeout: the first answer wins; a name server that does not
// answer is reported on the page, not hidden.
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { bodyOf, SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import type { ConsoleSources } from './console-sources.js';
import { NAME_SERVER_ASK_TIMEOUT_MS } from './console-constants.js';

/** The first answer of any name server (in order), or every name server's error. */
export async function askNameServers(
  sources: ConsoleSources,
  code: number,
  extFields: Record<string, string>,
): Promise<{ body: Buffer } | { errors: string[] }> {
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json, tls: sources.nameServerTls });
  const errors: string[] = [];
  try {
    for (const address of sources.context.options.nameServers) {
      try {
        const response = await client.invoke(address, { code, extFields }, NAME_SERVER_ASK_TIMEOUT_MS);
        if (response.code === RESPONSE_CODE.SUCCESS) return { body: bodyOf(response) };
        errors.push(`${address}: ${response.remark ?? `code ${response.code}`}`);
      } catch (error) {
        errors.push(`${address}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return { errors: errors.length === 0 ? ['no name server configured'] : errors };
  } finally {
    client.close();
  }
}
