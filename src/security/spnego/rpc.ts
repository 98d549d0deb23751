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
  /** Also set then: RFC 4178 section 5 makes the mechListMIC exchange mandatory. */
  private notFirstChoice = false;
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

  get ntlmKey(): { exportedSessionKey: Buffer; negotiateFlags: number } | undefined {
    return this.state === 'done' ? this.ntlm.ntlmKey : undefined;
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
      // The optimistic token was for a preferred mechanism we lack: name NTLM, send no token
      // (MS-SPNG 3.3.5.2), and wait for NTLM's NEGOTIATE in the next leg.
      this.awaitingNegotiate = true;
      this.notFirstChoice = mechs[0] !== OID_NTLMSSP;
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
    } else if (this.ntlm.micPresent || this.notFirstChoice) {
      // MS-SPNG 3.3.5.1: once NTLM protected its messages with a MIC, the mechanism list must
      // be too; and RFC 4178 section 5 asks for it whenever the first choice was not taken.
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

/**
 * The client side. By default it offers NTLM alone with an optimistic NEGOTIATE; given a
 * mechanism list that puts another mechanism first (a domain-joined Windows client lists
 * MS-KRB5, KRB5, NEGOEX, NTLMSSP) and that mechanism's optimistic token, it follows the
 * server's choice of NTLM: NEGOTIATE in the next leg, then AUTHENTICATE with the mechListMIC.
 */
export class SpnegoRpcClientContext extends NtlmSessionProtected implements ClientSecurityContext {
  readonly authType: number = AUTH_TYPE.gss_negotiate;
  private readonly ntlm: NtlmRpcClientContext;
  private readonly mechTypes: string[];
  private readonly sendMic: boolean;
  private readonly optimisticToken: Buffer | undefined;
  private state: 'init' | 'offered' | 'negotiated' | 'authenticated' | 'done' = 'init';

  constructor(
    creds: NtlmCredentials,
    opts: { mechTypes?: string[]; sendMic?: boolean; flags?: number; optimisticToken?: Buffer; ntlm?: { noMic?: boolean } } = {},
  ) {
    super();
    this.ntlm = new NtlmRpcClientContext(creds, opts.flags, opts.ntlm);
    this.mechTypes = opts.mechTypes ?? [OID_NTLMSSP];
    this.sendMic = opts.sendMic ?? true;
    this.optimisticToken = opts.optimisticToken;
  }

  step(input: Buffer | undefined): { token: Buffer | undefined; done: boolean; via?: 'auth3' | 'alter_context' } {
    if (this.state === 'init') {
      const ntlmFirst = this.mechTypes[0] === OID_NTLMSSP;
      this.state = ntlmFirst ? 'negotiated' : 'offered';
      const mechToken = ntlmFirst ? this.ntlm.step(undefined).token : this.optimisticToken;
      return { token: encodeNegTokenInit({ mechTypes: this.mechTypes, mechToken }), done: false };
    }
    const t = decodeNegotiationToken(input!);
    if (t.kind !== 'resp') throw new Error('expected NegTokenResp');
    if (t.token.negState === NEG_STATE.reject) throw new Error('SPNEGO rejected');
    if (this.state === 'offered') {
      // The server did not take our first choice: it must name NTLM and send no token.
      if (t.token.supportedMech !== OID_NTLMSSP) throw new Error(`server chose ${t.token.supportedMech ?? 'no mechanism'}`);
      if (t.token.responseToken) throw new Error('a token for a mechanism we have not started');
      this.state = 'negotiated';
      return { token: encodeNegTokenResp({ responseToken: this.ntlm.step(undefined).token }), done: false, via: 'alter_context' };
    }
    const session = () => this.ntlm.session!;
    if (this.state === 'negotiated') {
      const auth = this.ntlm.step(t.token.responseToken).token!;
      const mic = this.sendMic ? session().getMic(encodeMechTypeList(this.mechTypes)) : undefined;
      this.state = 'authenticated';
      return { token: encodeNegTokenResp({ responseToken: auth, mechListMIC: mic }), done: false, via: 'alter_context' };
    }
    if (this.state !== 'authenticated' || t.token.negState !== NEG_STATE.accept_completed) throw new Error('SPNEGO did not complete');
    if (t.token.mechListMIC) {
      if (!session().verifyMic(encodeMechTypeList(this.mechTypes), t.token.mechListMIC)) throw new Error("server's mechListMIC does not match");
      session().reset(false);
    }
    this.state = 'done';
    return { token: undefined, done: true };
  }

  get session(): NtlmPduProtection | undefined {
    return this.ntlm.session;
  }
}
