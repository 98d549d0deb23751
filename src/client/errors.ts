/**
 * The failures a client of a remote host tells apart: the credentials were refused, the
 * host could not be reached, or it did not answer in time. A failing HRESULT is
 * HResultError (dcom.ts); an RPC status is RpcFaultError or BindNakError (rpc-client.ts).
 */
import { FAULT } from '../dcerpc/constants.js';
import { BindNakError, RpcFaultError } from './rpc-client.js';
import { HResultError } from './dcom.js';

/** The host refused the credentials (a bind_nak, or an access-denied fault at the first call). */
export class AuthenticationError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'AuthenticationError';
  }
}

/** No connection could be made: to the host's port 135, or to any of the exporter's bindings. */
export class ConnectionError extends Error {
  constructor(
    message: string,
    /** What each attempt answered, in the order tried. */
    readonly attempts: readonly { target: string; error: unknown }[],
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/** An operation did not complete within the client's timeout; its connection was closed. */
export class TimeoutError extends Error {
  constructor(readonly operation: string, readonly timeoutMs: number) {
    super(`${operation} did not complete within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/** A bind_nak, or the fault a server sends for a call whose credentials it refused. */
export function isAuthenticationFailure(e: unknown): boolean {
  if (e instanceof BindNakError) return true;
  if (e instanceof RpcFaultError) return e.status === FAULT.access_denied;
  return false;
}

/** A socket-level failure to reach an address (refused, unresolvable, unroutable, timed out). */
export function isUnreachable(e: unknown): boolean {
  if (e instanceof HResultError || e instanceof RpcFaultError || e instanceof BindNakError) return false;
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string') return true;
  return e instanceof Error && /^connect to .* timed out$/.test(e.message);
}

export { BindNakError, HResultError, RpcFaultError };
