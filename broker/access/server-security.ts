// The broker's client port security from its options: TLS (off unless `tls` is given) and
// access control (off unless `acl` is given), as the options of its RemotingServer. Both are
// resolved before the port opens, so a missing key file or an invalid ACL stops the start.
import { AccessControl } from './access-control.js';
import type { ResolvedBrokerOptions } from '../broker-options.js';
import { serverTlsOptions } from '../../server/broker-tls-options.js';
import type { RemotingServerOptions } from '../../server/remoting-server.js';
import { OPEN_RESOURCE_ACCESS, type ResourceAccess } from './resource-access.js';

export interface ServerSecurity {
  readonly serverOptions: Pick<RemotingServerOptions, 'tls' | 'authorize' | 'checkHeader'>;
  /** Processors' checks of resources a request points at (open without access control). */
  readonly access: ResourceAccess;
  /** The access control when ACL is on (the HTTP endpoint checks its credentials too). */
  readonly accessControl: AccessControl | undefined;
  /** Stops watching the ACL file. */
  close(): void;
}

export function serverSecurity(resolved: ResolvedBrokerOptions): ServerSecurity {
  const tls = resolved.tls === undefined ? undefined : serverTlsOptions(resolved.tls);
  const access =
    resolved.acl === undefined
      ? undefined
      : AccessControl.open(resolved.acl, resolved.aclReloadIntervalMs, resolved.onError);
  return {
    serverOptions: {
      ...(tls === undefined ? {} : { tls }),
      ...(access === undefined
        ? {}
        : {
            authorize: (request, channel) => access.authorize(request, channel),
            checkHeader: (request, remoteHost) => access.checkHeader(request, remoteHost),
          }),
    },
    access: access ?? OPEN_RESOURCE_ACCESS,
    accessControl: access,
    close: () => access?.close(),
  };
}
