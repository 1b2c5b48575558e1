// PULL_MESSAGE (11): reads a batch from a consume queue and answers with the stored records
// themselves, sent straight from the mapped segments (held until the socket has them). A pull
// that finds nothing new, with the suspend flag, is parked for long polling and answered the
// moment a message lands or when its suspend timeout ends.
import { ExtFieldReader } from '../../protocol/ext-field-reader.js';
import { PULL_SYS_FLAG, PULL_MESSAGE_FIELD as F } from '../../protocol/header-fields.js';
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { pullQuotaBusyResponse } from '../quotas/quota-busy-response.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import type { ReadResult, StoredMessage } from '../../storage/index.js';
import {
  PULL_BATCH_COUNT_DEFAULT,
  PULL_BATCH_COUNT_MAX,
  PULL_RESPONSE_BYTES_MAX,
  PULL_SUSPEND_MS_MAX,
} from '../broker-constants.js';
import type { BrokerContext } from '../broker-context.js';
import type { Channel } from '../../server/remoting-server.js';
import { storeErrorResponse } from './store-error-response.js';
import {
  SubscriptionParseError,
  parseTagExpression,
  tagCodePredicate,
  type TagFilter,
} from '../delivery/tag-filter.js';
import { readableTopic } from '../topic-check.js';

interface PullHeader {
  readonly group: string;
  readonly topic: string;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly maxCount: number;
  readonly sysFlag: number;
  readonly commitOffset: number;
  readonly suspendMs: number;
  readonly filter: TagFilter;
}

const FILTER_CACHE_SIZE_MAX = 1024;

export class PullMessageProcessor {
  private readonly filters = new Map<string, TagFilter>();

  constructor(private readonly context: BrokerContext) {}

  pull(request: RemotingCommand, channel: Channel): RemotingCommand | Promise<RemotingCommand> {
    let header: PullHeader;
    try {
      header = this.readHeader(request);
    } catch (error) {
      const code =
        error instanceof SubscriptionParseError ? RESPONSE_CODE.SUBSCRIPTION_PARSE_FAILED : RESPONSE_CODE.SYSTEM_ERROR;
      return responseTo(request, code, (error as Error).message);
    }
    const topic = readableTopic(this.context, header.topic);
    if (!topic.ok) return responseTo(request, topic.code, topic.remark);
    const overQuota = pullQuotaBusyResponse(this.context.quotas, request, header.group);
    if (overQuota !== undefined) return overQuota;
    if (header.queueId < 0 || header.queueId >= topic.config.readQueueNums) {
      return responseTo(
        request,
        RESPONSE_CODE.SYSTEM_ERROR,
        `queueId[${header.queueId}] is illegal, topic ${header.topic} has ${topic.config.readQueueNums} read queues`,
      );
    }
    if ((header.sysFlag & PULL_SYS_FLAG.commitOffset) !== 0 && header.commitOffset >= 0) {
      this.context.offsets.commitSoon(header.group, header.topic, header.queueId, header.commitOffset);
    }
    const immediate = this.answer(request, header, false);
    if (immediate !== undefined) return immediate;
    return new Promise<RemotingCommand>((resolve) => {
      this.context.holds.hold(
        {
          group: header.group,
          topic: header.topic,
          queueId: header.queueId,
          queueOffset: header.queueOffset,
          channel,
          wake: (from) => {
            const response = this.answer(request, header, true)!;
            // Woken by a send on this same connection (a producer and consumer sharing it), the
            // answer leaves with that send's answer at the tick's end: one write, one wake-up.
            // Otherwise at once (native-bench/README.md, "Shared client connection").
            response.urgent = from !== channel;
            resolve(response);
          },
        },
        header.suspendMs,
      );
    });
  }

  /** The response, or undefined when the pull should be held for new messages. */
  private answer(request: RemotingCommand, header: PullHeader, final: boolean): RemotingCommand | undefined {
    let result: ReadResult;
    try {
      result = this.context.store.read(
        header.topic,
        header.queueId,
        header.queueOffset,
        header.maxCount,
        tagCodePredicate(header.filter),
      );
    } catch (error) {
      const { code, remark } = storeErrorResponse(error);
      return responseTo(request, code, remark);
    }
    result = this.withinReadableEnd(header, result);
    const offsets = {
      nextBeginOffset: result.nextQueueOffset,
      minOffset: result.minQueueOffset,
      maxOffset: result.maxQueueOffset,
      suggestWhichBrokerId: 0,
    };
    const suspend = !final && (header.sysFlag & PULL_SYS_FLAG.suspend) !== 0 && header.suspendMs > 0;
    switch (result.status) {
      case 'found':
        if (result.messages.length === 0)
          return responseTo(request, RESPONSE_CODE.PULL_RETRY_IMMEDIATELY, 'no matched message', offsets);
        return this.found(request, header, result, offsets);
      case 'no_new_message':
      case 'no_queue':
        if (suspend) return undefined;
        return responseTo(request, RESPONSE_CODE.PULL_NOT_FOUND, 'no new message', {
          ...offsets,
          nextBeginOffset: header.queueOffset,
        });
      case 'offset_too_small':
      case 'offset_overflow':
        return responseTo(
          request,
          RESPONSE_CODE.PULL_OFFSET_MOVED,
          `offset ${header.queueOffset} is out of [${result.minQueueOffset}, ${result.maxQueueOffset}]`,
          offsets,
        );
    }
  }

  /**
   * Leaves out what the replicas do not hold yet (controller mode; ReplicaReads.readableEnd).
   * With nothing left the pull parks like one that found nothing, woken once the first record
   * it wants is readable.
   */
  private withinReadableEnd(header: PullHeader, result: ReadResult): ReadResult {
    if (result.status !== 'found') return result;
    const reads = this.context.replicaReads;
    const end = reads.readableEnd();
    if (end === Number.POSITIVE_INFINITY) return result;
    const cut = result.messages.findIndex((message) => message.commitLogOffset + message.raw.length > end);
    if (cut < 0) return result;
    const first = result.messages[cut]!;
    if (cut > 0) return { ...result, messages: result.messages.slice(0, cut), nextQueueOffset: first.queueOffset };
    const { topic, queueId } = header;
    reads.whenReadable(`${topic}\u0000${queueId}`, first.commitLogOffset + first.raw.length, () =>
      this.context.holds.arrived(topic, queueId, first.queueOffset + 1),
    );
    return { ...result, status: 'no_new_message', messages: [], nextQueueOffset: header.queueOffset };
  }

  private found(
    request: RemotingCommand,
    header: PullHeader,
    result: ReadResult,
    offsets: Record<string, number>,
  ): RemotingCommand {
    const last = result.messages.at(-1);
    if (last !== undefined) {
      const behind = this.context.store.commitLogMaxOffset - last.commitLogOffset;
      offsets.suggestWhichBrokerId = this.context.replicaReads.suggestedBrokerId(
        behind,
        this.context.options.messageInMemoryBytes,
      );
    }
    // Records that lie back to back in one segment (a batch's, appended together) go as one
    // slice, and each segment is held once: a slice and a hold per record were 30% of the
    // broker's CPU per pulled message (native-bench/README.md, "per-message cost", round 4).
    const records: Buffer[] = [];
    const releases: (() => void)[] = [];
    let bytes = 0;
    let count = 0;
    let next = result.nextQueueOffset;
    let run: StoredMessage | undefined;
    let runBytes = 0;
    let previous: StoredMessage | undefined;
    for (const message of result.messages) {
      const size = message.totalSize;
      if (count > 0 && bytes + size > PULL_RESPONSE_BYTES_MAX) {
        next = message.queueOffset;
        break;
      }
      if (previous !== undefined && message.follows(previous)) runBytes += size;
      else {
        if (run !== undefined) records.push(run.rawRun(runBytes));
        if (previous === undefined || !message.sharesSegment(previous)) {
          const release = this.context.store.hold(message.commitLogOffset);
          if (release !== undefined) releases.push(release);
        }
        run = message;
        runBytes = size;
      }
      previous = message;
      bytes += size;
      count++;
    }
    if (run !== undefined) records.push(run.rawRun(runBytes));
    this.context.traffic.messagesOut(header.group, header.topic, header.queueId, next, count, bytes);
    const response = responseTo(
      request,
      RESPONSE_CODE.SUCCESS,
      undefined,
      { ...offsets, nextBeginOffset: next },
      records,
    );
    response.afterWrite = () => releases.forEach((release) => release());
    return response;
  }

  private readHeader(request: RemotingCommand): PullHeader {
    const fields = new ExtFieldReader(request.extFields);
    const sysFlag = fields.optionalInteger(F.sysFlag) ?? 0;
    const expression = fields.optionalString(F.subscription);
    const group = fields.string(F.consumerGroup);
    const topic = fields.string(F.topic);
    return {
      group,
      topic,
      queueId: fields.integer(F.queueId),
      queueOffset: Math.max(0, fields.integer(F.queueOffset)),
      maxCount: Math.max(
        1,
        Math.min(fields.optionalInteger(F.maxMsgNums) ?? PULL_BATCH_COUNT_DEFAULT, PULL_BATCH_COUNT_MAX),
      ),
      sysFlag,
      commitOffset: fields.optionalInteger(F.commitOffset) ?? -1,
      suspendMs: Math.max(0, Math.min(fields.optionalInteger(F.suspendTimeoutMillis) ?? 0, PULL_SUSPEND_MS_MAX)),
      filter: this.filterFor(
        expression ?? this.context.consumers.get(group)?.subscriptions.get(topic)?.subString,
        fields.optionalString(F.expressionType),
      ),
    };
  }

  private filterFor(expression: string | undefined, expressionType: string | undefined): TagFilter {
    const key = `${expressionType ?? ''}\u0000${expression ?? ''}`;
    let filter = this.filters.get(key);
    if (filter === undefined) {
      filter = parseTagExpression(expression, expressionType);
      if (this.filters.size >= FILTER_CACHE_SIZE_MAX) this.filters.clear();
      this.filters.set(key, filter);
    }
    return filter;
  }
}
