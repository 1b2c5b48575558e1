// Limits on administrative requests.

/** Queues a topic may have (the store's queue id space). */
export const TOPIC_QUEUE_COUNT_MAX = 1024;
/** Queues reported per topic in stats responses. */
export const QUEUE_LIMIT = TOPIC_QUEUE_COUNT_MAX;
