import { implement, type CallContext, type ServedInterface } from '../../dcerpc/registry.js';
import { dcomInterface, orpcMethod } from '../../dcom/interface.js';
import { checkOrpcThis, targetIpid } from '../../dcom/orpc-checks.js';
import { MInterfacePointer, NO_EXTENSIONS_THAT, type ORPCTHIS_T } from '../../dcom/orpc.js';
import type { ObjectExporter } from '../../dcom/exporter.js';
import { GUID, HRESULT, i32, unique, wstring } from '../../ndr/index.js';
import { IID_IVssSnapshotMgmt } from './class.js';

/** VSS_PWSZ: `[string, unique] WCHAR*` (MS-SCMP 2.2.1). */
export const VSS_PWSZ = unique(wstring);
export const VSS_ID = GUID;

/** IVssSnapshotMgmt (MS-SCMP 3.1.4), declared from its IDL. */
export const IVssSnapshotMgmt = dcomInterface({
  name: 'IVssSnapshotMgmt',
  iid: IID_IVssSnapshotMgmt,
  methods: {
    GetProviderMgmtInterface: orpcMethod(
      3,
      'GetProviderMgmtInterface',
      { ProviderId: VSS_ID, InterfaceId: GUID },
      { ppItf: unique(MInterfacePointer), hr: HRESULT },
    ),
    QueryVolumesSupportedForSnapshots: orpcMethod(
      4,
      'QueryVolumesSupportedForSnapshots',
      { ProviderId: VSS_ID, lContext: i32 },
      { ppEnum: unique(MInterfacePointer), hr: HRESULT },
    ),
    QuerySnapshotsByVolume: orpcMethod(
      5,
      'QuerySnapshotsByVolume',
      { pwszVolumeName: VSS_PWSZ, ProviderId: VSS_ID },
      { ppEnum: unique(MInterfacePointer), hr: HRESULT },
    ),
  },
});

const E_NOTIMPL = 0x80004001;

/**
 * The object side of IVssSnapshotMgmt: every call is addressed to a live IPID of this
 * interface and checked like any ORPC call. What the methods answer over the host's store
 * is the MS-SCMP issue's work; until then they answer E_NOTIMPL.
 */
export function serveSnapshotMgmt(exporter: ObjectExporter): ServedInterface {
  const enter = (orpc: ORPCTHIS_T, call: CallContext) => {
    targetIpid(call, exporter, IID_IVssSnapshotMgmt);
    return checkOrpcThis(orpc);
  };
  const answer = (orpc: ORPCTHIS_T, call: CallContext, out: 'ppItf' | 'ppEnum') => ({ ORPCthat: NO_EXTENSIONS_THAT, [out]: null, hr: enter(orpc, call) || E_NOTIMPL }) as any;
  return implement(IVssSnapshotMgmt, {
    GetProviderMgmtInterface: (a, call) => answer(a.ORPCthis, call, 'ppItf'),
    QueryVolumesSupportedForSnapshots: (a, call) => answer(a.ORPCthis, call, 'ppEnum'),
    QuerySnapshotsByVolume: (a, call) => answer(a.ORPCthis, call, 'ppEnum'),
  });
}
