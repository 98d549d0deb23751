import type { PduProtection } from '../../dcerpc/auth.js';
import type { NtlmPduProtection } from './protection.js';

/**
 * What every NTLM-carrying security context (NTLM and SPNEGO, server and client) does with
 * PDUs once authenticated: hand them to its NTLM session. Before the session exists,
 * nothing can be protected or verified.
 */
export abstract class NtlmSessionProtected implements PduProtection {
  readonly signatureSize = 16;

  abstract get session(): NtlmPduProtection | undefined;

  canProtect(level: number): boolean {
    return this.session?.canProtect(level) ?? false;
  }

  verify(level: number, pdu: Buffer, bodyStart: number, bodyEnd: number, sigAt: number): boolean {
    return this.session?.verify(level, pdu, bodyStart, bodyEnd, sigAt) ?? false;
  }

  protect(level: number, pdu: Buffer, bodyStart: number, bodyEnd: number, sigAt: number): void {
    const s = this.session;
    if (!s) throw new Error('no authenticated session to protect the PDU with');
    s.protect(level, pdu, bodyStart, bodyEnd, sigAt);
  }
}
