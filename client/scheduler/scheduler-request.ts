// One JSON request to the broker's job scheduler and its JSON answer; a refusal becomes a
// JobSchedulerClientError carrying the code the broker put before its message.
import type { RemotingClient } from '../remoting/remoting-client.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { bodyOf } from '../../protocol/remoting-command.js';
import { JobSchedulerClientError } from './job-scheduler-client-error.js';

export async function schedulerRequest<T>(
  remoting: RemotingClient,
  address: string,
  code: number,
  body: object,
  timeoutMs: number,
): Promise<T> {
  const response = await remoting.invoke(address, { code, body: Buffer.from(JSON.stringify(body)) }, timeoutMs);
  if (response.code !== RESPONSE_CODE.SUCCESS) {
    const remark = response.remark ?? `response code ${response.code}`;
    const match = /^([A-Z_]+): (.*)$/s.exec(remark);
    throw new JobSchedulerClientError(match?.[1] ?? 'BROKER_ERROR', match?.[2] ?? remark);
  }
  return JSON.parse(bodyOf(response).toString('utf8') || '{}') as T;
}
