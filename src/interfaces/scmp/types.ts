/**
 * MS-SCMP's data types (MS-SCMP 2.2 and the IDL of section 6), declared once as NDR types,
 * with the spec's names. Every enum of MS-SCMP is `[v1_enum]`: 32 bits on the wire.
 * The structures carrying these types travel only in [out] parameters (IVssEnumObject::Next
 * and IVssEnumMgmtObject::Next); a server never decodes them from a client.
 */
import type { Guid } from '../../ndr/guid.js';
import {
  GUID,
  NdrError,
  i32,
  i64,
  struct,
  union,
  unique,
  v1_enum,
  wstring,
  type NdrType,
  type TypeOf,
} from '../../ndr/index.js';

// ---------------------------------------------------------------------------------------
// Assignments (MS-SCMP 1.9)

export const IID_IVssSnapshotMgmt: Guid = 'fa7df749-66e7-4986-a27f-e2f04ae53772';
export const IID_IVssDifferentialSoftwareSnapshotMgmt: Guid = '214a0f28-b737-4026-b847-4f9e37d79529';
export const IID_IVssEnumObject: Guid = 'ae1c7110-2f60-11d3-8a39-00c04f72d8e3';
export const IID_IVssEnumMgmtObject: Guid = '01954e6b-9254-4e6e-808c-c9e05d007696';

/** The shadow copy provider's UUID (the Microsoft Software Shadow Copy provider), as the store declares it. */
export { VSS_SYSTEM_PROVIDER_ID } from '../../store/vss.js';

// ---------------------------------------------------------------------------------------
// Return values (the error tables of MS-SCMP 3.1; values as MS-ERREF prints them)

// S_FALSE: Next returned fewer objects than asked; Skip skipped more than remained.
// E_OUTOFMEMORY is an implementation-specific failure (not in MS-SCMP's tables).
export {
  S_OK,
  S_FALSE,
  E_NOTIMPL,
  E_ACCESSDENIED,
  E_OUTOFMEMORY,
  E_INVALIDARG,
  VSS_E_PROVIDER_VETO,
  VSS_E_PROVIDER_NOT_REGISTERED,
  VSS_E_OBJECT_NOT_FOUND,
  VSS_E_VOLUME_NOT_SUPPORTED,
  VSS_E_OBJECT_ALREADY_EXISTS,
  VSS_E_VOLUME_IN_USE,
  VSS_E_MAXIMUM_DIFFAREA_ASSOCIATIONS_REACHED,
  VSS_E_INSUFFICIENT_STORAGE,
} from '../../status/codes.js';

// ---------------------------------------------------------------------------------------
// Data types (MS-SCMP 2.2.1)

/** `typedef GUID VSS_ID;` */
export const VSS_ID = GUID;
/** `typedef [unique, string] WCHAR* VSS_PWSZ;` — null, or a NUL-terminated UTF-16 string. */
export const VSS_PWSZ = unique(wstring);
/** `typedef LONGLONG VSS_TIMESTAMP;` — a FILETIME: 100 ns intervals since 1601-01-01 UTC. */
export const VSS_TIMESTAMP = i64;

/** The IDL base types as MS-DTYP names them. */
const LONG = i32;
const LONGLONG = i64;
const CLSID = GUID;

// ---------------------------------------------------------------------------------------
// Enumerations (MS-SCMP 2.2.2), all [v1_enum]

/** VSS_OBJECT_TYPE (2.2.2.1). */
export const VSS_OBJECT_TYPE = v1_enum;
export const VSS_OBJECT_UNKNOWN = 0x00000000;
/** MUST NOT be used, MUST be ignored on receipt. */
export const VSS_OBJECT_NONE = 0x00000001;
export const VSS_OBJECT_SNAPSHOT_SET = 0x00000002;
export const VSS_OBJECT_SNAPSHOT = 0x00000003;
/** Not used by MS-SCMP; MUST NOT be referenced, MUST be ignored on receipt. */
export const VSS_OBJECT_PROVIDER = 0x00000004;
export const VSS_OBJECT_TYPE_COUNT = 0x00000005;

/** VSS_MGMT_OBJECT_TYPE (2.2.2.2). */
export const VSS_MGMT_OBJECT_TYPE = v1_enum;
export const VSS_MGMT_OBJECT_UNKNOWN = 0x00000000;
export const VSS_MGMT_OBJECT_VOLUME = 0x00000001;
export const VSS_MGMT_OBJECT_DIFF_VOLUME = 0x00000002;
export const VSS_MGMT_OBJECT_DIFF_AREA = 0x00000003;

/**
 * VSS_VOLUME_SNAPSHOT_ATTRIBUTES (2.2.2.3): flags, combined in VSS_SNAPSHOT_PROP's
 * m_lSnapshotAttributes (a LONG) and in QueryVolumesSupportedForSnapshots' lContext.
 */
export const VSS_VOLUME_SNAPSHOT_ATTRIBUTES = v1_enum;
// The attribute bits and the contexts made of them are the store's domain values too; they
// are declared once there, below the wire layer, and travel from here under their spec names.
export {
  VSS_VOLSNAP_ATTR_PERSISTENT,
  VSS_VOLSNAP_ATTR_NO_AUTORECOVERY,
  VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE,
  VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE,
  VSS_VOLSNAP_ATTR_NO_WRITERS,
  VSS_CONTEXT_ATTRIBUTE_MASK,
  VSS_CTX_BACKUP,
  VSS_CTX_FILE_SHARE_BACKUP,
  VSS_CTX_NAS_ROLLBACK,
  VSS_CTX_APP_ROLLBACK,
  VSS_CTX_CLIENT_ACCESSIBLE,
  VSS_CTX_CLIENT_ACCESSIBLE_WRITERS,
  VSS_CTX_ALL,
} from '../../store/vss.js';

/** llMaximumDiffSpace values with a meaning in the VSS API (vss.h, not MS-SCMP). */
export const VSS_ASSOC_NO_MAX_SPACE = -1n;
/** ChangeDiffAreaMaximumSize with 0 deletes the association (MS-SCMP 3.1.4.4.3). */
export const VSS_ASSOC_REMOVE = 0n;

/** VSS_SNAPSHOT_STATE (2.2.2.4): shadow copies managed by MS-SCMP are always VSS_SS_CREATED. */
export const VSS_SNAPSHOT_STATE = v1_enum;
export const VSS_SS_UNKNOWN = 0x00000000;
export const VSS_SS_CREATED = 0x0000000c;

/** VSS_PROVIDER_TYPE (2.2.2.5): not used by MS-SCMP. */
export const VSS_PROVIDER_TYPE = v1_enum;
export const VSS_PROV_UNKNOWN = 0x00000000;

// ---------------------------------------------------------------------------------------
// Structures (MS-SCMP 2.2.3)

/** VSS_SNAPSHOT_PROP (2.2.3.3): 8-aligned for its VSS_TIMESTAMP. */
export const VSS_SNAPSHOT_PROP = struct('VSS_SNAPSHOT_PROP', {
  m_SnapshotId: VSS_ID,
  m_SnapshotSetId: VSS_ID,
  m_lSnapshotsCount: LONG,
  m_pwszSnapshotDeviceObject: VSS_PWSZ,
  m_pwszOriginalVolumeName: VSS_PWSZ,
  m_pwszOriginatingMachine: VSS_PWSZ,
  m_pwszServiceMachine: VSS_PWSZ,
  m_pwszExposedName: VSS_PWSZ,
  m_pwszExposedPath: VSS_PWSZ,
  m_ProviderId: VSS_ID,
  m_lSnapshotAttributes: LONG,
  m_tsCreationTimestamp: VSS_TIMESTAMP,
  m_eStatus: VSS_SNAPSHOT_STATE,
});

/** VSS_PROVIDER_PROP (2.2.3.4): not used by MS-SCMP. */
export const VSS_PROVIDER_PROP = struct('VSS_PROVIDER_PROP', {
  m_ProviderId: VSS_ID,
  m_pwszProviderName: VSS_PWSZ,
  m_eProviderType: VSS_PROVIDER_TYPE,
  m_pwszProviderVersion: VSS_PWSZ,
  m_ProviderVersionId: VSS_ID,
  m_ClassId: CLSID,
});

/**
 * VSS_OBJECT_UNION (2.2.3.1): `[switch_type(VSS_OBJECT_TYPE)]`, non-encapsulated, so its
 * discriminant travels again in front of the arm. The IDL's `[default];` is the empty arm;
 * the other values of VSS_OBJECT_TYPE are listed only so that their values type-check.
 */
export const VSS_OBJECT_UNION = union(
  'VSS_OBJECT_UNION',
  VSS_OBJECT_TYPE,
  {
    [VSS_OBJECT_UNKNOWN]: null,
    [VSS_OBJECT_NONE]: null,
    [VSS_OBJECT_SNAPSHOT_SET]: null,
    [VSS_OBJECT_SNAPSHOT]: VSS_SNAPSHOT_PROP,
    [VSS_OBJECT_PROVIDER]: VSS_PROVIDER_PROP,
    [VSS_OBJECT_TYPE_COUNT]: null,
  },
  { default: null },
);

/** VSS_VOLUME_PROP (2.2.3.7). */
export const VSS_VOLUME_PROP = struct('VSS_VOLUME_PROP', {
  m_pwszVolumeName: VSS_PWSZ,
  m_pwszVolumeDisplayName: VSS_PWSZ,
});

/** VSS_DIFF_VOLUME_PROP (2.2.3.8). */
export const VSS_DIFF_VOLUME_PROP = struct('VSS_DIFF_VOLUME_PROP', {
  m_pwszVolumeName: VSS_PWSZ,
  m_pwszVolumeDisplayName: VSS_PWSZ,
  m_llVolumeFreeSpace: LONGLONG,
  m_llVolumeTotalSpace: LONGLONG,
});

/** VSS_DIFF_AREA_PROP (2.2.3.9). */
export const VSS_DIFF_AREA_PROP = struct('VSS_DIFF_AREA_PROP', {
  m_pwszVolumeName: VSS_PWSZ,
  m_pwszDiffAreaVolumeName: VSS_PWSZ,
  m_llMaximumDiffSpace: LONGLONG,
  m_llAllocatedDiffSpace: LONGLONG,
  m_llUsedDiffSpace: LONGLONG,
});

/** VSS_MGMT_OBJECT_UNION (2.2.3.5): `[switch_type(VSS_MGMT_OBJECT_TYPE)]`, `[default];` empty. */
export const VSS_MGMT_OBJECT_UNION = union(
  'VSS_MGMT_OBJECT_UNION',
  VSS_MGMT_OBJECT_TYPE,
  {
    [VSS_MGMT_OBJECT_UNKNOWN]: null,
    [VSS_MGMT_OBJECT_VOLUME]: VSS_VOLUME_PROP,
    [VSS_MGMT_OBJECT_DIFF_VOLUME]: VSS_DIFF_VOLUME_PROP,
    [VSS_MGMT_OBJECT_DIFF_AREA]: VSS_DIFF_AREA_PROP,
  },
  { default: null },
);

/**
 * `struct { T Type; [switch_is(Type)] U Obj; }`: the union's own discriminant on the wire
 * must be the Type just sent. Encoding a value whose arm is not its Type is a defect of
 * the caller; decoding one is bad stub data.
 */
function switchIsType<V extends { Type: number; Obj: { tag: number } }>(t: NdrType<V>): NdrType<V> {
  return {
    ...t,
    writeScalars(w, v, scope, hoisted) {
      if (v.Obj.tag !== v.Type) throw new TypeError(`${t.name}: Obj is the arm of ${v.Obj.tag} but Type is ${v.Type}`);
      t.writeScalars(w, v, scope, hoisted);
    },
    readScalars(r, scope, conformance) {
      const o = t.readScalars(r, scope, conformance);
      if (o.Obj.tag !== o.Type) throw new NdrError(`${t.name}: union discriminant ${o.Obj.tag} differs from Type ${o.Type}`);
      return o;
    },
  };
}

/** VSS_OBJECT_PROP (2.2.3.2): Type, then the union switched by it (8-aligned as a whole). */
export const VSS_OBJECT_PROP = switchIsType(struct('VSS_OBJECT_PROP', { Type: VSS_OBJECT_TYPE, Obj: VSS_OBJECT_UNION }));

/** VSS_MGMT_OBJECT_PROP (2.2.3.6): Type, then the union switched by it (8-aligned as a whole). */
export const VSS_MGMT_OBJECT_PROP = switchIsType(struct('VSS_MGMT_OBJECT_PROP', { Type: VSS_MGMT_OBJECT_TYPE, Obj: VSS_MGMT_OBJECT_UNION }));

export type VSS_SNAPSHOT_PROP_T = TypeOf<typeof VSS_SNAPSHOT_PROP>;
export type VSS_PROVIDER_PROP_T = TypeOf<typeof VSS_PROVIDER_PROP>;
export type VSS_OBJECT_PROP_T = TypeOf<typeof VSS_OBJECT_PROP>;
export type VSS_VOLUME_PROP_T = TypeOf<typeof VSS_VOLUME_PROP>;
export type VSS_DIFF_VOLUME_PROP_T = TypeOf<typeof VSS_DIFF_VOLUME_PROP>;
export type VSS_DIFF_AREA_PROP_T = TypeOf<typeof VSS_DIFF_AREA_PROP>;
export type VSS_MGMT_OBJECT_PROP_T = TypeOf<typeof VSS_MGMT_OBJECT_PROP>;

/** The VSS_OBJECT_PROP of one shadow copy. */
export function snapshotObject(Snap: VSS_SNAPSHOT_PROP_T): VSS_OBJECT_PROP_T {
  return { Type: VSS_OBJECT_SNAPSHOT, Obj: { tag: VSS_OBJECT_SNAPSHOT, value: Snap } };
}

/** The VSS_MGMT_OBJECT_PROP of an original volume. */
export function volumeObject(Vol: VSS_VOLUME_PROP_T): VSS_MGMT_OBJECT_PROP_T {
  return { Type: VSS_MGMT_OBJECT_VOLUME, Obj: { tag: VSS_MGMT_OBJECT_VOLUME, value: Vol } };
}

/** The VSS_MGMT_OBJECT_PROP of a shadow copy storage volume. */
export function diffVolumeObject(DiffVol: VSS_DIFF_VOLUME_PROP_T): VSS_MGMT_OBJECT_PROP_T {
  return { Type: VSS_MGMT_OBJECT_DIFF_VOLUME, Obj: { tag: VSS_MGMT_OBJECT_DIFF_VOLUME, value: DiffVol } };
}

/** The VSS_MGMT_OBJECT_PROP of a shadow copy storage association. */
export function diffAreaObject(DiffArea: VSS_DIFF_AREA_PROP_T): VSS_MGMT_OBJECT_PROP_T {
  return { Type: VSS_MGMT_OBJECT_DIFF_AREA, Obj: { tag: VSS_MGMT_OBJECT_DIFF_AREA, value: DiffArea } };
}
