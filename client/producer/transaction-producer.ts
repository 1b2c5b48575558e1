// TransactionProducer: RocketMQ's transactional messages (RocketMQ 4.x transactional messages, ARCHITECTURE.md §4).
// sendInTransaction sends a half message, which no consumer sees; runs the local transaction;
// and ends the transaction with its verdict (END_TRANSACTION, oneway): commit has the broker
// store the message under its real topic, rollback drops it, unknown leaves it open. The
// broker checks an open transaction back (CHECK_TRANSACTION_STATE) with any live producer of
// the group, which answers with the verdict of its `check` function; that may be another
// process than the one that sent it, for instance after this one died.
//
// A broker finds producers through their heartbeats, so this producer heartbeats every broker
// the name servers know, from start() on, not only the brokers it has sent to.
import { ClientError } from '../client-error.js';
import { ROUTE_REFRESH_INTERVAL_MS_DEFAULT } from '../client-constants.js';
import { Producer, type ProducerOptions, type SendResult } from './producer.js';
import type { Message } from './outgoing-message.js';
import { ExtFieldReader } from '../../protocol/ext-field-reader.js';
import { MESSAGE_SYS_FLAG } from '../../protocol/message-sys-flag.js';
import { decodeMessages, type ReceivedMessage } from '../../protocol/message-decoder.js';
import { bodyOf, type RemotingCommand } from '../../protocol/remoting-command.js';
import { OffsetMessageId } from '../../protocol/offset-message-id.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { CHECKS_IN_FLIGHT_MAX } from '../client-constants.js';

/**
 * A local transaction's outcome: 'commit' delivers the half message, 'rollback' drops it, 'unknown'
 * leaves it open for a check-back.
 */
export type TransactionVerdict = 'commit' | 'rollback' | 'unknown';

/** The local transaction: runs after the half message is stored, returns the verdict. */
export type LocalTransaction = (message: Message, sent: SendResult) => TransactionVerdict | Promise<TransactionVerdict>;

/**
 * Answers a check-back of an open transaction. The message is the half message with its real
 * topic and queue; TRANSACTION_CHECK_TIMES counts the checks. A throw counts as 'unknown'.
 */
export type TransactionChecker = (message: ReceivedMessage) => TransactionVerdict | Promise<TransactionVerdict>;

/** Options of a TransactionProducer: a Producer's, plus the `check` that answers check-backs. */
export interface TransactionProducerOptions extends ProducerOptions {
  check: TransactionChecker;
}

/** Where a transaction's half message was stored, and the verdict sent for it. */
export interface TransactionSendResult extends SendResult {
  /** The local transaction's verdict, as sent to the broker. */
  verdict: TransactionVerdict;
}

const END_FLAGS: Readonly<Record<TransactionVerdict, number>> = {
  commit: MESSAGE_SYS_FLAG.transactionCommit,
  rollback: MESSAGE_SYS_FLAG.transactionRollback,
  unknown: MESSAGE_SYS_FLAG.transactionNone,
};

/** Identifies a transaction at a broker: END_TRANSACTION's header without the verdict. */
interface TransactionHandle {
  readonly tranStateTableOffset: number;
  readonly commitLogOffset: number;
  readonly msgId: string;
}

/**
 * A Producer for RocketMQ's transactional messages: sendInTransaction stores a half message no
 * consumer sees, runs your local transaction and commits or rolls back with its verdict; the broker
 * checks open transactions back with `check` of any live producer of the group
 * (docs/transactions.md).
 * @throws ClientError INVALID_ARGUMENT without a `check` function.
 */
export class TransactionProducer extends Producer {
  private readonly group: string;
  private readonly check: TransactionChecker;
  private readonly checksInFlight = new Set<string>();
  private readonly clusterRefreshMs: number;
  private clusterTimer: NodeJS.Timeout | undefined;

  constructor(options: TransactionProducerOptions) {
    super(options);
    if (typeof options.check !== 'function')
      throw new ClientError('INVALID_ARGUMENT', 'check (the transaction checker) is required');
    this.group = options.group;
    this.check = options.check;
    this.clusterRefreshMs = options.routeRefreshIntervalMs ?? ROUTE_REFRESH_INTERVAL_MS_DEFAULT;
  }

  /** Starts, and registers with every broker before resolving (when the name servers answer). */
  override async start(): Promise<void> {
    await super.start();
    await this.joinCluster();
    this.clusterTimer = setInterval(() => void this.joinCluster(), this.clusterRefreshMs).unref();
  }

  /**
   * Stops answering check-backs (another live producer of the group will), then shuts down as a
   * Producer does.
   */
  override async shutdown(): Promise<void> {
    clearInterval(this.clusterTimer);
    await super.shutdown();
  }

  /**
   * Sends `message` as a half message, runs `executeLocal`, and ends the transaction with its
   * verdict. A failed send rejects before the local transaction runs. If the local transaction
   * throws, the transaction stays open (the broker checks it back) and the error is rethrown.
   */
  async sendInTransaction(message: Message, executeLocal: LocalTransaction): Promise<TransactionSendResult> {
    if (typeof executeLocal !== 'function')
      throw new ClientError('INVALID_ARGUMENT', 'sendInTransaction needs the local transaction function');
    const sent = await this.sendPrepared(message);
    const verdict = await executeLocal(message, sent);
    if (typeof verdict !== 'string' || !Object.hasOwn(END_FLAGS, verdict)) {
      throw new ClientError('INVALID_ARGUMENT', `the local transaction returned '${String(verdict)}'`);
    }
    const address = this.client.brokerAddress(sent.brokerName);
    if (verdict !== 'unknown' && address !== undefined) {
      const handle = {
        tranStateTableOffset: sent.queueOffset,
        commitLogOffset: commitLogOffsetOf(sent.offsetMsgId),
        msgId: sent.msgId,
      };
      await this.endTransaction(address, handle, verdict, false);
    }
    return { ...sent, verdict };
  }

  protected override onBrokerRequest(
    request: RemotingCommand,
    brokerAddress: string,
  ): RemotingCommand | undefined | Promise<RemotingCommand | undefined> {
    if (request.code !== REQUEST_CODE.CHECK_TRANSACTION_STATE) return super.onBrokerRequest(request, brokerAddress);
    void this.answerCheck(request, brokerAddress);
    return undefined; // A check is oneway: the answer is an END_TRANSACTION of its own.
  }

  /** Runs `check` on a check-back and sends its verdict; anything else leaves it to the next check. */
  private async answerCheck(request: RemotingCommand, brokerAddress: string): Promise<void> {
    const key = `${brokerAddress}@${String(request.extFields?.commitLogOffset)}`;
    if (this.checksInFlight.has(key) || this.checksInFlight.size >= CHECKS_IN_FLIGHT_MAX) return;
    this.checksInFlight.add(key);
    try {
      const fields = new ExtFieldReader(request.extFields);
      const handle = {
        tranStateTableOffset: fields.integer('tranStateTableOffset'),
        commitLogOffset: fields.integer('commitLogOffset'),
        msgId: fields.string('msgId'),
      };
      const [message] = decodeMessages(bodyOf(request));
      if (message === undefined) return;
      const verdict = await Promise.resolve(this.check(message)).catch((): TransactionVerdict => 'unknown');
      if (verdict === 'commit' || verdict === 'rollback')
        await this.endTransaction(brokerAddress, handle, verdict, true);
    } catch {
      // A malformed check: nothing to answer; the broker asks again next round.
    } finally {
      this.checksInFlight.delete(key);
    }
  }

  /**
   * END_TRANSACTION, oneway as RocketMQ clients send it. A failure to send is not an error of
   * the caller's transaction: the broker checks an unended transaction back.
   */
  private async endTransaction(
    address: string,
    handle: TransactionHandle,
    verdict: TransactionVerdict,
    fromTransactionCheck: boolean,
  ): Promise<void> {
    const extFields = {
      producerGroup: this.group,
      tranStateTableOffset: handle.tranStateTableOffset,
      commitLogOffset: handle.commitLogOffset,
      commitOrRollback: END_FLAGS[verdict],
      fromTransactionCheck,
      msgId: handle.msgId,
      transactionId: handle.msgId,
    };
    await this.client.remoting
      .invokeOneway(address, { code: REQUEST_CODE.END_TRANSACTION, extFields })
      .catch(() => undefined);
  }

  /** Registers with every broker the name servers know; retried on the next refresh. */
  private async joinCluster(): Promise<void> {
    try {
      this.client.addHeartbeatTargets(await this.client.clusterBrokerAddresses());
      await this.client.heartbeatAll();
    } catch {
      // No name server answered: the next refresh tries again.
    }
  }
}

/** The commit log offset in an offset message id (store host 8 bytes + offset 8 bytes, hex). */
function commitLogOffsetOf(offsetMsgId: string): number {
  const located = OffsetMessageId.decode(offsetMsgId);
  if (located === undefined) throw new ClientError('BROKER_ERROR', `offset id '${offsetMsgId}'`);
  return located.commitLogOffset;
}
