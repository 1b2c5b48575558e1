// Access control as the broker runs it: the list (given inline, or as a file that is reloaded
// when it changes) and the validator, behind one `authorize` the remoting server calls for
// every request. A refusal is answered NO_PERMISSION (16) with a remark saying what was
// refused, as RocketMQ answers an AclException. Off unless the broker's `acl` option is set.
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { parseAclConfig, type AclConfig } from './acl-config.js';
import { AclConfigFile } from './acl-config-file.js';
import { AccessValidator } from './access-validator.js';
import type { Channel } from '../../server/remoting-server.js';
import type { ResourceNeed } from './request-permission-table.js';
import type { ResourceAccess } from './resource-access.js';

/**
 * The broker's `acl` option: the path of a JSON ACL file (see acl-config.ts for the format;
 * reloaded when it changes), or the same document inline.
 */
export type AclOption = string | Readonly<Record<string, unknown>>;

export class AccessControl implements ResourceAccess {
  private readonly validator: AccessValidator;

  private constructor(
    source: () => AclConfig,
    private readonly file: AclConfigFile | undefined,
  ) {
    this.validator = new AccessValidator(source);
  }

  /** Loads and validates the list; an invalid one throws AclConfigError (the broker does not start). */
  static open(
    option: AclOption,
    reloadIntervalMs: number,
    onError: (error: unknown, context: string) => void,
  ): AccessControl {
    if (typeof option === 'string') {
      const file = new AclConfigFile(option, reloadIntervalMs, onError);
      return new AccessControl(() => file.current, file);
    }
    const config = parseAclConfig(option);
    return new AccessControl(() => config, undefined);
  }

  /** Undefined lets the request through; otherwise the NO_PERMISSION response to send. */
  authorize(request: RemotingCommand, channel: Channel): RemotingCommand | undefined {
    const decision = this.validator.decide(request, channel.connection.socket.remoteAddress ?? '');
    return decision.allowed ? undefined : responseTo(request, RESPONSE_CODE.NO_PERMISSION, decision.remark);
  }

  refusal(request: RemotingCommand, channel: Channel, needs: readonly ResourceNeed[]): string | undefined {
    return this.validator.resourceRefusal(request, channel.connection.socket.remoteAddress ?? '', needs);
  }

  /** A request's header before its body arrives: a reason refuses it (the connection closes). */
  checkHeader(request: RemotingCommand, remoteHost: string): string | undefined {
    const decision = this.validator.decideBeforeBody(request, remoteHost);
    return decision.allowed ? undefined : decision.remark;
  }

  close(): void {
    this.file?.close();
  }
}
