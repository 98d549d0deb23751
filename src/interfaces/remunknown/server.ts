import type { ArgsOf, ObjectMethods, OrpcCall, Refusals } from '../../dcom/dispatcher.js';
import { DCOM_E, IID_IUnknown, type ComObject } from '../../dcom/exporter.js';
import type { Marshaller } from '../../dcom/marshaller.js';
import type { STDOBJREF_T } from '../../dcom/orpc.js';
import { GUID_NULL, type Guid } from '../../ndr/guid.js';
import type { IRemUnknown2 } from './idl.js';

const EMPTY_STD: STDOBJREF_T = { flags: 0, cPublicRefs: 0, oxid: 0n, oid: 0n, ipid: GUID_NULL };

type Args<K extends keyof typeof IRemUnknown2.methods> = ArgsOf<typeof IRemUnknown2, K>;

const supports = (obj: ComObject, iid: Guid) => iid === IID_IUnknown || obj.supports(iid);

/**
 * IRemUnknown and IRemUnknown2 (MS-DCOM 3.1.1.5.6, 3.1.1.5.7) on the exporter's
 * ipidRemUnknown: reference counting and QueryInterface for every exported object. Windows
 * accepts either IID on that IPID, and clients use both (impacket IRemUnknown, scapy
 * IRemUnknown2); one instance is registered for both. The dispatcher has checked the IPID
 * and ORPCTHIS; the IPIDs these methods name in their arguments are theirs to check.
 */
export class RemUnknown implements ObjectMethods<typeof IRemUnknown2.methods> {
  constructor(private readonly m: Marshaller) {}

  RemQueryInterface(a: Args<'RemQueryInterface'>) {
    const ex = this.m.exporter;
    const found = ex.lookup(a.ripid);
    if (!found) return remUnknownRefusals.RemQueryInterface!(DCOM_E.RPC_E_INVALID_OBJECT, a);
    const results = a.iids.map((iid) => {
      if (!supports(found.object, iid)) return { hResult: DCOM_E.E_NOINTERFACE, std: EMPTY_STD };
      const std = ex.marshal(found.entry.oid, iid, a.cRefs);
      return std ? { hResult: 0, std } : { hResult: DCOM_E.E_OUTOFMEMORY, std: EMPTY_STD };
    });
    const anyOk = results.some((r) => r.hResult === 0);
    return { ppQIResults: results, hr: anyOk ? 0 : results[0]?.hResult ?? DCOM_E.E_INVALIDARG };
  }

  RemAddRef(a: Args<'RemAddRef'>) {
    const pResults = a.InterfaceRefs.map((r) => (this.m.exporter.addRef(r.ipid, r.cPublicRefs, r.cPrivateRefs) ? 0 : DCOM_E.CO_E_OBJNOTREG));
    return { pResults, hr: pResults.every((r) => r === 0) ? 0 : DCOM_E.CO_E_OBJNOTREG };
  }

  RemRelease(a: Args<'RemRelease'>) {
    for (const r of a.InterfaceRefs) this.m.exporter.release(r.ipid, r.cPublicRefs, r.cPrivateRefs);
    return { hr: 0 };
  }

  RemQueryInterface2(a: Args<'RemQueryInterface2'>, call: OrpcCall) {
    const found = this.m.exporter.lookup(a.ripid);
    if (!found) return remUnknownRefusals.RemQueryInterface2!(DCOM_E.RPC_E_INVALID_OBJECT, a);
    const phr: number[] = [];
    const ppMIF = a.iids.map((iid) => {
      const objref = supports(found.object, iid) ? this.m.objref(found.entry.oid, iid, 1, call) : undefined;
      phr.push(objref ? 0 : DCOM_E.E_NOINTERFACE);
      return objref ? { ulCntData: objref.length, abData: objref } : null;
    });
    return { phr, ppMIF, hr: phr.some((h) => h === 0) ? 0 : DCOM_E.E_NOINTERFACE };
  }
}

/**
 * How a refused call answers, where zeroed out-parameters would not do: one entry per IID
 * or per reference, each carrying the failure, because clients and dissectors read these
 * arrays whatever the overall HRESULT says (their size_is is the request's count).
 */
export const remUnknownRefusals: Refusals<typeof IRemUnknown2.methods> = {
  RemQueryInterface: (hr, a) => ({ ppQIResults: a.iids.map(() => ({ hResult: hr, std: EMPTY_STD })), hr }),
  RemAddRef: (hr, a) => ({ pResults: a.InterfaceRefs.map(() => hr), hr }),
  RemQueryInterface2: (hr, a) => ({ phr: a.iids.map(() => hr), ppMIF: a.iids.map(() => null), hr }),
};
