/**
 * The one error the activation-properties codec throws for malformed input: a truncated or
 * inconsistent blob, a lying size or count, bad NDR inside a property. Whatever went wrong
 * underneath (an NdrError, a range check) is kept as `cause`. The activator answers it
 * with an HRESULT of its choosing; nothing else escapes a decode.
 */
export class ActivationFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ActivationFormatError';
  }
}

/** Any error thrown while decoding, as an ActivationFormatError. */
export function asActivationFormatError(e: unknown, what: string): ActivationFormatError {
  if (e instanceof ActivationFormatError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  return new ActivationFormatError(`${what}: ${detail}`, { cause: e });
}
