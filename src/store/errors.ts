/**
 * A refusal by the host's rules. It carries the HRESULT the method answers with, so an
 * interface hands it on unchanged; the store never knows which wire will carry it.
 */
export class StoreError extends Error {
  constructor(
    readonly hresult: number,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** Throws a StoreError: the one way the store refuses. */
export function refuse(hresult: number, message: string): never {
  throw new StoreError(hresult, message);
}
