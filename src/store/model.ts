/**
 * The emulated host as plain domain objects: what MS-SCMP's answers are made from, with no
 * wire type in sight. Volume names inside the model are always volume mount names
 * (`\\?\Volume{GUID}\`); the other forms a client may send are resolved by the store.
 */
import type { Guid } from './vss.js';
import { cloneWriter, type Writer } from './writers.js';

export type { Guid } from './vss.js';

export interface Host {
  /** What VSS_SNAPSHOT_PROP's originating and service machine carry (MS-SCMP 2.2.3.3). */
  readonly fqdn: string;
  readonly netbiosName: string;
}

export type FileSystem = 'NTFS' | 'ReFS' | 'FAT32';

export interface Volume {
  /** `\\?\Volume{GUID}\`: the name every other object refers to the volume by. */
  readonly mountName: string;
  /** Drive letters (`D:\`) and mounted folders (`C:\mnt\archive\`), with their trailing backslash. */
  readonly mountPoints: readonly string[];
  /** The first mount point, or the mount name when there is none (MS-SCMP 2.2.3.7). */
  readonly displayName: string;
  readonly fileSystem: FileSystem;
  readonly totalBytes: bigint;
  readonly freeBytes: bigint;
  /** The lContext values shadow copies of this volume can be taken in; empty: none. */
  readonly snapshotContexts: readonly number[];
  /** Whether shadow copy storage may live here (the system provider needs NTFS). */
  readonly canHoldDiffArea: boolean;
}

/** What VSS_PROVIDER_PROP would say (MS-SCMP never sends it; the store knows it anyway). */
export interface Provider {
  readonly id: Guid;
  readonly name: string;
  readonly version: string;
  readonly versionId: Guid;
  /** VSS_PROVIDER_TYPE of vss.h. */
  readonly type: number;
  readonly clsid: Guid;
}

export interface Snapshot {
  readonly id: Guid;
  readonly setId: Guid;
  /** Shadow copies in the set when it was made (later deletions do not change it). */
  readonly countInSet: number;
  /** Mount name of the original volume. */
  readonly originalVolume: string;
  /** `\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopyN`. */
  readonly deviceObject: string;
  readonly originatingMachine: string;
  readonly serviceMachine: string;
  /** FILETIME. */
  readonly creationTime: bigint;
  /** VSS_VOLSNAP_ATTR_* bits: those of the context it was made in. */
  readonly attributes: number;
  readonly providerId: Guid;
  /** Always VSS_SS_CREATED. */
  readonly state: number;
  /** Space it takes in its volume's shadow copy storage. */
  readonly sizeBytes: bigint;
}

/** A shadow copy storage association and the space it holds. */
export interface DiffArea {
  /** Mount name of the original volume. */
  readonly volume: string;
  /** Mount name of the volume the storage is on. */
  readonly diffAreaVolume: string;
  /** -1n: no limit. */
  readonly maximumBytes: bigint;
  readonly usedBytes: bigint;
  readonly allocatedBytes: bigint;
}

export interface HostModel {
  readonly host: Host;
  readonly volumes: readonly Volume[];
  readonly providers: readonly Provider[];
  readonly snapshots: readonly Snapshot[];
  readonly diffAreas: readonly DiffArea[];
  /** The writers a requester session gathers metadata from and raises events on. */
  readonly writers: readonly Writer[];
}

/** MS-SCMP 2.2.3.7: a volume's display name is a mount point, else its mount name. */
export function displayNameOf(mountName: string, mountPoints: readonly string[]): string {
  return mountPoints[0] ?? mountName;
}

export const cloneHost = (h: Host): Host => ({ ...h });
export const cloneVolume = (v: Volume): Volume => ({ ...v, mountPoints: [...v.mountPoints], snapshotContexts: [...v.snapshotContexts] });
export const cloneProvider = (p: Provider): Provider => ({ ...p });
export const cloneSnapshot = (s: Snapshot): Snapshot => ({ ...s });
export const cloneDiffArea = (d: DiffArea): DiffArea => ({ ...d });

export function cloneModel(m: HostModel): HostModel {
  return {
    host: cloneHost(m.host),
    volumes: m.volumes.map(cloneVolume),
    providers: m.providers.map(cloneProvider),
    snapshots: m.snapshots.map(cloneSnapshot),
    diffAreas: m.diffAreas.map(cloneDiffArea),
    writers: m.writers.map(cloneWriter),
  };
}
