// HEART_BEAT (34) and UNREGISTER_CLIENT (35): who is producing and consuming. A consumer's
// first heartbeat creates its group config and, in clustering mode, its %RETRY% topic, so
// name servers route the retry topic before the first message needs it.
//
// With access control, a heartbeat naming a producer group the account may not PUB to was
// refused before it got here (request-permission-table.ts), so transaction check-backs, which
// carry pending message bodies, only reach producers of accounts allowed in the group. The
// inner producer group RocketMQ clients always announce is registered only when permitted.
import { ExtFieldReader } from '../../protocol/ext-field-reader.js';
import { bodyOf, responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { StoreError } from '../../storage/index.js';
import { CLIENT_INNER_PRODUCER_GROUP, RETRY_QUEUE_COUNT } from '../broker-constants.js';
import type { BrokerContext } from '../broker-context.js';
import type { Channel } from '../../server/remoting-server.js';
import { HeartbeatError, parseHeartbeat, type HeartbeatData } from './heartbeat-body.js';
import { storeErrorResponse } from './store-error-response.js';
import { topicConfig } from '../state/topic-config-manager.js';
import { RETRY_TOPIC_PREFIX } from '../../protocol/name-rules.js';

export class ClientManageProcessor {
  constructor(private readonly context: BrokerContext) {}

  async heartbeat(request: RemotingCommand, channel: Channel): Promise<RemotingCommand> {
    let data: HeartbeatData;
    try {
      data = parseHeartbeat(bodyOf(request));
    } catch (error) {
      return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, `bad heartbeat: ${(error as Error).message}`);
    }
    for (const group of data.producerGroups) {
      if (group === CLIENT_INNER_PRODUCER_GROUP && this.innerGroupRefused(request, channel)) continue;
      this.context.producers.register(group, data.clientId, channel);
    }
    const failures: string[] = [];
    for (const consumer of data.consumers) {
      try {
        await this.context.groups.ensure(consumer.group);
        if (consumer.messageModel !== 'BROADCASTING') await this.ensureRetryTopic(consumer.group);
      } catch (error) {
        // A full or failed store must not stop consumption, which needs no disk: the consumer
        // is registered with its group's defaults, and the client hears why they are not stored.
        if (!(error instanceof StoreError)) throw error;
        failures.push(`${consumer.group}: ${storeErrorResponse(error).remark}`);
      }
      this.context.consumers.register(consumer, channel);
    }
    const remark = failures.length === 0 ? undefined : `registered; group config not stored: ${failures.join('; ')}`;
    return responseTo(request, RESPONSE_CODE.SUCCESS, remark);
  }

  /** Forgets the client's groups; the consumer group's pulls held from this connection are answered. */
  unregister(request: RemotingCommand, channel: Channel): RemotingCommand {
    const fields = new ExtFieldReader(request.extFields);
    const clientId = fields.optionalString('clientID');
    if (clientId === undefined) return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, 'missing clientID');
    const producerGroup = fields.optionalString('producerGroup');
    const consumerGroup = fields.optionalString('consumerGroup');
    if (producerGroup !== undefined) this.context.producers.unregister(producerGroup, clientId);
    if (consumerGroup !== undefined) {
      this.context.consumers.unregister(consumerGroup, clientId);
      this.context.holds.releaseGroup(channel, consumerGroup);
    }
    return responseTo(request, RESPONSE_CODE.SUCCESS);
  }

  private innerGroupRefused(request: RemotingCommand, channel: Channel): boolean {
    const need = { kind: 'group', name: CLIENT_INNER_PRODUCER_GROUP, permission: 'PUB' } as const;
    return this.context.access.refusal(request, channel, [need]) !== undefined;
  }

  private async ensureRetryTopic(group: string): Promise<void> {
    const topic = RETRY_TOPIC_PREFIX + group;
    if (this.context.topics.get(topic) !== undefined) return;
    await this.context.topics.upsert(topicConfig(topic, RETRY_QUEUE_COUNT));
    this.context.registerSoon();
  }
}

/** Parses HeartbeatData JSON (RocketMQ's shape), checking every name used later. */
