/**
 * A conformance probe's view of an MS-SCMP host: the activation as ScmpClient does it, but
 * every call answered raw (the HRESULT and the out-parameters, failures included) and every
 * interface pointer kept, so checks can look at what a library client never shows.
 */
import { activate, newOrpcThis, type Activated } from '../client/activation.js';
import { exporterAddresses, type ExporterAddress } from '../client/exporter-bindings.js';
import { RpcClient, syntaxOf, type ClientAuth } from '../client/rpc-client.js';
import { AUTH_LEVEL, RESULT } from '../dcerpc/constants.js';
import type { InterfaceDecl, MethodDecl } from '../dcerpc/interface.js';
import { decodeObjref } from '../dcom/objref.js';
import { IRemUnknown } from '../interfaces/remunknown/idl.js';
import { CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt } from '../interfaces/scmp/class.js';
import type { Guid } from '../ndr/guid.js';
import type { NtlmCredentials } from '../security/ntlm/client.js';
import { NtlmRpcClientContext } from '../security/ntlm/rpc.js';
import { SpnegoRpcClientContext } from '../security/spnego/rpc.js';

export interface Credentials {
  user: string;
  domain: string;
  password?: string;
  ntHash?: Buffer;
}

export interface ConformTarget {
  host: string;
  port: number;
  creds: Credentials;
  authType: 'spnego' | 'ntlm';
  authLevel: 'privacy' | 'integrity';
  /** Limit for each connect and each call. */
  timeoutMs: number;
  /** A second account that is not an administrator (checks of authorization). */
  userAccount?: Credentials;
}

export interface AuthChoice {
  creds?: Credentials;
  authType?: 'spnego' | 'ntlm';
  /** An AUTH_LEVEL value. */
  level?: number;
}

export function clientAuth(t: ConformTarget, o: AuthChoice = {}): ClientAuth {
  const c = o.creds ?? t.creds;
  const creds: NtlmCredentials = { user: c.user, domain: c.domain, ...(c.ntHash ? { ntHash: c.ntHash } : { password: c.password ?? '' }) };
  const type = o.authType ?? t.authType;
  const level = o.level ?? (t.authLevel === 'privacy' ? AUTH_LEVEL.pkt_privacy : AUTH_LEVEL.pkt_integrity);
  return { ctx: type === 'ntlm' ? new NtlmRpcClientContext(creds) : new SpnegoRpcClientContext(creds), level };
}

/** A call's answer: the HRESULT (or status) and every out-parameter. */
export type Answer = Record<string, any> & { hr: number };

/** A marshalled interface pointer the host handed out. */
export interface Held {
  ipid: Guid;
  iid: Guid;
  oid: bigint;
  refs: number;
}

export class Session {
  private readonly contexts = new Map<Guid, number>();
  private nextContext = 100;
  readonly held: Held[] = [];

  private constructor(
    readonly t: ConformTarget,
    readonly activation: Activated,
    readonly rpc: RpcClient,
    readonly exporter: ExporterAddress,
    readonly auth: () => ClientAuth,
  ) {}

  get mgmtIpid(): Guid {
    return this.activation.ipid;
  }

  /** Activates the shadow-copy class and connects to the exporter; throws what it met. */
  static async open(t: ConformTarget, o: AuthChoice = {}): Promise<Session> {
    const auth = () => clientAuth(t, o);
    const a = await activate(t.host, t.port, auth(), CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt, { serverName: t.host, connectTimeoutMs: t.timeoutMs });
    if (a.hr !== 0) throw new ActivationRefused(a.hr >>> 0);
    let last: unknown = new Error('the activation reply lists no ncacn_ip_tcp binding');
    for (const at of exporterAddresses(a.bindings)) {
      let rpc: RpcClient;
      try {
        rpc = await RpcClient.connect(at.host, at.port, t.timeoutMs);
      } catch (e) {
        last = e;
        continue;
      }
      try {
        await rpc.bind([{ contextId: 0, abstractSyntax: syntaxOf(IRemUnknown) }], { auth: auth() });
      } catch (e) {
        await rpc.close().catch(() => undefined);
        throw e;
      }
      const s = new Session(t, a, rpc, at, auth);
      s.contexts.set(IRemUnknown.uuid, 0);
      s.held.push({ ipid: a.ipid, iid: IID_IVssSnapshotMgmt, oid: a.oid, refs: a.cPublicRefs });
      return s;
    }
    throw last;
  }

  get closed(): boolean {
    return this.rpc.isClosed;
  }

  /** The presentation context of `decl` on this connection (alter_context on first use). */
  async contextFor(decl: InterfaceDecl): Promise<number> {
    const known = this.contexts.get(decl.uuid);
    if (known !== undefined) return known;
    const id = this.nextContext++;
    const [r] = await this.rpc.alterContext([{ contextId: id, abstractSyntax: syntaxOf(decl) }]);
    if (r?.result !== RESULT.acceptance) throw new Error(`${decl.name} refused (result ${r?.result}, reason ${r?.reason})`);
    this.contexts.set(decl.uuid, id);
    return id;
  }

  /** Calls `name` on the object `ipid`; the answer whatever its HRESULT. OBJREFs returned are kept. */
  async call(decl: InterfaceDecl, ipid: Guid, name: string, args: Record<string, unknown>, orpcThis?: Record<string, unknown>): Promise<Answer> {
    const m = decl.methods[name] as MethodDecl | undefined;
    if (!m) throw new Error(`${decl.name} has no method ${name}`);
    const ctx = await this.contextFor(decl);
    const out = (await this.rpc.call(ctx, m, { ORPCthis: orpcThis ?? newOrpcThis(), ...args } as never, { object: ipid })) as unknown as Answer;
    for (const v of Object.values(out)) {
      if (v && typeof v === 'object' && Buffer.isBuffer((v as { abData?: unknown }).abData)) this.keep((v as { abData: Buffer }).abData);
    }
    out.hr = (out.hr ?? 0) >>> 0;
    return out;
  }

  /** Remembers a returned OBJREF's references, to give them back at close. */
  keep(abData: Buffer): Held | undefined {
    const o = decodeObjref(abData);
    if (o.kind !== 'standard') return undefined;
    const h = { ipid: o.std.ipid, iid: o.iid, oid: o.std.oid, refs: o.std.cPublicRefs };
    this.held.push(h);
    return h;
  }

  /** Gives back every reference still held (best effort), then closes. */
  async close(): Promise<void> {
    const refs = this.held.filter((h) => h.refs > 0);
    try {
      if (refs.length > 0 && !this.rpc.isClosed) {
        await this.call(IRemUnknown, this.activation.ipidRemUnknown, 'RemRelease', {
          cInterfaceRefs: refs.length,
          InterfaceRefs: refs.map((h) => ({ ipid: h.ipid, cPublicRefs: h.refs, cPrivateRefs: 0 })),
        });
      }
    } catch {
      // A host that cannot take the release back collects the objects when pings stop.
    } finally {
      for (const h of refs) h.refs = 0;
      await this.rpc.close().catch(() => undefined);
    }
  }
}

/** The activation answered a failing HRESULT. */
export class ActivationRefused extends Error {
  constructor(readonly hr: number) {
    super(`RemoteCreateInstance answered 0x${hr.toString(16).padStart(8, '0')}`);
    this.name = 'ActivationRefused';
  }
}
