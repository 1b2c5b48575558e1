// A TCC request the coordinator refuses, with the response code the requester gets.
import type { TccResponseCode } from '../../protocol/tcc-status.js';

export class TccRefusal extends Error {
  override readonly name = 'TccRefusal';

  constructor(
    readonly responseCode: TccResponseCode,
    message: string,
  ) {
    super(message);
  }
}
