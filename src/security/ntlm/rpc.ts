import { AuthRejected, type AuthStep, type ClientSecurityContext, type RpcIdentity, type ServerSecurityContext } from '../../dcerpc/auth.js';
import { AUTH_TYPE, BIND_NAK_REASON } from '../../dcerpc/constants.js';
import { NtlmClientContext, type NtlmCredentials } from './client.js';
import { NtlmPduProtection } from './protection.js';
import { NtlmSessionProtected } from './session-protected.js';
import { NtlmAuthError, NtlmServerContext, type NtlmServerOptions } from './server.js';

/** NTLMSSP (auth type 10) as a DCE/RPC security context: NEGOTIATE in bind, AUTHENTICATE in auth3. */
export class NtlmRpcServerContext extends NtlmSessionProtected implements ServerSecurityContext {
  readonly authType: number = AUTH_TYPE.winnt;
  identity: RpcIdentity | undefined;
  /** The AUTHENTICATE carried a MIC (SPNEGO then insists on a mechListMIC). */
  micPresent = false;
  private readonly ntlm: NtlmServerContext;
  private protection: NtlmPduProtection | undefined;
  private legs = 0;

  constructor(opts: NtlmServerOptions) {
    super();
    this.ntlm = new NtlmServerContext(opts);
  }

  step(token: Buffer): AuthStep {
    try {
      if (this.legs++ === 0) return { token: this.ntlm.negotiate(token), done: false };
      const r = this.ntlm.authenticate(token);
      this.identity = r.identity;
      this.protection = new NtlmPduProtection(r.flags, r.exportedSessionKey, 'server');
      this.micPresent = r.micPresent;
      return { token: undefined, done: true };
    } catch (e) {
      if (e instanceof NtlmAuthError) throw new AuthRejected(BIND_NAK_REASON.invalid_checksum, e.reason, e.user, e.domain);
      throw e;
    }
  }

  /** The NTLM session behind this context, for SPNEGO's mechListMIC. */
  get session(): NtlmPduProtection | undefined {
    return this.protection;
  }

  get ntlmKey(): { exportedSessionKey: Buffer; negotiateFlags: number } | undefined {
    return this.protection && { exportedSessionKey: this.protection.exportedSessionKey, negotiateFlags: this.protection.flags };
  }



}

/** The client side: NEGOTIATE, then AUTHENTICATE sent in rpc_auth_3. */
export class NtlmRpcClientContext extends NtlmSessionProtected implements ClientSecurityContext {
  readonly authType: number = AUTH_TYPE.winnt;
  readonly ntlm: NtlmClientContext;
  private protection: NtlmPduProtection | undefined;

  constructor(
    creds: NtlmCredentials,
    flags?: number,
    private readonly opts: { corruptMic?: boolean; noMic?: boolean } = {},
  ) {
    super();
    this.ntlm = new NtlmClientContext(creds, flags);
  }

  /** The NTLM session, for SPNEGO's mechListMIC. */
  get session(): NtlmPduProtection | undefined {
    return this.protection;
  }

  step(input: Buffer | undefined): { token: Buffer | undefined; done: boolean; via?: 'auth3' | 'alter_context' } {
    if (!input) return { token: this.ntlm.negotiate(), done: false };
    const token = this.ntlm.authenticate(input, this.opts);
    this.protection = new NtlmPduProtection(this.ntlm.negotiatedFlags, this.ntlm.exportedSessionKey!, 'client');
    return { token, done: true, via: 'auth3' };
  }



}
