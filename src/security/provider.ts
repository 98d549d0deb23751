import type { AuthEvent, SecurityProvider, ServerSecurityContext } from '../dcerpc/auth.js';
import { AUTH_LEVEL, AUTH_TYPE } from '../dcerpc/constants.js';
import type { Logger } from '../log.js';
import type { Accounts } from './accounts.js';
import type { HostNames } from './identity.js';
import { NtlmRpcServerContext } from './ntlm/rpc.js';

export interface SecuritySettings {
  host: HostNames;
  accounts: Accounts;
  /** Accept NTLMv1 responses (off: a hardened host refuses them). */
  allowNtlmV1: boolean;
  /** Accept the anonymous (null) NTLM logon; what it may reach is the policy's business. */
  allowAnonymous: boolean;
  /** Offer SPNEGO (auth type 9) besides plain NTLM (10). */
  spnego: boolean;
}

const LEVEL_NAMES: Record<number, string> = Object.fromEntries(Object.entries(AUTH_LEVEL).map(([k, v]) => [v, k]));
const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(AUTH_TYPE).map(([k, v]) => [v, k]));

/** Creates security contexts for the RPC runtime and writes the authentication audit. */
export class RpcSecurity implements SecurityProvider {
  /** Optional factory for SPNEGO contexts (kept apart so NTLM stands alone). */
  spnegoFactory: ((s: SecuritySettings) => ServerSecurityContext) | undefined;

  constructor(
    readonly settings: SecuritySettings,
    private readonly log: Logger,
  ) {}

  newContext(authType: number): ServerSecurityContext | undefined {
    const s = this.settings;
    if (authType === AUTH_TYPE.winnt) {
      return new NtlmRpcServerContext({ host: s.host, accounts: s.accounts, allowNtlmV1: s.allowNtlmV1, allowAnonymous: s.allowAnonymous });
    }
    if (authType === AUTH_TYPE.gss_negotiate && s.spnego && this.spnegoFactory) return this.spnegoFactory(s);
    return undefined;
  }

  /** One structured line per authentication, success or failure. */
  audit(e: AuthEvent): void {
    const line = {
      audit: 'authentication',
      outcome: e.outcome,
      user: e.user,
      domain: e.domain,
      client: e.client,
      authLevel: LEVEL_NAMES[e.authLevel] ?? e.authLevel,
      authType: TYPE_NAMES[e.authType] ?? e.authType,
      ...(e.reason ? { reason: e.reason } : {}),
    };
    if (e.outcome === 'success') this.log.info('authentication succeeded', line);
    else this.log.warn('authentication failed', line);
  }
}
