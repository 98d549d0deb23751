/**
 * What a recorder (scmpd's --capture) is told of each connection: that it opened, every
 * chunk of bytes as read from and written to the socket, the security contexts established
 * on it (with what decrypts them), and how it ended. The server never waits on a tap: every
 * method returns at once, and a tap that fails is the tap's business, not the connection's.
 */
import type { PeerAddresses } from './server-association.js';

/** A security context that was established, with the key a reader needs to decrypt it. */
export interface TappedSecurityContext {
  /** auth_context_id of the sec_trailer (MS-RPCE 2.2.2.11). */
  readonly authContextId: number;
  /** 9 SPNEGO, 10 NTLMSSP (MS-RPCE 2.2.1.1.7). */
  readonly authType: number;
  readonly authLevel: number;
  /** NTLM's ExportedSessionKey (MS-NLMP 3.1.5.1.2) and negotiated flags; absent for other mechanisms. */
  readonly ntlm?: { readonly exportedSessionKey: Buffer; readonly negotiateFlags: number };
}

/** One connection as a tap sees it. */
export interface TappedConnection {
  /** Bytes the server read, in the order read. */
  received(data: Buffer): void;
  /** Bytes the server wrote, in the order written. */
  sent(data: Buffer): void;
  securityEstablished(ctx: TappedSecurityContext): void;
  /** The connection ended: `reset` when it was destroyed rather than closed in order. */
  closed(how: 'fin' | 'reset'): void;
}

export interface ConnectionTap {
  /** A connection was accepted (refused ones included: they are opened, then reset). */
  opened(endpoint: string, peers: PeerAddresses): TappedConnection;
}
