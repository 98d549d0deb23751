import { RpcFault } from '../dcerpc/fault.js';
import type { InOf, InterfaceDecl, MethodDecl, Methods, OutOf } from '../dcerpc/interface.js';
import { implement, type CallContext, type Handler, type ServedInterface } from '../dcerpc/registry.js';
import type { Guid } from '../ndr/guid.js';
import { ndrDecode } from '../ndr/index.js';
import { DCOM_E, IID_IRemUnknown, IID_IRemUnknown2, type ComObject } from './exporter.js';
import type { Marshaller } from './marshaller.js';
import { checkOrpcThis } from './orpc-checks.js';
import { NO_EXTENSIONS_THAT, type MInterfacePointer_T, type ORPCTHIS_T } from './orpc.js';
import { OrpcRefusal } from './refusal.js';

/**
 * The one place ORPC calls on exported objects are dispatched (MS-DCOM 3.1.1.5.4). For every
 * method of every registered object interface, in this order:
 *
 * 1. the object UUID must be a live IPID of the interface called: otherwise a fault
 *    RPC_E_DISCONNECTED with PFC_DID_NOT_EXECUTE (an IPID of another interface likewise);
 * 2. ORPCTHIS must carry a COM version this host speaks and no flags (checkOrpcThis);
 * 3. the caller must be allowed by the policy (its group check), else E_ACCESSDENIED;
 * 4. the method runs with the object the IPID names, and its answer gets ORPCTHAT.
 *
 * A failure at 2 or 3, or an OrpcRefusal the method throws, is answered with the method's
 * refusal: every out-parameter as zero bytes decode (null pointers, empty arrays, zero
 * counts: what a MIDL stub sends for the out-parameters it zeroed) and `hr` the failure.
 * An interface whose refusal is not that shape declares its own at registration.
 */

/** A method's answer without ORPCTHAT, which the dispatcher adds. */
export type OrpcResult<M> = Omit<OutOf<M>, 'ORPCthat'>;

/** What an object method sees of its call: the call, and the object its IPID names. */
export interface OrpcCall<O = ComObject> extends CallContext {
  readonly target: O;
  /** Exports a new object for this caller and marshals `iid` of it; undefined when refused. */
  exportInterface(object: ComObject, iid: Guid): MInterfacePointer_T | undefined;
}

/** A class implementing an object interface: one method per IDL method, each only its logic. */
export type ObjectMethods<M extends Methods, O = ComObject> = {
  [K in keyof M]: (args: InOf<M[K]>, call: OrpcCall<O>) => OrpcResult<M[K]> | Promise<OrpcResult<M[K]>>;
};

/** Where a method's refusal is not its zeroed out-parameters: the answer for `hr`. */
export type Refusals<M extends Methods> = {
  [K in keyof M]?: (hr: number, args: InOf<M[K]>) => OrpcResult<M[K]>;
};

/** The arguments of method K of interface D, for the signatures of an implementing class. */
export type ArgsOf<D extends InterfaceDecl, K extends keyof D['methods']> = InOf<D['methods'][K]>;

export interface DispatcherOptions {
  marshaller: Marshaller;
  /** Whether the caller may use the interface (the policy's group check); otherwise E_ACCESSDENIED. */
  allowsCaller(iid: Guid, call: CallContext): boolean;
}

/** Interfaces served by a dispatcher, so a test can tell that nothing bypasses one. */
const dispatched = new WeakSet<ServedInterface>();

export function isDispatched(served: ServedInterface): boolean {
  return dispatched.has(served);
}

/** The exporter's own IRemUnknown (MS-DCOM 3.1.1.5.6): it answers both IIDs on ipidRemUnknown. */
const REM_UNKNOWN: ComObject = {
  clsid: IID_IRemUnknown,
  supports: (iid) => iid === IID_IRemUnknown || iid === IID_IRemUnknown2,
};

export class ObjectDispatcher {
  private readonly interfaces: ServedInterface[] = [];

  constructor(private readonly opts: DispatcherOptions) {}

  /**
   * One object interface: its declaration (from dcomInterface), an instance of the class
   * implementing it, and the refusals that are not zeroed out-parameters. The class may
   * type `call.target` as the object it hands out under this IID: the exporter gives an
   * IPID of an IID only to an object that supports it.
   */
  register<M extends Methods>(decl: InterfaceDecl<M>, impl: ObjectMethods<M, any>, refusals: Refusals<M> = {}): this {
    const handlers: Record<string, Handler<any>> = {};
    const refusalByOpnum: Array<(hr: number, args: any) => object> = [];
    for (const [name, method] of Object.entries(decl.methods)) {
      const run = (impl as Record<string, (a: any, c: OrpcCall<any>) => any>)[name];
      if (typeof run !== 'function') throw new Error(`${decl.name}.${name} has no implementation`);
      const custom = (refusals as Record<string, ((hr: number, a: any) => object) | undefined>)[name];
      const refusal = custom ?? zeroedRefusal(decl.name, method);
      const refused = (hr: number, args: any) => ({ ...refusal(hr, args), ORPCthat: NO_EXTENSIONS_THAT });
      handlers[name] = this.dispatch(decl.uuid, (a, c) => run.call(impl, a, c), refused);
      refusalByOpnum[method.opnum] = refused;
    }
    // A scripted fault's hresult is answered as the method refuses, with ORPCTHAT.
    const served: ServedInterface = { ...implement(decl, handlers as any), refuse: (opnum, hr, args) => refusalByOpnum[opnum]!(hr, args) };
    dispatched.add(served);
    this.interfaces.push(served);
    return this;
  }

  /** Everything registered, to add to the object exporter's endpoint. */
  served(): ServedInterface[] {
    return [...this.interfaces];
  }

  private dispatch(iid: Guid, run: (args: any, call: OrpcCall<any>) => any, refused: (hr: number, args: any) => object): Handler<any> {
    const answer = (out: object) => ({ ...out, ORPCthat: NO_EXTENSIONS_THAT });
    const failed = (args: unknown) => (e: unknown) => {
      if (e instanceof OrpcRefusal) return refused(e.hr, args);
      throw e;
    };
    return (args: any, call: CallContext): any => {
      const target = this.target(call, iid);
      const hr = checkOrpcThis((args as { ORPCthis: ORPCTHIS_T }).ORPCthis) || (this.opts.allowsCaller(iid, call) ? 0 : DCOM_E.E_ACCESSDENIED);
      if (hr) return refused(hr, args);
      const m = this.opts.marshaller;
      const orpcCall: OrpcCall<ComObject> = { ...call, target, exportInterface: (object, want) => m.exportInterface(object, want, call) };
      let out: unknown;
      try {
        out = run(args, orpcCall);
      } catch (e) {
        return failed(args)(e);
      }
      return out instanceof Promise ? out.then(answer, failed(args)) : answer(out as object);
    };
  }

  /**
   * The object a call is addressed to. An unknown or released IPID is answered with a fault
   * RPC_E_DISCONNECTED, as MS-DCOM 3.1.1.5.4 says and as clients see after their objects
   * are reclaimed; an IPID of another interface, likewise.
   */
  private target(call: CallContext, iid: Guid): ComObject {
    const ipid = call.object;
    const ex = this.opts.marshaller.exporter;
    if (ipid !== undefined && ipid === ex.ipidRemUnknown && REM_UNKNOWN.supports(iid)) return REM_UNKNOWN;
    const found = ipid ? ex.lookup(ipid) : undefined;
    if (!found || found.entry.iid !== iid) throw new RpcFault(DCOM_E.RPC_E_DISCONNECTED, 'unknown IPID', true);
    return found.object;
  }
}

/** Any property a size_is or length_is asks of the scope is 0 while the zero answer is read. */
const ZERO_SCOPE: Readonly<Record<string, unknown>> = new Proxy({}, { get: (_t, k) => (typeof k === 'string' ? 0 : undefined) });

/**
 * The refusal of a method whose out-parameters all have a zero form: the response as zero
 * bytes decode, with `hr` set. Computed once, at registration, so a method without one is
 * found when the server starts, not when a call is refused.
 */
function zeroedRefusal(iface: string, method: MethodDecl): (hr: number) => object {
  let zero: Record<string, unknown>;
  try {
    zero = ndrDecode(method.response, Buffer.alloc(2 * method.response.minSize + 64), true, ZERO_SCOPE);
  } catch (e) {
    throw new Error(`${iface}.${method.name}: its out-parameters have no zero form; register a refusal for it`, { cause: e });
  }
  if (!('hr' in zero)) throw new Error(`${iface}.${method.name} returns no hr; register a refusal for it`);
  return (hr) => ({ ...zero, hr });
}
