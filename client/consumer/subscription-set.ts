// A consumer's subscriptions: topic -> tag expression, plus the group's retry topic in
// clustering mode. Tags are checked locally too, since the broker filters by tag hash and
// two tags can share one.
import { javaStringHash } from '../../protocol/java-string-hash.js';

export class SubscriptionSet {
  private readonly expressions = new Map<string, string>();
  private readonly tagSets = new Map<string, Set<string> | undefined>();
  readonly userTopics: readonly string[];

  constructor(subscriptions: Readonly<Record<string, string>>, retryTopic: string | undefined) {
    if (subscriptions === null || typeof subscriptions !== 'object' || Object.keys(subscriptions).length === 0) {
      throw new TypeError('subscriptions must name at least one topic');
    }
    for (const [topic, expression] of Object.entries(subscriptions)) this.add(topic, expression);
    this.userTopics = Object.keys(subscriptions);
    if (retryTopic !== undefined) this.add(retryTopic, '*');
  }

  get topics(): readonly string[] {
    return [...this.expressions.keys()];
  }

  expression(topic: string): string {
    return this.expressions.get(topic) ?? '*';
  }

  accepts(topic: string, message: { tags: string | undefined }): boolean {
    return this.tagCheck(topic)?.(message) ?? true;
  }

  /**
   * The local tag check of `topic`'s messages, or undefined when its expression takes every
   * message ('*'): a pull loop then checks nothing per message.
   */
  tagCheck(topic: string): ((message: { tags: string | undefined }) => boolean) | undefined {
    const tags = this.tagSets.get(topic);
    if (tags === undefined) return undefined;
    return (message) => message.tags !== undefined && tags.has(message.tags);
  }

  /** SubscriptionData entries of the heartbeat (RocketMQ's shape). */
  heartbeatData(): object[] {
    return this.topics.map((topic) => {
      const tags = [...(this.tagSets.get(topic) ?? [])];
      return {
        topic,
        subString: this.expression(topic),
        tagsSet: tags,
        codeSet: tags.map((tag) => javaStringHash(tag)),
        subVersion: 0,
        expressionType: 'TAG',
        classFilterMode: false,
      };
    });
  }

  private add(topic: string, expression: string): void {
    const text = typeof expression === 'string' ? expression.trim() : '*';
    const parts = text
      .split('||')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    const all = text === '' || parts.includes('*');
    this.expressions.set(topic, all ? '*' : parts.join(' || '));
    this.tagSets.set(topic, all ? undefined : new Set(parts));
  }
}
