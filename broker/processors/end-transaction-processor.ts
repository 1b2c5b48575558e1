// END_TRANSACTION (37): a producer's verdict on a transaction, sent oneway after its local
// transaction or in answer to a check-back. The half message is found by commitLogOffset and
// must match the header (half topic, tranStateTableOffset as its queue offset, producer group).
// Commit stores the real message, then records the move; rollback records the move only;
// unknown (0) changes nothing. A verdict for a transaction already finished (a repeated END, a
// check answer racing the producer's own END) is acknowledged and ignored, so a committed
// message is stored once.
//
// Only the transaction's own producers may end it: access control asked PUB on the header's
// producer group, which must be the half message's PGROUP, and here PUB on its real topic;
// anything else is NO_PERMISSION and nothing changes.
//
// The commit's real message and its state command are appended in the same tick, message
// first: the commit log keeps them in that order, recovery keeps a prefix of it, so the command
// never survives without the message. A crash between the two appends leaves the transaction
// open, and its check-back may store the message a second time (at least once, as RocketMQ).
import { producerGroupOf, toCommittedMessage, realDestinationOf } from '../transactions/half-message.js';
import { ExtFieldReader, HeaderFieldError } from '../../protocol/ext-field-reader.js';
import { MESSAGE_SYS_FLAG } from '../../protocol/message-sys-flag.js';
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import type { StoredMessage } from '../../storage/index.js';
import { SYSTEM_TOPIC } from '../broker-constants.js';
import type { BrokerContext } from '../broker-context.js';
import type { Channel } from '../../server/remoting-server.js';
import { storeErrorResponse } from './store-error-response.js';
import type { TransactionProgress } from '../state/transaction-progress.js';
import { isLegalTransition, type TransactionState } from '../transactions/transaction-state.js';

interface EndTransactionHeader {
  readonly producerGroup: string;
  readonly tranStateTableOffset: number;
  readonly commitLogOffset: number;
  readonly commitOrRollback: number;
  readonly fromTransactionCheck: boolean;
}

const VERDICT_STATES: ReadonlyMap<number, Extract<TransactionState, 'committed' | 'rolled_back'>> = new Map([
  [MESSAGE_SYS_FLAG.transactionCommit, 'committed'],
  [MESSAGE_SYS_FLAG.transactionRollback, 'rolled_back'],
]);

export class EndTransactionProcessor {
  private readonly progress: TransactionProgress;

  constructor(private readonly context: BrokerContext) {
    this.progress = context.transactions;
  }

  async end(request: RemotingCommand, channel: Channel): Promise<RemotingCommand> {
    let header: EndTransactionHeader;
    try {
      header = readHeader(request);
    } catch (error) {
      if (error instanceof HeaderFieldError) return responseTo(request, RESPONSE_CODE.MESSAGE_ILLEGAL, error.message);
      throw error;
    }
    if (header.commitOrRollback === MESSAGE_SYS_FLAG.transactionNone) return responseTo(request, RESPONSE_CODE.SUCCESS);
    const to = VERDICT_STATES.get(header.commitOrRollback);
    if (to === undefined)
      return responseTo(request, RESPONSE_CODE.MESSAGE_ILLEGAL, `commitOrRollback ${header.commitOrRollback}`);
    const half = this.findHalf(header);
    if (typeof half === 'string') return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, half);
    const need = { kind: 'topic', name: realDestinationOf(half).topic, permission: 'PUB' } as const;
    const refusal = this.context.access.refusal(request, channel, [need]);
    if (refusal !== undefined) return responseTo(request, RESPONSE_CODE.NO_PERMISSION, refusal);
    const current = this.progress.stateOf(half.queueOffset);
    if (current === undefined || !isLegalTransition(current.state, to)) {
      return responseTo(request, RESPONSE_CODE.SUCCESS, `transaction already ${current?.state ?? 'settled'}`);
    }
    try {
      const stored = to === 'committed' ? this.context.writer.put(toCommittedMessage(half)) : undefined;
      const recorded = this.progress.move(half.queueOffset, to);
      await Promise.all([stored, recorded]);
    } catch (error) {
      const { code, remark } = storeErrorResponse(error);
      return responseTo(request, code, remark);
    }
    this.progress.counters.ended(need.name, to, Date.now() - half.storeTimestamp);
    return responseTo(request, RESPONSE_CODE.SUCCESS);
  }

  /** The half message the header names, or why there is none. */
  private findHalf(header: EndTransactionHeader): StoredMessage | string {
    const half = this.context.store.readAt(header.commitLogOffset);
    if (half === undefined || half.topic !== SYSTEM_TOPIC.transactionHalf) return 'no half message at commitLogOffset';
    if (half.queueOffset !== header.tranStateTableOffset) return 'tranStateTableOffset does not match the half message';
    if (producerGroupOf(half) !== header.producerGroup) return 'the producer group does not match the half message';
    return half;
  }
}

function readHeader(request: RemotingCommand): EndTransactionHeader {
  const fields = new ExtFieldReader(request.extFields);
  return {
    producerGroup: fields.string('producerGroup'),
    tranStateTableOffset: fields.integer('tranStateTableOffset'),
    commitLogOffset: fields.integer('commitLogOffset'),
    commitOrRollback: fields.integer('commitOrRollback'),
    fromTransactionCheck: fields.boolean('fromTransactionCheck', false),
  };
}
