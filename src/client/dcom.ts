/**
 * DCOM as a client holds it: a channel to a host's object exporter, and one proxy per
 * interface pointer. A proxy keeps its IPID and its public references; the channel opens a
 * presentation context for an interface on its first use (alter_context), adds ORPCTHIS to
 * every call and takes ORPCTHAT off the answer, turns returned OBJREFs into proxies, and
 * gives every reference back (RemRelease) when it closes.
 */
import type { InOf, InterfaceDecl, MethodDecl, OutOf } from '../dcerpc/interface.js';
import { RESULT } from '../dcerpc/constants.js';
import { decodeObjref } from '../dcom/objref.js';
import type { Guid } from '../ndr/guid.js';
import { IRemUnknown } from '../interfaces/remunknown/idl.js';
import { formatStatus } from '../status/index.js';
import { newOrpcThis } from './activation.js';
import { RpcClient, syntaxOf, type ClientAuth } from './rpc-client.js';

/** A method answered with a failing HRESULT (its high bit set). */
export class HResultError extends Error {
  constructor(
    readonly hr: number,
    readonly method: string,
  ) {
    super(`${method} failed: ${formatStatus(hr)}`);
    this.name = 'HResultError';
  }
}

type Methods<D> = D extends InterfaceDecl<infer M> ? M : never;
/** A method's arguments without ORPCTHIS, which the channel adds. */
export type ProxyIn<M extends MethodDecl> = Omit<InOf<M>, 'ORPCthis'>;
/** A method's results without ORPCTHAT, which the channel removes. */
export type ProxyOut<M extends MethodDecl> = Omit<OutOf<M>, 'ORPCthat'>;

/** An MInterfacePointer as the NDR layer gives it: the OBJREF's bytes, or null. */
export interface MarshalledPointer {
  abData: Buffer;
}

export interface ChannelOptions {
  host: string;
  /** The object exporter's port (from the activation reply's string bindings). */
  port: number;
  auth: ClientAuth;
  /** IRemUnknown's IPID for this object exporter (the activation reply's ipidRemUnknown). */
  ipidRemUnknown: Guid;
  /** How long the TCP connect may take (RpcClient's default otherwise). */
  connectTimeoutMs?: number;
  /** Aborting it closes the connection (a caller's timeout). */
  signal?: AbortSignal;
}

/** One connection to an object exporter, carrying the calls of every proxy made on it. */
export class DcomChannel {
  private readonly contexts = new Map<Guid, number>();
  private readonly proxies = new Set<InterfaceProxy<InterfaceDecl>>();
  private nextContextId = 0;
  private closed = false;

  private constructor(
    readonly rpc: RpcClient,
    private readonly ipidRemUnknown: Guid,
  ) {}

  /** Connects and authenticates (IRemUnknown is the first presentation context). */
  static async open(o: ChannelOptions): Promise<DcomChannel> {
    const rpc = await RpcClient.connect(o.host, o.port, o.connectTimeoutMs);
    const ch = new DcomChannel(rpc, o.ipidRemUnknown);
    o.signal?.addEventListener('abort', () => rpc.socket.destroy(), { once: true });
    try {
      await rpc.bind([{ contextId: 0, abstractSyntax: syntaxOf(IRemUnknown) }], { auth: o.auth });
    } catch (e) {
      await rpc.close();
      throw e;
    }
    ch.contexts.set(IRemUnknown.uuid, ch.nextContextId++);
    return ch;
  }

  /** A proxy for a pointer the caller already holds (an activation's), with its references. */
  proxy<D extends InterfaceDecl>(decl: D, ipid: Guid, publicRefs: number): InterfaceProxy<D> {
    const p = new InterfaceProxy(this, decl, ipid, publicRefs);
    this.proxies.add(p as unknown as InterfaceProxy<InterfaceDecl>);
    return p;
  }

  /** The proxy for an interface pointer a method returned; null for a null pointer. */
  unmarshal<D extends InterfaceDecl>(decl: D, mip: MarshalledPointer | null | undefined): InterfaceProxy<D> | null {
    if (!mip) return null;
    const o = decodeObjref(mip.abData);
    if (o.kind !== 'standard') throw new Error(`${decl.name}: expected a standard OBJREF, got ${o.kind}`);
    if (o.iid !== decl.uuid) throw new Error(`${decl.name}: the OBJREF is for ${o.iid}`);
    return this.proxy(decl, o.std.ipid, o.std.cPublicRefs);
  }

  /** The presentation context of an interface: the first call on it opens one. */
  private async contextFor(decl: InterfaceDecl): Promise<number> {
    const known = this.contexts.get(decl.uuid);
    if (known !== undefined) return known;
    const id = this.nextContextId++;
    const [r] = await this.rpc.alterContext([{ contextId: id, abstractSyntax: syntaxOf(decl) }]);
    if (r?.result !== RESULT.acceptance) throw new Error(`${decl.name} refused by the server (result ${r?.result}, reason ${r?.reason})`);
    this.contexts.set(decl.uuid, id);
    return id;
  }

  /** Calls `m` on the object `ipid`; throws HResultError on a failing `hr`. */
  async invoke<M extends MethodDecl>(decl: InterfaceDecl, ipid: Guid, m: M, args: ProxyIn<M>): Promise<ProxyOut<M>> {
    if (this.closed) throw new Error('the DCOM channel is closed');
    const contextId = await this.contextFor(decl);
    const out = (await this.rpc.call(contextId, m, { ORPCthis: newOrpcThis(), ...args } as InOf<M>, { object: ipid })) as OutOf<M> & { hr?: number };
    // A failing HRESULT has its severity bit set (MS-ERREF 2.1), however the field decodes.
    if (typeof out.hr === 'number' && (out.hr & 0x80000000) !== 0) throw new HResultError(out.hr >>> 0, `${decl.name}::${m.name}`);
    const { ORPCthat: _that, ...rest } = out as Record<string, unknown>;
    return rest as ProxyOut<M>;
  }

  /** Gives back a proxy's references (one RemRelease). */
  async release(p: InterfaceProxy<InterfaceDecl>): Promise<void> {
    this.proxies.delete(p);
    if (p.publicRefs === 0 || this.closed) return;
    const refs = p.publicRefs;
    p.publicRefs = 0;
    await this.invoke(IRemUnknown, this.ipidRemUnknown, IRemUnknown.methods.RemRelease, {
      cInterfaceRefs: 1,
      InterfaceRefs: [{ ipid: p.ipid, cPublicRefs: refs, cPrivateRefs: 0 }],
    });
  }

  /** Releases every reference still held, in one RemRelease, then closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    const held = [...this.proxies].filter((p) => p.publicRefs > 0);
    this.proxies.clear();
    try {
      if (held.length > 0) {
        await this.invoke(IRemUnknown, this.ipidRemUnknown, IRemUnknown.methods.RemRelease, {
          cInterfaceRefs: held.length,
          InterfaceRefs: held.map((p) => ({ ipid: p.ipid, cPublicRefs: p.publicRefs, cPrivateRefs: 0 })),
        });
        for (const p of held) p.publicRefs = 0;
      }
    } finally {
      this.closed = true;
      await this.rpc.close();
    }
  }
}

/** One interface pointer: calls by method name, its references given back on release. */
export class InterfaceProxy<D extends InterfaceDecl> {
  constructor(
    readonly channel: DcomChannel,
    readonly decl: D,
    readonly ipid: Guid,
    public publicRefs: number,
  ) {}

  call<K extends keyof Methods<D> & string>(name: K, args: ProxyIn<Methods<D>[K]>): Promise<ProxyOut<Methods<D>[K]>> {
    const m = this.decl.methods[name] as Methods<D>[K];
    return this.channel.invoke(this.decl, this.ipid, m, args);
  }

  release(): Promise<void> {
    return this.channel.release(this as unknown as InterfaceProxy<InterfaceDecl>);
  }
}
