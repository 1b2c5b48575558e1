// Which producer or consumer of a shared client instance a request from a broker is for. One
// connection carries every member's requests, so the broker's own requests are routed by the
// group they name, as RocketMQ's MQClientInstance does: a transaction check by the producer
// group in the half message's properties (PGROUP), the consumer requests by their group field.
import { decodeMessages } from '../protocol/message-decoder.js';
import { PROPERTY } from '../protocol/message-properties-codec.js';
import { bodyOf, type RemotingCommand } from '../protocol/remoting-command.js';
import { REQUEST_CODE } from '../protocol/request-code.js';

/** The role and group a broker's request is addressed to. */
export interface BrokerRequestOwner {
  readonly role: 'producer' | 'consumer';
  /** Undefined when the request does not say (e.g. a check of a half message without PGROUP). */
  readonly group: string | undefined;
}

/**
 * The owner of `request`: CHECK_TRANSACTION_STATE is a producer's, the consumer requests
 * (NOTIFY_CONSUMER_IDS_CHANGED, RESET_CONSUMER_CLIENT_OFFSET, and RocketMQ's admin requests such
 * as GET_CONSUMER_RUNNING_INFO, which name `consumerGroup`) a consumer's; undefined for a
 * request naming no group.
 */
export function brokerRequestOwner(request: RemotingCommand): BrokerRequestOwner | undefined {
  if (request.code === REQUEST_CODE.CHECK_TRANSACTION_STATE) return { role: 'producer', group: checkedGroup(request) };
  const fields = request.extFields;
  const group = request.code === REQUEST_CODE.RESET_CONSUMER_CLIENT_OFFSET ? fields?.group : fields?.consumerGroup;
  if (group === undefined || group === null) return undefined;
  return { role: 'consumer', group: String(group) };
}

/** The producer group of a check's half message; undefined when the body does not decode. */
function checkedGroup(request: RemotingCommand): string | undefined {
  try {
    return decodeMessages(bodyOf(request))[0]?.properties[PROPERTY.producerGroup];
  } catch {
    // An undecodable check reaches a producer of the instance, whose checker drops it.
    return undefined;
  }
}
