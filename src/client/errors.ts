/**
 * The failures a client of a remote host tells apart: the credentials were refused, the
 * host could not be reached, or it did not answer in time. A failing HRESULT is
 * HResultError (dcom.ts); an RPC status is RpcFaultError or BindNakError (rpc-client.ts).
 */
import { FAULT } from '../dcerpc/constants.js';
import { BindNakError, InterfaceRefusedError, RpcFaultError } from './rpc-client.js';
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

/**
 * The port answered, but not as a DCOM host serving this client: it refused the protocol
 * version or the authentication type (bind_nak reasons 4 and 8, C706 and MS-RPCE 2.2.2.5),
 * or it does not offer the activation interface. No verdict on the credentials.
 */
export class NotDcomHostError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'NotDcomHostError';
  }
}

/** p_reject_reason values that say the port does not take this kind of bind, not these credentials. */
const BIND_NAK_NOT_THIS_PROTOCOL = new Set([4 /* protocol_version_not_supported */, 8 /* authentication_type_not_recognized */]);

/** A bind_nak that refuses the protocol or the authentication type rather than the caller. */
export function isProtocolRefusal(e: unknown): e is BindNakError {
  return e instanceof BindNakError && BIND_NAK_NOT_THIS_PROTOCOL.has(e.reason);
}

/** A bind_nak, or the fault a server sends for a call whose credentials it refused. */
export function isAuthenticationFailure(e: unknown): boolean {
  if (e instanceof BindNakError) return !isProtocolRefusal(e);
  if (e instanceof RpcFaultError) return e.status === FAULT.access_denied;
  return false;
}

/**
 * A connection reset or broken after it was made (ECONNRESET, EPIPE): the port was reached
 * and something there cut the conversation. A refused SYN is ECONNREFUSED, never these.
 */
export function isResetAfterConnect(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** A socket-level failure to reach an address (refused, unresolvable, unroutable, timed out). */
export function isUnreachable(e: unknown): boolean {
  if (e instanceof HResultError || e instanceof RpcFaultError || e instanceof BindNakError) return false;
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string') return true;
  return e instanceof Error && /^connect to .* timed out$/.test(e.message);
}

export { BindNakError, HResultError, InterfaceRefusedError, RpcFaultError };
