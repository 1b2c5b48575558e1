// RocketMQ's AllocateMessageQueueAveragely: queues and client ids are sorted, and each client
// takes a contiguous run, the first (queues % clients) clients one queue more. Every member
// computes the same split from the same inputs, with no coordination.
import type { MessageQueue } from '../topic-route.js';

export function allocateAveragely(
  queues: readonly MessageQueue[],
  clientIds: readonly string[],
  clientId: string,
): MessageQueue[] {
  const sortedClients = [...clientIds].sort();
  const index = sortedClients.indexOf(clientId);
  if (index < 0 || queues.length === 0) return [];
  const sortedQueues = [...queues].sort(compareQueues);
  const clients = sortedClients.length;
  const remainder = sortedQueues.length % clients;
  const average =
    sortedQueues.length <= clients ? 1 : Math.floor(sortedQueues.length / clients) + (index < remainder ? 1 : 0);
  const start = index < remainder ? index * average : index * average + remainder;
  const count = Math.min(average, sortedQueues.length - start);
  return count > 0 ? sortedQueues.slice(start, start + count) : [];
}

export function compareQueues(a: MessageQueue, b: MessageQueue): number {
  return a.topic.localeCompare(b.topic) || a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId;
}
