// Typed access to a request's extFields. JSON clients send numbers and booleans as JS types
// (ali-ons) or as strings (Java); both are accepted. A missing or malformed required field is
// an HeaderFieldError, which the broker answers with an error response.
import type { ExtFields } from './remoting-command.js';

export class HeaderFieldError extends Error {
  override readonly name = 'HeaderFieldError';
}

const INTEGER_PATTERN = /^-?\d+$/;

export class ExtFieldReader {
  constructor(private readonly fields: ExtFields | undefined) {}

  has(name: string): boolean {
    return this.fields?.[name] !== undefined;
  }

  string(name: string): string {
    const value = this.fields?.[name];
    if (value === undefined) throw new HeaderFieldError(`missing header field ${name}`);
    return String(value);
  }

  optionalString(name: string): string | undefined {
    const value = this.fields?.[name];
    return value === undefined ? undefined : String(value);
  }

  integer(name: string): number {
    const value = this.optionalInteger(name);
    if (value === undefined) throw new HeaderFieldError(`missing header field ${name}`);
    return value;
  }

  optionalInteger(name: string): number | undefined {
    const value = this.fields?.[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
    if (typeof value === 'string' && INTEGER_PATTERN.test(value)) {
      const parsed = Number(value);
      if (Number.isSafeInteger(parsed)) return parsed;
    }
    throw new HeaderFieldError(`header field ${name} must be an integer`);
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.fields?.[name];
    if (value === undefined) return fallback;
    return value === true || value === 'true';
  }
}
