// What a topic or consumer group may be called: RocketMQ 4.9's rules (Validators.checkTopic and
// the broker's group check), in one place for the store, the broker, the client and the CLI.
// A topic's length goes in the v1 record's 8-bit TOPICLENGTH field; RocketMQ caps it at 127.

/** Longest topic name, in characters (all of them ASCII, so also bytes). */
export const TOPIC_NAME_CHARS_MAX = 127;
/** Characters a topic or group name may use. */
export const NAME_PATTERN = /^[A-Za-z0-9_%|-]+$/;
/** A clustering consumer's retry topic is this prefix and its group, which must fit a topic. */
export const RETRY_TOPIC_PREFIX = '%RETRY%';
export const DLQ_TOPIC_PREFIX = '%DLQ%';
/** Longest group name, in characters: its `%RETRY%<group>` topic must stay a valid topic. */
export const GROUP_NAME_CHARS_MAX = TOPIC_NAME_CHARS_MAX - RETRY_TOPIC_PREFIX.length;

export function isValidTopic(topic: unknown): topic is string {
  return (
    typeof topic === 'string' && topic.length > 0 && topic.length <= TOPIC_NAME_CHARS_MAX && NAME_PATTERN.test(topic)
  );
}

/** A consumer or producer group name: topic characters, short enough for its retry topic. */
export function isValidGroup(group: unknown): group is string {
  return (
    typeof group === 'string' && group.length > 0 && group.length <= GROUP_NAME_CHARS_MAX && NAME_PATTERN.test(group)
  );
}
