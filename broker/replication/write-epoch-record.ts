// A newly elected master's first record: its epoch and where its log began (epoch-record.ts),
// on the epoch topic through the one writer. Replicas that are not in sync yet make a sync
// master's gate refuse the acknowledgement; the record is in the log all the same, and
// replicas get it as they follow.
import { SYSTEM_TOPIC } from '../broker-constants.js';
import type { BrokerContext } from '../broker-context.js';
import type { ControlledRole } from './controlled-role.js';
import { encodeEpochRecord } from './epoch-record.js';
import { ReplicaAckError } from './replica-ack-error.js';

export async function writeEpochRecord(context: BrokerContext, control: ControlledRole): Promise<void> {
  const startOffset = context.store.commitLogMaxOffset;
  const body = encodeEpochRecord({ epoch: control.epoch, startOffset, brokerId: control.brokerId });
  await context.writer.putAsIs({ topic: SYSTEM_TOPIC.epoch, queueId: 0, body }).catch((error: unknown) => {
    if (!(error instanceof ReplicaAckError)) throw error;
  });
}
