import { implement, type CallContext, type ServedInterface } from '../../dcerpc/registry.js';
import type { ComObject, ObjectExporter } from '../../dcom/exporter.js';
import { checkOrpcThis, targetIpid } from '../../dcom/orpc-checks.js';
import { NO_EXTENSIONS_THAT, type ORPCTHIS_T } from '../../dcom/orpc.js';
import type { Guid } from '../../ndr/guid.js';
import { StoreError } from '../../store/errors.js';
import type { HostStore } from '../../store/host-store.js';
import type { DiffArea, Snapshot, Volume } from '../../store/model.js';
import { Enumerator, serveEnumerators, type EnumServices } from './enumerators.js';
import { IVssDifferentialSoftwareSnapshotMgmt, IVssSnapshotMgmt } from './idl.js';
import {
  E_ACCESSDENIED,
  E_INVALIDARG,
  IID_IVssDifferentialSoftwareSnapshotMgmt,
  IID_IVssEnumMgmtObject,
  IID_IVssEnumObject,
  IID_IVssSnapshotMgmt,
  S_OK,
  diffAreaObject,
  diffVolumeObject,
  snapshotObject,
  volumeObject,
  type VSS_MGMT_OBJECT_PROP_T,
  type VSS_OBJECT_PROP_T,
} from './types.js';

const E_OUTOFMEMORY = 0x8007000e;

/** The provider's management object that GetProviderMgmtInterface hands out. */
export class DiffAreaMgmtObject implements ComObject {
  readonly clsid = IID_IVssDifferentialSoftwareSnapshotMgmt;
  supports(iid: Guid): boolean {
    return iid === IID_IVssDifferentialSoftwareSnapshotMgmt;
  }
}

// ---- store objects as MS-SCMP puts them on the wire (MS-SCMP 2.2.3) ---------------------

function snapshotProp(s: Snapshot): VSS_OBJECT_PROP_T {
  return snapshotObject({
    m_SnapshotId: s.id,
    m_SnapshotSetId: s.setId,
    m_lSnapshotsCount: s.countInSet,
    m_pwszSnapshotDeviceObject: s.deviceObject,
    m_pwszOriginalVolumeName: s.originalVolume,
    m_pwszOriginatingMachine: s.originatingMachine,
    m_pwszServiceMachine: s.serviceMachine,
    // MS-SCMP: shadow copies are never exposed through this protocol.
    m_pwszExposedName: null,
    m_pwszExposedPath: null,
    m_ProviderId: s.providerId,
    m_lSnapshotAttributes: s.attributes,
    m_tsCreationTimestamp: s.creationTime,
    m_eStatus: s.state,
  });
}

const volumeProp = (v: Volume): VSS_MGMT_OBJECT_PROP_T => volumeObject({ m_pwszVolumeName: v.mountName, m_pwszVolumeDisplayName: v.displayName });

const diffVolumeProp = (v: Volume): VSS_MGMT_OBJECT_PROP_T =>
  diffVolumeObject({
    m_pwszVolumeName: v.mountName,
    m_pwszVolumeDisplayName: v.displayName,
    m_llVolumeFreeSpace: v.freeBytes,
    m_llVolumeTotalSpace: v.totalBytes,
  });

const diffAreaProp = (d: DiffArea): VSS_MGMT_OBJECT_PROP_T =>
  diffAreaObject({
    m_pwszVolumeName: d.volume,
    m_pwszDiffAreaVolumeName: d.diffAreaVolume,
    m_llMaximumDiffSpace: d.maximumBytes,
    m_llAllocatedDiffSpace: d.allocatedBytes,
    m_llUsedDiffSpace: d.usedBytes,
  });

export interface ScmpServices extends EnumServices {
  store: HostStore;
}

/**
 * The four MS-SCMP interfaces over the host store. Every call is addressed to a live IPID
 * of its interface, checked as an ORPC call, refused to non-administrators with
 * E_ACCESSDENIED, and answered with the store's HRESULT when the store refuses it.
 */
export function serveScmp(s: ScmpServices): ServedInterface[] {
  /** The gate every method passes: IPID, ORPCTHIS, group. 0 or the HRESULT to answer. */
  const enter = (iid: Guid, orpc: ORPCTHIS_T, call: CallContext): number => {
    targetIpid(call, s.exporter, iid);
    return checkOrpcThis(orpc) || (s.allowsCaller(iid, call) ? 0 : E_ACCESSDENIED);
  };
  /** Runs a store operation, mapping its refusals to their HRESULTs. */
  const attempt = <T>(f: () => T): { value: T } | { hr: number } => {
    try {
      return { value: f() };
    } catch (e) {
      if (e instanceof StoreError) return { hr: e.hresult };
      throw e;
    }
  };
  /** A fresh enumerator over `items`, exported for the caller. */
  const enumerate = <T>(iid: Guid, items: T[], call: CallContext) => {
    const ptr = s.exportInterface(new Enumerator<T>(iid, items), iid, call);
    return ptr ? { ORPCthat: NO_EXTENSIONS_THAT, ppEnum: ptr, hr: S_OK } : { ORPCthat: NO_EXTENSIONS_THAT, ppEnum: null, hr: E_OUTOFMEMORY };
  };
  const failed = (hr: number) => ({ ORPCthat: NO_EXTENSIONS_THAT, ppEnum: null, hr });

  const snapshotMgmt = implement(IVssSnapshotMgmt, {
    GetProviderMgmtInterface(a, call) {
      const bad = enter(IID_IVssSnapshotMgmt, a.ORPCthis, call);
      const none = { ORPCthat: NO_EXTENSIONS_THAT, ppItf: null };
      if (bad) return { ...none, hr: bad };
      // 3.1.1.4.1's table: a provider the host does not have (GUID_NULL too) is
      // VSS_E_PROVIDER_NOT_REGISTERED; E_INVALIDARG is only for another InterfaceId (or a
      // NULL ppItf, which the wire cannot carry). The section does not order the two
      // checks: they are made in the order of the table's rows.
      const provider = attempt(() => s.store.requireProvider(a.ProviderId));
      if ('hr' in provider) return { ...none, hr: provider.hr };
      if (a.InterfaceId !== IID_IVssDifferentialSoftwareSnapshotMgmt) return { ...none, hr: E_INVALIDARG };
      const ptr = s.exportInterface(new DiffAreaMgmtObject(), IID_IVssDifferentialSoftwareSnapshotMgmt, call);
      return { ORPCthat: NO_EXTENSIONS_THAT, ppItf: ptr ?? null, hr: ptr ? S_OK : E_OUTOFMEMORY };
    },
    QueryVolumesSupportedForSnapshots(a, call) {
      const bad = enter(IID_IVssSnapshotMgmt, a.ORPCthis, call);
      if (bad) return failed(bad);
      const r = attempt(() => s.store.volumesSupportedForSnapshots(a.ProviderId, a.lContext));
      return 'hr' in r ? failed(r.hr) : enumerate(IID_IVssEnumMgmtObject, r.value.map(volumeProp), call);
    },
    QuerySnapshotsByVolume(a, call) {
      const bad = enter(IID_IVssSnapshotMgmt, a.ORPCthis, call);
      if (bad) return failed(bad);
      const r = attempt(() => s.store.snapshotsByVolume(a.pwszVolumeName, a.ProviderId));
      return 'hr' in r ? failed(r.hr) : enumerate(IID_IVssEnumObject, r.value.map(snapshotProp), call);
    },
  });

  const D = IID_IVssDifferentialSoftwareSnapshotMgmt;
  const diffMgmt = implement(IVssDifferentialSoftwareSnapshotMgmt, {
    AddDiffArea(a, call) {
      const bad = enter(D, a.ORPCthis, call);
      if (bad) return { ORPCthat: NO_EXTENSIONS_THAT, hr: bad };
      const r = attempt(() => s.store.addDiffArea(a.pwszVolumeName, a.pwszDiffAreaVolumeName, a.llMaximumDiffSpace));
      return { ORPCthat: NO_EXTENSIONS_THAT, hr: 'hr' in r ? r.hr : S_OK };
    },
    ChangeDiffAreaMaximumSize(a, call) {
      const bad = enter(D, a.ORPCthis, call);
      if (bad) return { ORPCthat: NO_EXTENSIONS_THAT, hr: bad };
      const r = attempt(() => s.store.changeDiffAreaMaximumSize(a.pwszVolumeName, a.pwszDiffAreaVolumeName, a.llMaximumDiffSpace));
      return { ORPCthat: NO_EXTENSIONS_THAT, hr: 'hr' in r ? r.hr : S_OK };
    },
    QueryVolumesSupportedForDiffAreas(a, call) {
      const bad = enter(D, a.ORPCthis, call);
      if (bad) return failed(bad);
      const r = attempt(() => s.store.volumesSupportedForDiffAreas(a.pwszOriginalVolumeName));
      return 'hr' in r ? failed(r.hr) : enumerate(IID_IVssEnumMgmtObject, r.value.map(diffVolumeProp), call);
    },
    QueryDiffAreasForVolume(a, call) {
      const bad = enter(D, a.ORPCthis, call);
      if (bad) return failed(bad);
      const r = attempt(() => s.store.diffAreasForVolume(a.pwszVolumeName));
      return 'hr' in r ? failed(r.hr) : enumerate(IID_IVssEnumMgmtObject, r.value.map(diffAreaProp), call);
    },
    QueryDiffAreasOnVolume(a, call) {
      const bad = enter(D, a.ORPCthis, call);
      if (bad) return failed(bad);
      const r = attempt(() => s.store.diffAreasOnVolume(a.pwszVolumeName));
      return 'hr' in r ? failed(r.hr) : enumerate(IID_IVssEnumMgmtObject, r.value.map(diffAreaProp), call);
    },
  });

  return [snapshotMgmt, diffMgmt, ...serveEnumerators(s)];
}
