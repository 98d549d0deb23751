import { implement, type CallContext, type ServedInterface } from '../../dcerpc/registry.js';
import { checkOrpcThis, targetIpid } from '../../dcom/orpc-checks.js';
import { NO_EXTENSIONS_THAT, type ORPCTHIS_T } from '../../dcom/orpc.js';
import type { ObjectExporter } from '../../dcom/exporter.js';
import { IVssSnapshotMgmt } from './idl.js';
import { E_NOTIMPL, IID_IVssSnapshotMgmt } from './types.js';

export { IVssSnapshotMgmt } from './idl.js';
export { VSS_ID, VSS_PWSZ } from './types.js';

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
