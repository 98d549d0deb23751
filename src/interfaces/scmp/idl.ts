/**
 * The four MS-SCMP interfaces (MS-SCMP 3.1 and the IDL of section 6), declared from their
 * IDL. ORPCTHIS / ORPCTHAT are added by orpcMethod; `hr` is the HRESULT every method returns.
 *
 * Wire notes, from the IDL's pointer rules (top-level pointers are [ref] unless declared
 * otherwise, so `REFIID`, `ULONG*` and the `T**` of an interface out-parameter have no
 * wire form of their own):
 * - an interface out-parameter (`IUnknown**`, `IVssEnumObject**`...) is a unique
 *   MInterfacePointer: a null referent id, or an OBJREF's bytes;
 * - Clone's `[in, out] ppenum` travels in both directions (clients send it null);
 * - Next's `rgelt` is a conformant varying array: max_count is the request's `celt`,
 *   offset 0, actual_count the response's `pceltFetched` (which follows the array).
 */
import { dcomInterface, orpcMethod } from '../../dcom/interface.js';
import { MInterfacePointer } from '../../dcom/orpc.js';
import { GUID, HRESULT, conformantVaryingArray, i32, i64, u32, unique, type NdrType } from '../../ndr/index.js';
import {
  IID_IVssDifferentialSoftwareSnapshotMgmt,
  IID_IVssEnumMgmtObject,
  IID_IVssEnumObject,
  IID_IVssSnapshotMgmt,
  VSS_ID,
  VSS_MGMT_OBJECT_PROP,
  VSS_OBJECT_PROP,
  VSS_PWSZ,
} from './types.js';

const ULONG = u32;
const LONG = i32;
const LONGLONG = i64;
/** `REFIID` is `const IID*`: at the top level a [ref] pointer, so the GUID alone. */
const REFIID = GUID;
/** An interface pointer out-parameter (`[out] I**`). */
const InterfacePointer = unique(MInterfacePointer);

/** IVssSnapshotMgmt (MS-SCMP 3.1.1): the object the class activates. */
export const IVssSnapshotMgmt = dcomInterface({
  name: 'IVssSnapshotMgmt',
  iid: IID_IVssSnapshotMgmt,
  methods: {
    GetProviderMgmtInterface: orpcMethod(
      3,
      'GetProviderMgmtInterface',
      { ProviderId: VSS_ID, InterfaceId: REFIID },
      { ppItf: InterfacePointer, hr: HRESULT },
    ),
    QueryVolumesSupportedForSnapshots: orpcMethod(
      4,
      'QueryVolumesSupportedForSnapshots',
      { ProviderId: VSS_ID, lContext: LONG },
      { ppEnum: InterfacePointer, hr: HRESULT },
    ),
    QuerySnapshotsByVolume: orpcMethod(
      5,
      'QuerySnapshotsByVolume',
      { pwszVolumeName: VSS_PWSZ, ProviderId: VSS_ID },
      { ppEnum: InterfacePointer, hr: HRESULT },
    ),
  },
});

/**
 * IVssDifferentialSoftwareSnapshotMgmt (MS-SCMP 3.1.4). Opnum 8 (Opnum08NotUsedOnWire) is
 * reserved for local use and not declared: a call to it is an unknown opnum.
 */
export const IVssDifferentialSoftwareSnapshotMgmt = dcomInterface({
  name: 'IVssDifferentialSoftwareSnapshotMgmt',
  iid: IID_IVssDifferentialSoftwareSnapshotMgmt,
  methods: {
    AddDiffArea: orpcMethod(
      3,
      'AddDiffArea',
      { pwszVolumeName: VSS_PWSZ, pwszDiffAreaVolumeName: VSS_PWSZ, llMaximumDiffSpace: LONGLONG },
      { hr: HRESULT },
    ),
    ChangeDiffAreaMaximumSize: orpcMethod(
      4,
      'ChangeDiffAreaMaximumSize',
      { pwszVolumeName: VSS_PWSZ, pwszDiffAreaVolumeName: VSS_PWSZ, llMaximumDiffSpace: LONGLONG },
      { hr: HRESULT },
    ),
    QueryVolumesSupportedForDiffAreas: orpcMethod(
      5,
      'QueryVolumesSupportedForDiffAreas',
      { pwszOriginalVolumeName: VSS_PWSZ },
      { ppEnum: InterfacePointer, hr: HRESULT },
    ),
    QueryDiffAreasForVolume: orpcMethod(6, 'QueryDiffAreasForVolume', { pwszVolumeName: VSS_PWSZ }, { ppEnum: InterfacePointer, hr: HRESULT }),
    QueryDiffAreasOnVolume: orpcMethod(7, 'QueryDiffAreasOnVolume', { pwszVolumeName: VSS_PWSZ }, { ppEnum: InterfacePointer, hr: HRESULT }),
  },
});

/**
 * `[out, size_is(celt), length_is(*pceltFetched)] T* rgelt`. Encoding (the server) sees the
 * request's celt and the response's pceltFetched; decoding (a client) checks max_count
 * against its celt, while pceltFetched, sent after the array, is not yet known.
 */
const rgelt = <T>(elem: NdrType<T>) => conformantVaryingArray(elem, { sizeIs: (s) => s.celt, lengthIs: (s) => s.pceltFetched });

/** IVssEnumObject (MS-SCMP 3.1.2): enumerates VSS_OBJECT_PROP (shadow copies). */
export const IVssEnumObject = dcomInterface({
  name: 'IVssEnumObject',
  iid: IID_IVssEnumObject,
  methods: {
    Next: orpcMethod(3, 'Next', { celt: ULONG }, { rgelt: rgelt(VSS_OBJECT_PROP), pceltFetched: ULONG, hr: HRESULT }),
    Skip: orpcMethod(4, 'Skip', { celt: ULONG }, { hr: HRESULT }),
    Reset: orpcMethod(5, 'Reset', {}, { hr: HRESULT }),
    Clone: orpcMethod(6, 'Clone', { ppenum: InterfacePointer }, { ppenum: InterfacePointer, hr: HRESULT }),
  },
});

/** IVssEnumMgmtObject (MS-SCMP 3.1.3): enumerates VSS_MGMT_OBJECT_PROP (volumes, diff areas). */
export const IVssEnumMgmtObject = dcomInterface({
  name: 'IVssEnumMgmtObject',
  iid: IID_IVssEnumMgmtObject,
  methods: {
    Next: orpcMethod(3, 'Next', { celt: ULONG }, { rgelt: rgelt(VSS_MGMT_OBJECT_PROP), pceltFetched: ULONG, hr: HRESULT }),
    Skip: orpcMethod(4, 'Skip', { celt: ULONG }, { hr: HRESULT }),
    Reset: orpcMethod(5, 'Reset', {}, { hr: HRESULT }),
    Clone: orpcMethod(6, 'Clone', { ppenum: InterfacePointer }, { ppenum: InterfacePointer, hr: HRESULT }),
  },
});
