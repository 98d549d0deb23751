import { RpcFault } from '../../dcerpc/fault.js';
import { implement, type CallContext, type ServedInterface } from '../../dcerpc/registry.js';
import { DCOM_E, IID_IUnknown, type ObjectExporter } from '../../dcom/exporter.js';
import { checkOrpcThis } from '../../dcom/orpc-checks.js';
import { NO_EXTENSIONS_THAT, type ORPCTHIS_T, type STDOBJREF_T } from '../../dcom/orpc.js';
import { GUID_NULL, type Guid } from '../../ndr/guid.js';
import { IRemUnknown, IRemUnknown2 } from './idl.js';

const EMPTY_STD: STDOBJREF_T = { flags: 0, cPublicRefs: 0, oxid: 0n, oid: 0n, ipid: GUID_NULL };

/**
 * IRemUnknown and IRemUnknown2 on the exporter's ipidRemUnknown: reference counting and
 * QueryInterface for every exported object. Windows accepts either IID on that IPID, and
 * clients use both (impacket IRemUnknown, scapy IRemUnknown2).
 */
export function serveRemUnknown(
  exporter: ObjectExporter,
  marshalInterface: (oid: bigint, iid: Guid, cPublicRefs: number, call: CallContext) => Buffer | undefined,
): ServedInterface[] {
  const enter = (orpc: ORPCTHIS_T, call: CallContext): number => {
    if (call.object !== exporter.ipidRemUnknown) throw new RpcFault(DCOM_E.RPC_E_DISCONNECTED, 'not the IRemUnknown IPID', true);
    return checkOrpcThis(orpc);
  };
  const supports = (obj: { supports(iid: Guid): boolean }, iid: Guid) => iid === IID_IUnknown || obj.supports(iid);

  const handlers = {
    RemQueryInterface(a: any, call: CallContext) {
      // A refused query still answers one REMQIRESULT per IID, each carrying the failure:
      // clients and dissectors read the array whatever the overall HRESULT says.
      const refuse = (hr: number) => ({ ORPCthat: NO_EXTENSIONS_THAT, ppQIResults: a.iids.map(() => ({ hResult: hr, std: EMPTY_STD })), hr });
      const bad = enter(a.ORPCthis, call);
      if (bad) return refuse(bad);
      const found = exporter.lookup(a.ripid);
      if (!found) return refuse(DCOM_E.RPC_E_INVALID_OBJECT);
      const results = (a.iids as Guid[]).map((iid) => {
        if (!supports(found.object, iid)) return { hResult: DCOM_E.E_NOINTERFACE, std: EMPTY_STD };
        const std = exporter.marshal(found.entry.oid, iid, a.cRefs);
        return std ? { hResult: 0, std } : { hResult: DCOM_E.E_OUTOFMEMORY, std: EMPTY_STD };
      });
      const anyOk = results.some((r) => r.hResult === 0);
      return { ORPCthat: NO_EXTENSIONS_THAT, ppQIResults: results, hr: anyOk ? 0 : results[0]?.hResult ?? DCOM_E.E_INVALIDARG };
    },
    RemAddRef(a: any, call: CallContext) {
      const bad = enter(a.ORPCthis, call);
      if (bad) return { ORPCthat: NO_EXTENSIONS_THAT, pResults: a.InterfaceRefs.map(() => bad), hr: bad };
      const pResults = (a.InterfaceRefs as any[]).map((r) => (exporter.addRef(r.ipid, r.cPublicRefs, r.cPrivateRefs) ? 0 : DCOM_E.CO_E_OBJNOTREG));
      return { ORPCthat: NO_EXTENSIONS_THAT, pResults, hr: pResults.every((r) => r === 0) ? 0 : DCOM_E.CO_E_OBJNOTREG };
    },
    RemRelease(a: any, call: CallContext) {
      const bad = enter(a.ORPCthis, call);
      if (bad) return { ORPCthat: NO_EXTENSIONS_THAT, hr: bad };
      for (const r of a.InterfaceRefs as any[]) exporter.release(r.ipid, r.cPublicRefs, r.cPrivateRefs);
      return { ORPCthat: NO_EXTENSIONS_THAT, hr: 0 };
    },
  };
  return [
    implement(IRemUnknown, handlers),
    implement(IRemUnknown2, {
      ...handlers,
      RemQueryInterface2(a, call) {
        const bad = enter(a.ORPCthis, call);
        const n = a.iids.length;
        if (bad) return { ORPCthat: NO_EXTENSIONS_THAT, phr: Array(n).fill(bad), ppMIF: Array(n).fill(null), hr: bad };
        const found = exporter.lookup(a.ripid);
        if (!found) return { ORPCthat: NO_EXTENSIONS_THAT, phr: Array(n).fill(DCOM_E.RPC_E_INVALID_OBJECT), ppMIF: Array(n).fill(null), hr: DCOM_E.RPC_E_INVALID_OBJECT };
        const phr: number[] = [];
        const ppMIF = a.iids.map((iid: Guid) => {
          const objref = supports(found.object, iid) ? marshalInterface(found.entry.oid, iid, 1, call) : undefined;
          phr.push(objref ? 0 : DCOM_E.E_NOINTERFACE);
          return objref ? { ulCntData: objref.length, abData: objref } : null;
        });
        return { ORPCthat: NO_EXTENSIONS_THAT, phr, ppMIF, hr: phr.some((h) => h === 0) ? 0 : DCOM_E.E_NOINTERFACE };
      },
    }),
  ];
}
