/**
 * The Backup Components Document as data: what a requester's session builds, writers read
 * and change, SaveAsXML writes and InitializeForBackup/InitializeForRestore load. Its XML
 * form is in document-xml.ts.
 */
import type { Guid } from '../vss.js';
import type { ComponentType } from '../writers.js';

/** VSS_BACKUP_TYPE of vss.h, by name; VSS_BT_FULL = 1 … VSS_BT_OTHER = 6. */
export const BACKUP_TYPES = ['full', 'incremental', 'differential', 'log', 'copy', 'other'] as const;
export type BackupType = (typeof BACKUP_TYPES)[number];
export const backupTypeCode = (t: BackupType): number => BACKUP_TYPES.indexOf(t) + 1;

/** VSS_FILE_RESTORE_STATUS: VSS_RS_UNDEFINED 0, VSS_RS_NONE 1, VSS_RS_ALL 2, VSS_RS_FAILED 3. */
export const FILE_RESTORE_STATUSES = ['none', 'all', 'failed'] as const;
export type FileRestoreStatus = (typeof FILE_RESTORE_STATUSES)[number];

/** One component the document names explicitly, and what requester and writer recorded on it. */
export interface DocComponent {
  logicalPath: string;
  name: string;
  type: ComponentType;
  backupSucceeded: boolean;
  backupStamp?: string;
  previousBackupStamp?: string;
  backupOptions?: string;
  selectedForRestore: boolean;
  /** AddRestoreSubcomponent: members of its component set, implicitly included at backup, restored on their own. */
  restoreSubcomponents?: { logicalPath: string; name: string; repair: boolean }[];
  restoreOptions?: string;
  preRestoreFailureMsg?: string;
  postRestoreFailureMsg?: string;
  fileRestoreStatus?: FileRestoreStatus;
}

export interface DocWriter {
  writerId: Guid;
  instanceId: Guid;
  components: DocComponent[];
}

/** A shadow copy as the document's snapshot set description records it. */
export interface DocSnapshot {
  id: Guid;
  providerId: Guid;
  attributes: number;
  /** The original volume's mount name on the machine that made it. */
  originalVolume: string;
  /** Its display name there (a drive letter or mount point), for a host that imports it. */
  originalVolumeDisplay: string;
  deviceObject: string;
  originatingMachine: string;
  serviceMachine: string;
  /** FILETIME. */
  creationTime: bigint;
}

export interface DocSnapshotSet {
  setId: Guid;
  context: number;
  snapshots: DocSnapshot[];
}

export interface BackupComponentsDocument {
  selectComponents: boolean;
  bootableSystemState: boolean;
  backupType: BackupType;
  partialFileSupport: boolean;
  /** The context the session's shadow copies were made in. */
  context: number;
  writers: DocWriter[];
  snapshotSet?: DocSnapshotSet;
}

export function emptyDocument(): BackupComponentsDocument {
  return { selectComponents: true, bootableSystemState: false, backupType: 'full', partialFileSupport: false, context: 0, writers: [] };
}

export function cloneDocument(d: BackupComponentsDocument): BackupComponentsDocument {
  return {
    ...d,
    writers: d.writers.map((w) => ({ ...w, components: w.components.map((c) => ({ ...c, ...(c.restoreSubcomponents ? { restoreSubcomponents: c.restoreSubcomponents.map((x) => ({ ...x })) } : {}) })) })),
    ...(d.snapshotSet ? { snapshotSet: { ...d.snapshotSet, snapshots: d.snapshotSet.snapshots.map((s) => ({ ...s })) } } : {}),
  };
}
