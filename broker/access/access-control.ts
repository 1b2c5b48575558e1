// Access control as the broker runs it: the list (given inline, or as a file that is reloaded
// when it changes) and the validator, behind one `authorize` the remoting server calls for
// every request. A refusal is answered NO_PERMISSION (16) with a remark saying what was
// refused, as RocketMQ answers an AclException. Off unless the broker's `acl` option is set.
import crypto from 'node:crypto';

import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { parseAclConfig, type AclConfig } from './acl-config.js';
import { AclConfigFile } from './acl-config-file.js';
import { AccessValidator } from './access-validator.js';
import type { Channel } from '../../server/remoting-server.js';
import type { ResourceNeed } from './request-permission-table.js';
import type { ResourceAccess } from './resource-access.js';
import type { HttpAccess } from '../../server/http/http-endpoint.js';
import { normalizeAddress } from './address-allow-list.js';
import { SignatureReplayCache } from './signature-replay-cache.js';
import { ACL_FIELD, TRIBUTARY_SIGNED_FIELD } from '../../protocol/request-signature.js';
import { SIGNED_REQUEST_CLOCK_SKEW_MS_MAX } from '../broker-constants.js';

/** accessKey and secretKey from an HTTP Basic authorization header, if it is one. */
function basicCredentials(authorization: string | undefined): { accessKey: string; secretKey: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { accessKey: decoded.slice(0, colon), secretKey: decoded.slice(colon + 1) };
}

/**
 * The broker's `acl` option: the path of a JSON ACL file (see acl-config.ts for the format;
 * reloaded when it changes), or the same document inline.
 */
export type AclOption = string | Readonly<Record<string, unknown>>;

export class AccessControl implements ResourceAccess {
  private readonly validator: AccessValidator;
  private readonly streamReplays = new SignatureReplayCache();
  /** Requests refused so far (tributary_acl_refusals_total). */
  refusals = 0;

  private constructor(
    private readonly source: () => AclConfig,
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
    if (decision.allowed) return undefined;
    this.refusals++;
    return responseTo(request, RESPONSE_CODE.NO_PERMISSION, decision.remark);
  }

  /**
   * The HTTP endpoint's check (README "HTTP endpoint"): addresses on the global allow-list pass;
   * otherwise HTTP Basic with an account's accessKey:secretKey, from an address the account
   * allows. Read-only pages take any such account, every other page an admin one.
   */
  authorizeHttp(authorization: string | undefined, remoteAddress: string, readOnly: boolean): HttpAccess {
    const config = this.source();
    if (config.globalAllowList.matches(normalizeAddress(remoteAddress))) return 'allowed';
    const credentials = basicCredentials(authorization);
    if (credentials === undefined) {
      this.refusals++;
      return 401;
    }
    const account = config.accounts.get(credentials.accessKey);
    const secretMatches =
      account !== undefined &&
      account.secretKey.length === credentials.secretKey.length &&
      crypto.timingSafeEqual(Buffer.from(account.secretKey), Buffer.from(credentials.secretKey));
    if (!secretMatches) {
      this.refusals++;
      return 401;
    }
    const addressAllowed =
      account.addresses === undefined || account.addresses.matches(normalizeAddress(remoteAddress));
    if (!addressAllowed || (!readOnly && !account.admin)) {
      this.refusals++;
      return 403;
    }
    return 'allowed';
  }

  refusal(request: RemotingCommand, channel: Channel, needs: readonly ResourceNeed[]): string | undefined {
    return this.validator.resourceRefusal(request, channel.connection.socket.remoteAddress ?? '', needs);
  }

  /** A request's header before its body arrives: a reason refuses it (the connection closes). */
  /**
   * A replica on the HA port (resource-access.ts): the global allow-list, else its signed auth
   * as an admin-only request, signed within SIGNED_REQUEST_CLOCK_SKEW_MS_MAX and never seen
   * before, whatever the account's requireSignedCode (the HA port has no TLS to hide it).
   */
  readonly replicaRefusal = (signed: RemotingCommand | undefined, remoteAddress: string): string | undefined => {
    const refusal = this.streamRefusal(signed, remoteAddress);
    if (refusal !== undefined) this.refusals++;
    return refusal;
  };

  private streamRefusal(signed: RemotingCommand | undefined, remoteAddress: string): string | undefined {
    if (this.source().globalAllowList.matches(normalizeAddress(remoteAddress))) return undefined;
    if (signed === undefined) return 'access denied: the HA port streams only to a signed replica';
    const decision = this.validator.decide(signed, remoteAddress);
    if (!decision.allowed) return decision.remark;
    const signedAt = Number(signed.extFields?.[TRIBUTARY_SIGNED_FIELD.timestamp]);
    const now = Date.now();
    if (!(Math.abs(now - signedAt) <= SIGNED_REQUEST_CLOCK_SKEW_MS_MAX))
      return `access denied: the replica's auth was signed ${Math.round((now - signedAt) / 1000)} s from the master's clock`;
    if (this.streamReplays.seen(String(signed.extFields?.[ACL_FIELD.signature]), signedAt, now))
      return 'access denied: the replica auth was already received (a replay)';
    return undefined;
  }

  checkHeader(request: RemotingCommand, remoteHost: string): string | undefined {
    const decision = this.validator.decideBeforeBody(request, remoteHost);
    return decision.allowed ? undefined : decision.remark;
  }

  close(): void {
    this.file?.close();
  }
}
