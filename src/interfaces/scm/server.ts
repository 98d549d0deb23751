import { implement, type CallContext, type ServedInterface } from '../../dcerpc/registry.js';
import { AUTH_LEVEL } from '../../dcerpc/constants.js';
import { ActivationFormatError } from '../../dcom/activation/error.js';
import { decodeActivationPropertiesIn, encodeActivationPropertiesOut } from '../../dcom/activation/blob.js';
import { toNdrValue } from '../../dcom/bindings.js';
import { classObject, type ClassRegistry, type ComClass } from '../../dcom/classes.js';
import { DCOM_E, IID_IUnknown, type ComObject } from '../../dcom/exporter.js';
import { PUBLIC_REFS, type Marshaller } from '../../dcom/marshaller.js';
import { checkComVersion } from '../../dcom/orpc-checks.js';
import { COM_VERSION, NO_EXTENSIONS_THAT, type ORPCTHIS_T } from '../../dcom/orpc.js';
import type { Guid } from '../../ndr/guid.js';
import { IActivation, IRemoteSCMActivator } from './idl.js';

export interface ScmOptions {
  /** The exporter, the host's bindings, and interface pointers for the caller. */
  marshaller: Marshaller;
  classes: ClassRegistry;
  /** Whether the caller may activate (the policy's group check); otherwise E_ACCESSDENIED. */
  allowsCaller(call: CallContext): boolean;
}

interface Activated {
  hr: number;
  oid?: bigint;
  interfaces: Array<Buffer | null>;
  hresults: number[];
}

/**
 * The SCM's activation on port 135 (MS-DCOM 3.1.2.5.2): create an instance (or the class
 * object) of a registered class, export it, and marshal the interfaces asked for, each
 * with its own HRESULT.
 */
export function serveActivation(opts: ScmOptions): ServedInterface[] {
  const m = opts.marshaller;
  const ex = m.exporter;
  const exporterBindings = (call: CallContext) => toNdrValue(m.bindings.exporter(call));

  function activate(call: CallContext, orpc: ORPCTHIS_T, clsid: Guid, iids: Guid[], factory: boolean): Activated {
    const fail = (hr: number): Activated => ({ hr, interfaces: [], hresults: [] });
    // Of ORPCTHIS the activators check only the COM version (docs/decisions.md, DCOM).
    const badVersion = checkComVersion(orpc.version);
    if (badVersion) return fail(badVersion);
    const cls: ComClass | undefined = opts.classes.get(clsid);
    if (!cls) return fail(DCOM_E.REGDB_E_CLASSNOTREG);
    if (!opts.allowsCaller(call)) return fail(DCOM_E.E_ACCESSDENIED);
    const object: ComObject = factory ? classObject(cls) : cls.create();
    const exported = m.exportObject(object, call);
    if (!exported) return fail(DCOM_E.E_OUTOFMEMORY);
    const interfaces: Array<Buffer | null> = [];
    const hresults: number[] = [];
    for (const iid of iids) {
      const objref = iid === IID_IUnknown || object.supports(iid) ? m.objref(exported.oid, iid, PUBLIC_REFS, call) : undefined;
      interfaces.push(objref ?? null);
      hresults.push(objref ? 0 : DCOM_E.E_NOINTERFACE);
    }
    if (!hresults.includes(0)) {
      // Nothing was handed out: nothing keeps the object.
      ex.reclaimObject(exported.oid);
      return { hr: DCOM_E.E_NOINTERFACE, interfaces, hresults };
    }
    return { hr: 0, oid: exported.oid, interfaces, hresults };
  }

  /** The level the client must use towards the exporter: at least integrity, at least its own. */
  const authnHint = (call: CallContext) => Math.max(call.auth?.level ?? AUTH_LEVEL.pkt_integrity, AUTH_LEVEL.pkt_integrity);

  function viaProperties(call: CallContext, orpc: ORPCTHIS_T, props: { ulCntData: number; abData: Buffer } | null, factory: boolean) {
    const none = { ORPCthat: NO_EXTENSIONS_THAT, ppActProperties: null };
    if (!props) return { ...none, hr: DCOM_E.E_INVALIDARG };
    let input;
    try {
      input = decodeActivationPropertiesIn(props.abData);
    } catch (e) {
      if (e instanceof ActivationFormatError) return { ...none, hr: DCOM_E.RPC_E_INVALID_OBJREF };
      throw e;
    }
    const inst = input.instantiation;
    if (!inst) return { ...none, hr: DCOM_E.E_INVALIDARG };
    const iids: Guid[] = inst.pIID ?? [];
    const r = activate(call, orpc, inst.classId, iids, factory);
    if (r.hr !== 0 && r.oid === undefined && r.hresults.length === 0) return { ...none, hr: r.hr };
    const blob = encodeActivationPropertiesOut({
      propsOut: { iids, hresults: r.hresults, interfaces: r.interfaces },
      scmReply: {
        oxid: ex.oxid,
        bindings: exporterBindings(call),
        ipidRemUnknown: ex.ipidRemUnknown,
        authnHint: authnHint(call),
        serverVersion: { ...COM_VERSION },
      },
    });
    return { ORPCthat: NO_EXTENSIONS_THAT, ppActProperties: { ulCntData: blob.length, abData: blob }, hr: r.hr };
  }

  return [
    implement(
      IRemoteSCMActivator,
      {
        RemoteGetClassObject: (a, call) => viaProperties(call, a.ORPCthis, a.pActProperties, true),
        RemoteCreateInstance: (a, call) => viaProperties(call, a.ORPCthis, a.pActProperties, false),
      },
      'IRemoteSCMActivator',
    ),
    implement(
      IActivation,
      {
        RemoteActivation(a, call) {
          const iids = a.pIIDs ?? [];
          // Mode 0xFFFFFFFF asks for the class object.
          const r = activate(call, a.ORPCthis, a.Clsid, iids, a.Mode === 0xffffffff);
          const ok = r.hr === 0;
          return {
            ORPCthat: NO_EXTENSIONS_THAT,
            pOxid: ok ? ex.oxid : 0n,
            ppdsaOxidBindings: ok ? exporterBindings(call) : null,
            pipidRemUnknown: ok ? ex.ipidRemUnknown : '00000000-0000-0000-0000-000000000000',
            pAuthnHint: authnHint(call),
            pServerVersion: { ...COM_VERSION },
            phr: r.hr,
            ppInterfaceData: iids.map((_, i) => (ok && r.interfaces[i] ? { ulCntData: r.interfaces[i]!.length, abData: r.interfaces[i]! } : null)),
            // MS-DCOM: when phr is a failure every pResults entry is 0.
            pResults: iids.map((_, i) => (ok ? r.hresults[i] ?? 0 : 0)),
            status: 0,
          };
        },
      },
      'IActivation',
    ),
  ];
}
