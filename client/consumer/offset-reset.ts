// RESET_CONSUMER_CLIENT_OFFSET from a broker (an admin's `group reset-offset`): every queue of
// the body this consumer owns restarts at its new offset at once, without committing what it
// had pulled; the new offsets are committed right away so no older commit still in flight
// outlives them. Queues owned by other members are theirs to restart.
import type { OffsetStore } from './offset-store.js';
import type { Rebalancer } from './rebalancer.js';
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { decodeResetOffsetBody } from '../../protocol/reset-offset-body.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import type { MessageQueue } from '../topic-route.js';

export async function applyOffsetReset(
  request: RemotingCommand,
  group: string,
  rebalancer: Rebalancer,
  offsets: OffsetStore,
): Promise<RemotingCommand> {
  if (String(request.extFields?.group ?? '') !== group)
    return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, `not a member of ${String(request.extFields?.group)}`);
  const restarted: MessageQueue[] = [];
  for (const { topic, brokerName, queueId, offset } of decodeResetOffsetBody(
    (request.body as Buffer) ?? Buffer.alloc(0),
  )) {
    const queue = { topic, brokerName, queueId };
    if (!rebalancer.restartAt(queue, offset)) continue;
    offsets.update(queue, offset);
    restarted.push(queue);
  }
  await offsets.persist(restarted);
  return responseTo(request, RESPONSE_CODE.SUCCESS);
}
