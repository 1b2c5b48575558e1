// A topic named on the command line, checked before anything is sent: a bad name is the
// caller's mistake (exit 2), not a broker failure.
import { isValidTopic } from '../../storage/index.js';
import type { CommandLine } from '../command-line.js';

export function topicArgument(line: CommandLine, topic: string): string {
  if (!isValidTopic(topic)) {
    throw line.usageError(`invalid topic name '${topic}': use letters, digits, '_', '-', '%' or '|', at most 127`);
  }
  return topic;
}
