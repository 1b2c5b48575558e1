// Refusals of the config centre, with stable codes the client maps back to its own typed error
// (the response's `configError` ext field carries the code).

export const CONFIG_CENTRE_ERRORS = {
  CONFIG_INVALID: 'the request is malformed or a name or value is out of bounds',
  CONFIG_NOT_FOUND: 'no such item (or it is deleted)',
  CONFIG_VERSION_NOT_KEPT: 'that version is not (or no longer) in the kept history',
  CONFIG_NO_GRAY: 'the item has no gray release to promote or abandon',
  CONFIG_BUSY: 'the broker holds as many watches as it may; retry later',
} as const;

export type ConfigCentreErrorCode = keyof typeof CONFIG_CENTRE_ERRORS;

export class ConfigCentreError extends Error {
  override readonly name = 'ConfigCentreError';

  constructor(
    readonly code: ConfigCentreErrorCode,
    detail: string,
  ) {
    super(`${CONFIG_CENTRE_ERRORS[code]}: ${detail}`);
  }
}
