import type { Guid } from '../ndr/guid.js';
import type { AssociationGroup } from './association.js';
import type { CallAuth } from './auth.js';
import type { InOf, InterfaceDecl, MethodDecl, Methods, OutOf } from './interface.js';

/** What a method sees of the connection its call arrived on. */
export interface ConnectionInfo {
  readonly id: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly assocGroup: AssociationGroup;
  /** The endpoint (listener) the connection belongs to. */
  readonly endpoint: EndpointInfo;
}

export interface EndpointInfo {
  readonly name: string;
  /** The TCP port the endpoint listens on (known once listening). */
  readonly port: number;
  readonly registry: InterfaceRegistry;
}

export interface CallContext {
  readonly conn: ConnectionInfo;
  readonly callId: number;
  readonly opnum: number;
  /** The request's object UUID (PFC_OBJECT_UUID), for DCOM the IPID. */
  readonly object: Guid | undefined;
  /** How the call was authenticated; undefined for an unauthenticated call. */
  readonly auth: CallAuth | undefined;
  /** Octets of stub data the method's arguments came from (any verification trailer removed). */
  readonly stubLength: number;
}

export type Handler<M extends MethodDecl> = (args: InOf<M>, call: CallContext) => OutOf<M> | Promise<OutOf<M>>;
export type Handlers<M extends Methods> = { [K in keyof M]: Handler<M[K]> };

/** An interface with its implementation, ready to register on an endpoint. */
export interface ServedInterface {
  readonly decl: InterfaceDecl;
  /** Handler by opnum, parallel to decl.opnums. */
  readonly handlers: ReadonlyArray<Handler<any> | undefined>;
  /** Annotation shown by the endpoint mapper. */
  readonly annotation: string;
  /**
   * The answer of method `opnum` refusing with return value `hr` (a scripted fault's
   * hresult); default: every out-parameter zeroed and the last one, the return value, `hr`.
   */
  readonly refuse?: (opnum: number, hr: number, args: any) => object;
}

/** What a scripted fault makes of a call (src/store/faults.ts): answered by the runtime instead of the method. */
export type CallVerdict = { hresult: number } | { fault: number } | { delayMs: number } | { drop: true } | { hang: true };

/** Scripted faults' two hooks in the runtime; an answer replaces the call's own. */
export interface CallInterceptor {
  /**
   * Before the runtime looks the opnum up and decodes the stub: the interface's IDL name and
   * the call's opnum, whether or not the interface has it. Never an HRESULT (there may be
   * no method to carry one).
   */
  beforeOpnum(iface: string, opnum: number): Exclude<CallVerdict, { hresult: number }> | undefined;
  /** Before the method runs: the IDL names of the call and its decoded arguments. */
  beforeMethod(iface: string, method: string, args: Readonly<Record<string, unknown>>, call: CallContext): CallVerdict | undefined;
}

export function implement<M extends Methods>(decl: InterfaceDecl<M>, handlers: Handlers<M>, annotation = ''): ServedInterface {
  const byOpnum: Array<Handler<any> | undefined> = [];
  for (const [key, m] of Object.entries(decl.methods)) {
    const h = (handlers as Record<string, Handler<any>>)[key];
    if (typeof h !== 'function') throw new Error(`${decl.name}.${key} has no handler`);
    byOpnum[m.opnum] = h;
  }
  return { decl, handlers: byOpnum, annotation };
}

/**
 * The interfaces one endpoint serves, keyed by UUID and major version. A bind matches an
 * interface when the major versions are equal and the client's minor version is not newer
 * than ours (C706 12.6.4.6 compatibility rule).
 */
export class InterfaceRegistry {
  private readonly byKey = new Map<string, ServedInterface>();

  add(served: ServedInterface): this {
    const key = `${served.decl.uuid}/${served.decl.major}`;
    if (this.byKey.has(key)) throw new Error(`${served.decl.name} registered twice`);
    this.byKey.set(key, served);
    return this;
  }

  lookup(uuid: Guid, major: number, minor: number): ServedInterface | undefined {
    const s = this.byKey.get(`${uuid}/${major}`);
    if (!s || minor > s.decl.minor) return undefined;
    return s;
  }

  list(): ServedInterface[] {
    return [...this.byKey.values()];
  }
}
