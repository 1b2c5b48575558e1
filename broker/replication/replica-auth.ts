// How a replica proves itself to a master with ACL on (README "Topologies"): its first HA
// frame carries what a Tributary client signs for a request of code TRIBUTARY_REPLICATION_STREAM
// with no other field and no body (protocol/request-signature.ts: AccessKey, the code, the
// time, a nonce). The master rebuilds that request and checks it like any other: the account
// must be an admin one (the stream holds every topic), and the signature fresh and unseen.
import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import { ACL_FIELD, TRIBUTARY_SIGNED_FIELD, signedExtFields } from '../../protocol/request-signature.js';
import type { ReplicationFrame } from './replication-frame.js';

type AuthFrame = Extract<ReplicationFrame, { type: 'auth' }>;

/** The auth frame a replica with `credentials` sends first. */
export function replicaAuthFrame(credentials: { accessKey: string; secretKey: string }): AuthFrame {
  const { accessKey, secretKey } = credentials;
  const code = REQUEST_CODE.TRIBUTARY_REPLICATION_STREAM;
  const fields = signedExtFields({ accessKey, secretKey }, undefined, undefined, code);
  return {
    type: 'auth',
    signedAt: Number(fields[TRIBUTARY_SIGNED_FIELD.timestamp]),
    accessKey,
    nonce: String(fields[TRIBUTARY_SIGNED_FIELD.nonce]),
    signature: String(fields[ACL_FIELD.signature]),
  };
}

/** The request an auth frame stands for, as the master's access control checks it. */
export function replicaAuthRequest(frame: AuthFrame): RemotingCommand {
  const code = REQUEST_CODE.TRIBUTARY_REPLICATION_STREAM;
  return {
    code,
    language: 'JAVA',
    version: 0,
    opaque: 0,
    flag: 0,
    extFields: {
      [ACL_FIELD.accessKey]: frame.accessKey,
      [TRIBUTARY_SIGNED_FIELD.requestCode]: String(code),
      [TRIBUTARY_SIGNED_FIELD.timestamp]: String(frame.signedAt),
      [TRIBUTARY_SIGNED_FIELD.nonce]: frame.nonce,
      [ACL_FIELD.signature]: frame.signature,
    },
  };
}
