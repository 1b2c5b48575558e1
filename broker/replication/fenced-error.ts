// A master that cannot be sure it still holds its etcd lease refuses writes. SERVICE_NOT_AVAILABLE
// is what RocketMQ clients (and Tributary's) retry on another broker after refreshing the route.
import { RESPONSE_CODE } from '../../protocol/response-code.js';

export class FencedError extends Error {
  override readonly name = 'FencedError';
  readonly code = 'MASTER_FENCED';
  readonly responseCode = RESPONSE_CODE.SERVICE_NOT_AVAILABLE;

  constructor(detail: string) {
    super(`MASTER_FENCED: ${detail}`);
  }
}
