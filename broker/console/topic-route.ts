// A topic's route as the name servers give it (GET_ROUTEINFO_BY_TOPIC).
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { askNameServers } from './ask-name-servers.js';
import type { ConsoleSources } from './console-sources.js';

export interface TopicRoute {
  readonly queueDatas?: { brokerName: string; readQueueNums: number; writeQueueNums: number; perm: number }[];
  readonly brokerDatas?: { brokerName: string; cluster: string; brokerAddrs: Record<string, string> }[];
}

export async function topicRoute(
  sources: ConsoleSources,
  topic: string,
): Promise<{ route: TopicRoute | undefined; errors: string[] }> {
  const answer = await askNameServers(sources, REQUEST_CODE.GET_ROUTEINFO_BY_TOPIC, { topic });
  if ('errors' in answer) return { route: undefined, errors: answer.errors };
  return { route: JSON.parse(answer.body.toString('utf8')) as TopicRoute, errors: [] };
}
