import { AuthRejected, type AuthStep, type ClientSecurityContext, type RpcIdentity, type ServerSecurityContext } from '../../dcerpc/auth.js';
import { AUTH_TYPE, BIND_NAK_REASON } from '../../dcerpc/constants.js';
import type { NtlmCredentials } from '../ntlm/client.js';
import type { NtlmPduProtection } from '../ntlm/protection.js';
import { NtlmSessionProtected } from '../ntlm/session-protected.js';
import { NtlmRpcClientContext, NtlmRpcServerContext } from '../ntlm/rpc.js';
import type { RpcSecurity, SecuritySettings } from '../provider.js';
import { SpnegoError } from './error.js';
import { NEG_STATE, OID_NTLMSSP, decodeNegotiationToken, encodeMechTypeList, encodeNegTokenInit, encodeNegTokenResp } from './tokens.js';

/**
 * SPNEGO (auth type 9) carrying NTLM, server side. Four legs over DCE/RPC:
 * bind (NegTokenInit with NEGOTIATE) → bind_ack (NegTokenResp with CHALLENGE) →
 * alter_context (NegTokenResp with AUTHENTICATE and mechListMIC) → alter_context_resp
 * (accept-completed with our mechListMIC). Kerberos is not offered: a client proposing
 * only Kerberos gets negState reject.
 */
export class SpnegoRpcServerContext extends NtlmSessionProtected implements ServerSecurityContext {
  readonly authType: number = AUTH_TYPE.gss_negotiate;
  private readonly ntlm: NtlmRpcServerContext;
  private mechTypesDer: Buffer | undefined;
  /** NTLM was not the client's first choice: its optimistic token was for another mechanism. */
  private awaitingNegotiate = false;
  private state: 'init' | 'challenged' | 'done' | 'rejected' = 'init';

  constructor(settings: SecuritySettings) {
    super();
    this.ntlm = new NtlmRpcServerContext({
      host: settings.host,
      accounts: settings.accounts,
      allowNtlmV1: settings.allowNtlmV1,
      allowAnonymous: settings.allowAnonymous,
    });
  }

  get session(): NtlmPduProtection | undefined {
    return this.ntlm.session;
  }

  get identity(): RpcIdentity | undefined {
    return this.state === 'done' ? this.ntlm.identity : undefined;
  }

  step(token: Buffer): AuthStep {
    let t;
    try {
      t = decodeNegotiationToken(token);
    } catch (e) {
      if (e instanceof SpnegoError) throw new AuthRejected(BIND_NAK_REASON.invalid_checksum, `malformed SPNEGO token: ${e.message}`);
      throw e;
    }
    if (this.state === 'init') {
      if (t.kind !== 'init') throw new AuthRejected(BIND_NAK_REASON.invalid_checksum, 'SPNEGO exchange did not start with NegTokenInit');
      const mechs = t.token.mechTypes;
      if (!mechs.includes(OID_NTLMSSP)) {
        this.state = 'rejected';
        return { token: encodeNegTokenResp({ negState: NEG_STATE.reject }), done: false, rejected: 'SPNEGO: no mechanism in common (NTLM only)' };
      }
      this.mechTypesDer = t.token.mechTypesDer;
      this.state = 'challenged';
      if (mechs[0] === OID_NTLMSSP && t.token.mechToken) {
        const challenge = this.ntlm.step(t.token.mechToken).token;
        return { token: encodeNegTokenResp({ negState: NEG_STATE.accept_incomplete, supportedMech: OID_NTLMSSP, responseToken: challenge }), done: false };
      }
      // The optimistic token was for a preferred mechanism we lack: ask for NTLM's first.
      this.awaitingNegotiate = true;
      return { token: encodeNegTokenResp({ negState: NEG_STATE.accept_incomplete, supportedMech: OID_NTLMSSP }), done: false };
    }
    if (this.state !== 'challenged' || t.kind !== 'resp' || !t.token.responseToken) {
      throw new AuthRejected(BIND_NAK_REASON.invalid_checksum, 'SPNEGO token out of sequence');
    }
    if (this.awaitingNegotiate) {
      this.awaitingNegotiate = false;
      const challenge = this.ntlm.step(t.token.responseToken).token;
      return { token: encodeNegTokenResp({ negState: NEG_STATE.accept_incomplete, responseToken: challenge }), done: false };
    }
    this.ntlm.step(t.token.responseToken);
    const session = this.ntlm.session!;
    const mic = t.token.mechListMIC;
    if (mic) {
      if (!session.verifyMic(this.mechTypesDer!, mic)) {
        const id = this.ntlm.identity!;
        throw new AuthRejected(BIND_NAK_REASON.invalid_checksum, 'mechListMIC does not match', id.user, id.logonDomain ?? id.domain);
      }
    } else if (this.ntlm.micPresent) {
      // MS-SPNG 3.3.5.1: once NTLM protected its messages with a MIC, the mechanism list must be too.
      const id = this.ntlm.identity!;
      throw new AuthRejected(BIND_NAK_REASON.invalid_checksum, 'mechListMIC missing', id.user, id.logonDomain ?? id.domain);
    }
    const ours = mic ? session.getMic(this.mechTypesDer!) : undefined;
    if (mic) session.reset(false);
    this.state = 'done';
    return { token: encodeNegTokenResp({ negState: NEG_STATE.accept_completed, mechListMIC: ours }), done: true };
  }



}

/** Registers SPNEGO with a security provider. */
export function installSpnego(sec: RpcSecurity): void {
  sec.spnegoFactory = (s) => new SpnegoRpcServerContext(s);
}

/** The client side, offering NTLM (and, for tests, whatever mechanism list is given). */
export class SpnegoRpcClientContext extends NtlmSessionProtected implements ClientSecurityContext {
  readonly authType: number = AUTH_TYPE.gss_negotiate;
  private readonly ntlm: NtlmRpcClientContext;
  private readonly mechTypes: string[];
  private legs = 0;

  constructor(creds: NtlmCredentials, opts: { mechTypes?: string[]; sendMic?: boolean; flags?: number } = {}) {
    super();
    this.ntlm = new NtlmRpcClientContext(creds, opts.flags);
    this.mechTypes = opts.mechTypes ?? [OID_NTLMSSP];
    this.sendMic = opts.sendMic ?? true;
  }

  private readonly sendMic: boolean;

  step(input: Buffer | undefined): { token: Buffer | undefined; done: boolean; via?: 'auth3' | 'alter_context' } {
    const leg = this.legs++;
    if (leg === 0) {
      return { token: encodeNegTokenInit({ mechTypes: this.mechTypes, mechToken: this.ntlm.step(undefined).token }), done: false };
    }
    const t = decodeNegotiationToken(input!);
    if (t.kind !== 'resp') throw new Error('expected NegTokenResp');
    if (t.token.negState === NEG_STATE.reject) throw new Error('SPNEGO rejected');
    if (leg === 1) {
      const auth = this.ntlm.step(t.token.responseToken).token!;
      const session = this.ntlm.session!;
      const mic = this.sendMic ? session.getMic(encodeMechTypeList(this.mechTypes)) : undefined;
      return { token: encodeNegTokenResp({ responseToken: auth, mechListMIC: mic }), done: false, via: 'alter_context' };
    }
    if (t.token.negState !== NEG_STATE.accept_completed) throw new Error('SPNEGO did not complete');
    const session = this.ntlm.session!;
    if (t.token.mechListMIC) {
      if (!session.verifyMic(encodeMechTypeList(this.mechTypes), t.token.mechListMIC)) throw new Error("server's mechListMIC does not match");
      session.reset(false);
    }
    return { token: undefined, done: true };
  }

  get session(): NtlmPduProtection | undefined {
    return this.ntlm.session;
  }



}
