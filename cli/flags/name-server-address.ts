// Where client commands find the name server: --namesrv, else $TRIBUTARY_NAMESRV, else
// 127.0.0.1:9876 (the `start` default), so a local setup needs no flag at all.
import type { CommandLine, FlagSpec } from '../command-line.js';
import { NAME_SERVER_ADDRESS_DEFAULT, NAME_SERVER_ENV } from '../cli-constants.js';

export const NAMESRV_FLAG: FlagSpec = {
  type: 'string',
  placeholder: 'host:port[;host:port]',
  description: 'name server address(es)',
  defaultText: `$${NAME_SERVER_ENV}, else ${NAME_SERVER_ADDRESS_DEFAULT}`,
};

export function nameServerAddress(line: CommandLine): string {
  // An empty variable counts as unset, as shells make unsetting awkward.
  return line.string('namesrv') ?? (process.env[NAME_SERVER_ENV] || NAME_SERVER_ADDRESS_DEFAULT);
}
