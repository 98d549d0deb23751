/**
 * What the RPC runtime needs of a security provider (NTLMSSP, SPNEGO): it hands over the
 * tokens of the auth legs and each PDU's verifier, and gets back answers, an identity and
 * protected PDUs. The providers live in src/security; this layer knows only this contract.
 */

/** Who a call comes from. */
export interface RpcIdentity {
  readonly anonymous: boolean;
  readonly user: string;
  readonly domain: string;
  /** The domain name as the client gave it, where it differs from `domain`'s meaning. */
  readonly logonDomain?: string;
  readonly admin: boolean;
}

/** A refused authentication: the bind_nak reason to answer a bind with, and why (for the audit). */
export class AuthRejected extends Error {
  constructor(
    readonly nakReason: number,
    readonly reason: string,
    readonly user = '',
    readonly domain = '',
  ) {
    super(reason);
    this.name = 'AuthRejected';
  }
}

export interface AuthStep {
  /** The token to send back (bind_ack / alter_context_resp), if any. */
  token: Buffer | undefined;
  /** The context is established. */
  done: boolean;
  /**
   * The mechanism refused the client but has a token saying so (SPNEGO's reject): it is
   * sent, and the context is failed.
   */
  rejected?: string;
}

/** The part of a security context that protects PDUs, shared by server and client contexts. */
export interface PduProtection {
  /** Size of the auth_value of a protected PDU. */
  readonly signatureSize: number;
  /** Whether the negotiated session can give this level (e.g. NTLM needs SIGN for integrity, SEAL for privacy). */
  canProtect(level: number): boolean;
  /**
   * Checks a received fragment: the signature covers pdu[0, sigAt); at privacy the body
   * [bodyStart, bodyEnd) is decrypted in place first. False when the verifier is wrong.
   */
  verify(level: number, pdu: Buffer, bodyStart: number, bodyEnd: number, sigAt: number): boolean;
  /** Signs (and at privacy seals in place) an outgoing fragment whose auth_value is zeroed. */
  protect(level: number, pdu: Buffer, bodyStart: number, bodyEnd: number, sigAt: number): void;
}

export interface ServerSecurityContext extends PduProtection {
  readonly authType: number;
  /** Takes the token of the next leg. Throws AuthRejected. */
  step(token: Buffer): AuthStep;
  /** Set once the context is established. */
  readonly identity: RpcIdentity | undefined;
  /** Once established, NTLM's session key and flags, for a capture's key file (tap.ts); absent for other mechanisms. */
  readonly ntlmKey?: { readonly exportedSessionKey: Buffer; readonly negotiateFlags: number };
}

export interface AuthEvent {
  outcome: 'success' | 'failure';
  authType: number;
  authLevel: number;
  user: string;
  domain: string;
  client: string;
  reason?: string;
}

export interface SecurityProvider {
  /** A fresh context for this auth type, or undefined when the type is not offered. */
  newContext(authType: number): ServerSecurityContext | undefined;
  /** Every authentication outcome, for the audit log. */
  audit(event: AuthEvent): void;
}

/** The authentication a call arrived with, as methods and the policy see it. */
export interface CallAuth {
  readonly authType: number;
  readonly level: number;
  readonly identity: RpcIdentity;
}

/**
 * The access check run before a method: returns 0 to let the call in, or the fault status
 * to answer it with (access denied, 5, when the level is too low).
 */
export type Authorizer = (iface: { uuid: string; name: string }, opnum: number, auth: CallAuth | undefined) => number;

/** A client's side of a security context (our client, its tests and the benchmark). */
export interface ClientSecurityContext extends PduProtection {
  readonly authType: number;
  /**
   * The first token (input undefined), then the answer to each token of the server's.
   * `via` says how the next token travels: rpc_auth_3 (NTLM) or alter_context (SPNEGO).
   */
  step(input: Buffer | undefined): { token: Buffer | undefined; done: boolean; via?: 'auth3' | 'alter_context' };
}
