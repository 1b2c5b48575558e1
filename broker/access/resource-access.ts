// What a processor asks access control about resources it finds only by reading what a
// request points at (the message a send-back copies, the half message a transaction ends).
// The request already passed access control; this applies the same account's permissions to
// those resources. Without access control everything is allowed (OPEN_RESOURCE_ACCESS).
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import type { Channel } from '../../server/remoting-server.js';
import type { ResourceNeed } from './request-permission-table.js';

export interface ResourceAccess {
  /** Why the request's account may not have `needs`, or undefined when it may. */
  refusal(request: RemotingCommand, channel: Channel, needs: readonly ResourceNeed[]): string | undefined;
  /**
   * With ACL on only: why a peer of the HA port may not be streamed the log, or undefined when
   * it may. `signed` is its auth frame as a request (replica-auth.ts), undefined when it sent none.
   */
  readonly replicaRefusal?: (signed: RemotingCommand | undefined, remoteAddress: string) => string | undefined;
}

export const OPEN_RESOURCE_ACCESS: ResourceAccess = { refusal: () => undefined };
