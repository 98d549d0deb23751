import { DEFAULT_XML_LIMITS, type XmlLimits } from './xml.js';

/** The requester sessions' limits: named, with Windows' values where Windows has one. */
export interface RequesterSettings {
  /** Shadow copies in one snapshot set (VSS: 64; AddToSnapshotSet's VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED). */
  maxSnapshotsPerSet: number;
  /** Space a new shadow copy takes in its volume's storage: what the emulated writes in flight dirty. */
  newSnapshotBytes: bigint;
  /** Open sessions on the host at once; more are refused with E_OUTOFMEMORY, as VSS does when out of resources. */
  maxSessions: number;
  /** Documents saved on the host (admin API and state directory). */
  maxSavedDocuments: number;
  /** Characters in all saved documents together (the state file holds them all). */
  maxSavedDocumentChars: number;
  /** Bounds on a Backup Components Document a caller hands in. */
  xml: XmlLimits;
}

export const DEFAULT_REQUESTER_SETTINGS: Readonly<RequesterSettings> = {
  maxSnapshotsPerSet: 64,
  newSnapshotBytes: 32n * 1024n * 1024n,
  maxSessions: 64,
  maxSavedDocuments: 256,
  maxSavedDocumentChars: 32 * 1024 * 1024,
  xml: { ...DEFAULT_XML_LIMITS, maxLength: 1024 * 1024 },
};
