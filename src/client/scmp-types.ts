/**
 * What an MS-SCMP client hands its caller: plain objects named as vssadmin and the spec
 * name them, sizes as bigint (LONGLONG on the wire), GUIDs as lowercase strings. The
 * converters read the wire structures of src/interfaces/scmp/types.ts.
 */
import type { Guid } from '../ndr/guid.js';
import {
  VSS_MGMT_OBJECT_DIFF_AREA,
  VSS_MGMT_OBJECT_DIFF_VOLUME,
  VSS_MGMT_OBJECT_VOLUME,
  VSS_OBJECT_SNAPSHOT,
  type VSS_MGMT_OBJECT_PROP_T,
  type VSS_OBJECT_PROP_T,
} from '../interfaces/scmp/types.js';

/** VSS_VOLUME_PROP: a volume that supports shadow copies. */
export interface Volume {
  /** The volume's name, `\\?\Volume{GUID}\`. */
  name: string;
  /** What a user calls it, e.g. `C:\`. */
  displayName: string;
}

/** VSS_DIFF_VOLUME_PROP: a volume that can hold shadow copy storage. */
export interface DiffVolume extends Volume {
  freeSpace: bigint;
  totalSpace: bigint;
}

/** VSS_DIFF_AREA_PROP: a shadow copy storage association. */
export interface DiffArea {
  /** The original volume. */
  volumeName: string;
  /** The volume that holds its storage. */
  diffAreaVolumeName: string;
  /** The limit; -1n (VSS_ASSOC_NO_MAX_SPACE) is UNBOUNDED. */
  maximumSize: bigint;
  allocatedSize: bigint;
  usedSize: bigint;
}

/** VSS_SNAPSHOT_PROP: one shadow copy. */
export interface Snapshot {
  id: Guid;
  setId: Guid;
  snapshotsCount: number;
  deviceObject: string;
  originalVolumeName: string;
  originatingMachine: string;
  serviceMachine: string;
  exposedName: string | null;
  exposedPath: string | null;
  providerId: Guid;
  attributes: number;
  /** m_tsCreationTimestamp: a FILETIME (100 ns since 1601-01-01 UTC). */
  creationTimestamp: bigint;
  /** The same instant as a Date. */
  created: Date;
  /** VSS_SNAPSHOT_STATE. */
  status: number;
}

/** FILETIME ticks between 1601-01-01 and 1970-01-01. */
const EPOCH_DELTA = 116444736000000000n;

export function filetimeToDate(ft: bigint): Date {
  return new Date(Number((ft - EPOCH_DELTA) / 10000n));
}

class UnexpectedObjectError extends Error {}

function arm<T>(p: { Type: number; Obj: { tag: number; value?: unknown } }, want: number, what: string): T {
  if (p.Type !== want || !p.Obj.value) throw new UnexpectedObjectError(`expected a ${what}, got object type ${p.Type}`);
  return p.Obj.value as T;
}

export function toVolume(p: VSS_MGMT_OBJECT_PROP_T): Volume {
  const v = arm<{ m_pwszVolumeName: string | null; m_pwszVolumeDisplayName: string | null }>(p, VSS_MGMT_OBJECT_VOLUME, 'VSS_VOLUME_PROP');
  return { name: v.m_pwszVolumeName ?? '', displayName: v.m_pwszVolumeDisplayName ?? '' };
}

export function toDiffVolume(p: VSS_MGMT_OBJECT_PROP_T): DiffVolume {
  const v = arm<{ m_pwszVolumeName: string | null; m_pwszVolumeDisplayName: string | null; m_llVolumeFreeSpace: bigint; m_llVolumeTotalSpace: bigint }>(
    p,
    VSS_MGMT_OBJECT_DIFF_VOLUME,
    'VSS_DIFF_VOLUME_PROP',
  );
  return { name: v.m_pwszVolumeName ?? '', displayName: v.m_pwszVolumeDisplayName ?? '', freeSpace: v.m_llVolumeFreeSpace, totalSpace: v.m_llVolumeTotalSpace };
}

export function toDiffArea(p: VSS_MGMT_OBJECT_PROP_T): DiffArea {
  const v = arm<{
    m_pwszVolumeName: string | null;
    m_pwszDiffAreaVolumeName: string | null;
    m_llMaximumDiffSpace: bigint;
    m_llAllocatedDiffSpace: bigint;
    m_llUsedDiffSpace: bigint;
  }>(p, VSS_MGMT_OBJECT_DIFF_AREA, 'VSS_DIFF_AREA_PROP');
  return {
    volumeName: v.m_pwszVolumeName ?? '',
    diffAreaVolumeName: v.m_pwszDiffAreaVolumeName ?? '',
    maximumSize: v.m_llMaximumDiffSpace,
    allocatedSize: v.m_llAllocatedDiffSpace,
    usedSize: v.m_llUsedDiffSpace,
  };
}

export function toSnapshot(p: VSS_OBJECT_PROP_T): Snapshot {
  const s = arm<Record<string, any>>(p, VSS_OBJECT_SNAPSHOT, 'VSS_SNAPSHOT_PROP');
  return {
    id: s.m_SnapshotId,
    setId: s.m_SnapshotSetId,
    snapshotsCount: s.m_lSnapshotsCount,
    deviceObject: s.m_pwszSnapshotDeviceObject ?? '',
    originalVolumeName: s.m_pwszOriginalVolumeName ?? '',
    originatingMachine: s.m_pwszOriginatingMachine ?? '',
    serviceMachine: s.m_pwszServiceMachine ?? '',
    exposedName: s.m_pwszExposedName,
    exposedPath: s.m_pwszExposedPath,
    providerId: s.m_ProviderId,
    attributes: s.m_lSnapshotAttributes,
    creationTimestamp: s.m_tsCreationTimestamp,
    created: filetimeToDate(s.m_tsCreationTimestamp),
    status: s.m_eStatus,
  };
}
