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
/** Longest consumer group name, in characters: its `%RETRY%<group>` topic must stay a valid topic. */
export const GROUP_NAME_CHARS_MAX = TOPIC_NAME_CHARS_MAX - RETRY_TOPIC_PREFIX.length;

/**
 * True for a topic name the store and broker accept: 1-127 characters of letters, digits, `_`, `%`,
 * `|` and `-`.
 */
export function isValidTopic(topic: unknown): topic is string {
  return (
    typeof topic === 'string' && topic.length > 0 && topic.length <= TOPIC_NAME_CHARS_MAX && NAME_PATTERN.test(topic)
  );
}

/**
 * Why a broker refuses `group` as a consumer (or producer) group name; undefined when it accepts
 * it. The broker refuses the heartbeat of any other, and the client refuses it before sending.
 */
export function groupNameProblem(group: unknown, kind: 'consumer' | 'producer'): string | undefined {
  if (typeof group !== 'string' || group === '') return 'a group name is required';
  const max = kind === 'consumer' ? GROUP_NAME_CHARS_MAX : TOPIC_NAME_CHARS_MAX;
  if (group.length > max)
    return kind === 'consumer'
      ? `a consumer group name has at most ${max} characters (its retry topic ${RETRY_TOPIC_PREFIX}<group> at most ${TOPIC_NAME_CHARS_MAX}), got ${group.length}`
      : `a group name has at most ${max} characters, got ${group.length}`;
  if (!NAME_PATTERN.test(group)) return `group name '${group.slice(0, 200)}' may hold only letters, digits and _ % | -`;
  return undefined;
}
