// Which group names a broker accepts, shared by the broker (which refuses the heartbeat of any
// other) and the client (which refuses them before ever sending one). A group name follows
// the topic name rules; a consumer group's name must also leave room for its retry topic,
// `%RETRY%<group>`, which the broker creates at the first heartbeat and which must itself be
// a valid topic name.

/** Longest topic name, so longest producer group name (RocketMQ's 127). */
export const RESOURCE_NAME_CHARS_MAX = 127;
/** The characters of topic and group names (RocketMQ's VALID_PATTERN_STR). */
export const RESOURCE_NAME_PATTERN = /^[A-Za-z0-9_%|-]+$/;
/** The prefix of a clustering consumer group's retry topic. */
export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';
/** Longest consumer group name: 120, so that `%RETRY%<group>` stays within 127. */
export const CONSUMER_GROUP_CHARS_MAX = RESOURCE_NAME_CHARS_MAX - RETRY_GROUP_TOPIC_PREFIX.length;

/** Why a broker refuses `group` as a consumer (or producer) group name; undefined when it accepts it. */
export function groupNameProblem(group: unknown, kind: 'consumer' | 'producer'): string | undefined {
  if (typeof group !== 'string' || group === '') return 'a group name is required';
  const max = kind === 'consumer' ? CONSUMER_GROUP_CHARS_MAX : RESOURCE_NAME_CHARS_MAX;
  if (group.length > max)
    return kind === 'consumer'
      ? `a consumer group name has at most ${max} characters (its retry topic ${RETRY_GROUP_TOPIC_PREFIX}<group> at most ${RESOURCE_NAME_CHARS_MAX}), got ${group.length}`
      : `a group name has at most ${max} characters, got ${group.length}`;
  if (!RESOURCE_NAME_PATTERN.test(group))
    return `group name '${group.slice(0, 200)}' may hold only letters, digits and _ % | -`;
  return undefined;
}
