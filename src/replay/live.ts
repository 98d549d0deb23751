/**
 * The live side of a replay: one fresh connection per recorded conversation, to the target's
 * endpoint-mapper port or to its object exporter, authenticated afresh with the target's
 * credentials at the recorded (or the overriding) type and level; presentation contexts bound
 * as the recording numbered them, on first use (bind, then alter_context). A thin adapter over
 * RpcClient (src/client), which does the PDUs, the security legs and the protection.
 */
import { AUTH_LEVEL, AUTH_TYPE, RESULT } from '../dcerpc/constants.js';
import type { SyntaxId } from '../dcerpc/pdu/types.js';
import { RpcClient, type ClientAuth } from '../client/rpc-client.js';
import type { NtlmCredentials } from '../security/ntlm/client.js';
import { NtlmRpcClientContext } from '../security/ntlm/rpc.js';
import { SpnegoRpcClientContext } from '../security/spnego/rpc.js';

export interface TargetCredentials {
  user: string;
  domain: string;
  password?: string;
  ntHash?: Buffer;
}

/** A security context of `authType` (9 SPNEGO, 10 NTLM) for one connection. */
export function securityContext(authType: number, level: number, creds: TargetCredentials): ClientAuth {
  const c: NtlmCredentials = { user: creds.user, domain: creds.domain, ...(creds.ntHash ? { ntHash: creds.ntHash } : { password: creds.password ?? '' }) };
  if (authType === AUTH_TYPE.winnt) return { ctx: new NtlmRpcClientContext(c), level };
  if (authType === AUTH_TYPE.gss_negotiate) return { ctx: new SpnegoRpcClientContext(c), level };
  throw new Error(`authentication type ${authType} is not one scmp speaks (NTLM 10, SPNEGO 9)`);
}

/** The way a conversation authenticates: none, or a type and level. */
export interface ConversationAuth {
  authType: number;
  authLevel: number;
}

export class LiveConnection {
  private readonly contexts = new Map<number, { ok: boolean; why?: string }>();
  private bound = false;
  /** No call has been answered on it yet (a refused logon shows at the first call with NTLM). */
  fresh = true;

  private constructor(
    readonly rpc: RpcClient,
    readonly address: string,
    private readonly auth: ConversationAuth | undefined,
    private readonly creds: TargetCredentials,
  ) {}

  static async open(host: string, port: number, auth: ConversationAuth | undefined, creds: TargetCredentials, timeoutMs: number): Promise<LiveConnection> {
    const rpc = await RpcClient.connect(host, port, timeoutMs);
    return new LiveConnection(rpc, host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`, auth, creds);
  }

  get closed(): boolean {
    return this.rpc.isClosed;
  }

  /**
   * Makes presentation context `contextId` carry `syntax`: the connection's bind (which also
   * authenticates) or an alter_context. Undefined when accepted, else why not.
   */
  async context(contextId: number, syntax: SyntaxId): Promise<string | undefined> {
    const known = this.contexts.get(contextId);
    if (known) return known.ok ? undefined : known.why;
    const proposal = [{ contextId, abstractSyntax: syntax }];
    let results;
    if (!this.bound) {
      const a = this.auth && this.auth.authLevel > AUTH_LEVEL.none ? securityContext(this.auth.authType, this.auth.authLevel, this.creds) : undefined;
      results = await this.rpc.bind(proposal, a ? { auth: a } : {});
      this.bound = true;
    } else results = await this.rpc.alterContext(proposal);
    const r = results[0];
    const ok = r?.result === RESULT.acceptance;
    const why = ok ? undefined : `presentation context ${contextId} refused (result ${r?.result}, reason ${r?.reason})`;
    this.contexts.set(contextId, { ok, why });
    return why;
  }

  /** Ends the connection as a client does when done (FIN); `abort` drops it at once. */
  close(abort = false): void {
    if (this.rpc.isClosed) return;
    if (abort) this.rpc.socket.destroy();
    else this.rpc.socket.end();
  }
}
