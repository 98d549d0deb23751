import type { ArgsOf, ObjectMethods, OrpcCall } from '../../dcom/dispatcher.js';
import type { ComObject } from '../../dcom/exporter.js';
import { refuse } from '../../dcom/refusal.js';
import type { Guid } from '../../ndr/guid.js';
import { StoreError } from '../../store/errors.js';
import type { HostStore } from '../../store/host-store.js';
import type { DiffArea, Snapshot, Volume } from '../../store/model.js';
import { Enumerator } from './enumerators.js';
import { IVssDifferentialSoftwareSnapshotMgmt, IVssSnapshotMgmt } from './idl.js';
import {
  E_INVALIDARG,
  E_OUTOFMEMORY,
  IID_IVssDifferentialSoftwareSnapshotMgmt,
  IID_IVssEnumMgmtObject,
  IID_IVssEnumObject,
  S_OK,
  diffAreaObject,
  diffVolumeObject,
  snapshotObject,
  volumeObject,
  type VSS_MGMT_OBJECT_PROP_T,
  type VSS_OBJECT_PROP_T,
} from './types.js';

/**
 * The MS-SCMP methods over the host store (MS-SCMP 3.1.1, 3.1.4). They are dispatched by
 * src/dcom/dispatcher.ts, which has already checked the IPID, ORPCTHIS and the caller (only
 * administrators reach them) and adds ORPCTHAT; what is here is each method's own logic.
 * A store refusal becomes the HRESULT of MS-SCMP's error tables, every out-parameter null.
 */

/** The provider's management object that GetProviderMgmtInterface hands out. */
export class DiffAreaMgmtObject implements ComObject {
  readonly clsid = IID_IVssDifferentialSoftwareSnapshotMgmt;
  supports(iid: Guid): boolean {
    return iid === IID_IVssDifferentialSoftwareSnapshotMgmt;
  }
}

/** What the methods work over. */
export interface ScmpServices {
  /** Read at every call: a simulated reboot gives the host a new store. */
  readonly store: HostStore;
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

/** Runs a store operation; its refusal refuses the call with the store's HRESULT. */
function fromStore<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof StoreError) refuse(e.hresult);
    throw e;
  }
}

/** A fresh enumerator over `items`, exported for the caller (E_OUTOFMEMORY past its limit). */
function enumerate<T>(iid: Guid, items: T[], call: OrpcCall) {
  const ppEnum = call.exportInterface(new Enumerator<T>(iid, items), iid) ?? refuse(E_OUTOFMEMORY);
  return { ppEnum, hr: S_OK };
}

type SnapArgs<K extends keyof typeof IVssSnapshotMgmt.methods> = ArgsOf<typeof IVssSnapshotMgmt, K>;

/** IVssSnapshotMgmt (MS-SCMP 3.1.1), on the shadow-copy class's object. */
export class SnapshotMgmt implements ObjectMethods<typeof IVssSnapshotMgmt.methods> {
  constructor(private readonly s: ScmpServices) {}

  GetProviderMgmtInterface(a: SnapArgs<'GetProviderMgmtInterface'>, call: OrpcCall) {
    // 3.1.1.4.1's table: a provider the host does not have (GUID_NULL too) is
    // VSS_E_PROVIDER_NOT_REGISTERED; E_INVALIDARG is only for another InterfaceId (or a
    // NULL ppItf, which the wire cannot carry). The section does not order the two
    // checks: they are made in the order of the table's rows.
    fromStore(() => this.s.store.requireProvider(a.ProviderId));
    if (a.InterfaceId !== IID_IVssDifferentialSoftwareSnapshotMgmt) refuse(E_INVALIDARG);
    const ppItf = call.exportInterface(new DiffAreaMgmtObject(), IID_IVssDifferentialSoftwareSnapshotMgmt) ?? refuse(E_OUTOFMEMORY);
    return { ppItf, hr: S_OK };
  }

  QueryVolumesSupportedForSnapshots(a: SnapArgs<'QueryVolumesSupportedForSnapshots'>, call: OrpcCall) {
    const volumes = fromStore(() => this.s.store.volumesSupportedForSnapshots(a.ProviderId, a.lContext));
    return enumerate(IID_IVssEnumMgmtObject, volumes.map(volumeProp), call);
  }

  QuerySnapshotsByVolume(a: SnapArgs<'QuerySnapshotsByVolume'>, call: OrpcCall) {
    const snapshots = fromStore(() => this.s.store.snapshotsByVolume(a.pwszVolumeName, a.ProviderId));
    return enumerate(IID_IVssEnumObject, snapshots.map(snapshotProp), call);
  }
}

type DiffArgs<K extends keyof typeof IVssDifferentialSoftwareSnapshotMgmt.methods> = ArgsOf<typeof IVssDifferentialSoftwareSnapshotMgmt, K>;

/** IVssDifferentialSoftwareSnapshotMgmt (MS-SCMP 3.1.4), on the object GetProviderMgmtInterface hands out. */
export class DiffAreaMgmt implements ObjectMethods<typeof IVssDifferentialSoftwareSnapshotMgmt.methods> {
  constructor(private readonly s: ScmpServices) {}

  AddDiffArea(a: DiffArgs<'AddDiffArea'>) {
    fromStore(() => this.s.store.addDiffArea(a.pwszVolumeName, a.pwszDiffAreaVolumeName, a.llMaximumDiffSpace));
    return { hr: S_OK };
  }

  ChangeDiffAreaMaximumSize(a: DiffArgs<'ChangeDiffAreaMaximumSize'>) {
    fromStore(() => this.s.store.changeDiffAreaMaximumSize(a.pwszVolumeName, a.pwszDiffAreaVolumeName, a.llMaximumDiffSpace));
    return { hr: S_OK };
  }

  QueryVolumesSupportedForDiffAreas(a: DiffArgs<'QueryVolumesSupportedForDiffAreas'>, call: OrpcCall) {
    const volumes = fromStore(() => this.s.store.volumesSupportedForDiffAreas(a.pwszOriginalVolumeName));
    return enumerate(IID_IVssEnumMgmtObject, volumes.map(diffVolumeProp), call);
  }

  QueryDiffAreasForVolume(a: DiffArgs<'QueryDiffAreasForVolume'>, call: OrpcCall) {
    const areas = fromStore(() => this.s.store.diffAreasForVolume(a.pwszVolumeName));
    return enumerate(IID_IVssEnumMgmtObject, areas.map(diffAreaProp), call);
  }

  QueryDiffAreasOnVolume(a: DiffArgs<'QueryDiffAreasOnVolume'>, call: OrpcCall) {
    const areas = fromStore(() => this.s.store.diffAreasOnVolume(a.pwszVolumeName));
    return enumerate(IID_IVssEnumMgmtObject, areas.map(diffAreaProp), call);
  }
}
