/**
 * The VSS values the host model speaks in: snapshot attribute bits and the contexts made of
 * them (MS-SCMP 2.2.2.3, VSS_SNAPSHOT_CONTEXT of vss.h), the snapshot state, the provider
 * type and the system provider's identity. Plain numbers and strings, declared here once;
 * src/interfaces/scmp/types.ts re-exports them beside the wire types.
 */

/**
 * The one Guid of the code (src/ndr/guid.ts): canonical and lower case past every boundary,
 * so the store compares GUIDs with === and never folds their case.
 */
import type { Guid } from '../ndr/guid.js';
export { canonicalGuid, GUID_NULL, isCanonicalGuid, type Guid } from '../ndr/guid.js';

export const VSS_VOLSNAP_ATTR_PERSISTENT = 0x00000001;
export const VSS_VOLSNAP_ATTR_NO_AUTORECOVERY = 0x00000002;
export const VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE = 0x00000004;
export const VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE = 0x00000008;
export const VSS_VOLSNAP_ATTR_NO_WRITERS = 0x00000010;
/** The shadow copy can be moved to and imported on another host (vss.h). */
export const VSS_VOLSNAP_ATTR_TRANSPORTABLE = 0x00000020;
/** Set on a shadow copy brought in by ImportSnapshots (vss.h). */
export const VSS_VOLSNAP_ATTR_IMPORTED = 0x00080000;
/** The attribute bits a shadow copy may be given beyond those of its context. */
export const TRANSPORT_ATTRIBUTES = VSS_VOLSNAP_ATTR_TRANSPORTABLE | VSS_VOLSNAP_ATTR_IMPORTED;
/**
 * Copy-on-write: the system provider sets it on every shadow copy it makes, whose changed
 * blocks go to a diff area (vss.h; vssadmin prints "Differential" for each of them).
 */
export const VSS_VOLSNAP_ATTR_DIFFERENTIAL = 0x00020000;
/** A hardware provider's full copy (vss.h). */
export const VSS_VOLSNAP_ATTR_PLEX = 0x00040000;
/** The bits that say how a shadow copy was made or moved rather than in which context. */
export const NON_CONTEXT_ATTRIBUTES = TRANSPORT_ATTRIBUTES | VSS_VOLSNAP_ATTR_DIFFERENTIAL | VSS_VOLSNAP_ATTR_PLEX;
/** The VSS_CTX_* value a shadow copy was made in, from its attributes. */
export const contextOfAttributes = (attributes: number): number => attributes & ~NON_CONTEXT_ATTRIBUTES;

/** The bits an lContext may combine (MS-SCMP 3.1.1.4.2). */
export const VSS_CONTEXT_ATTRIBUTE_MASK =
  VSS_VOLSNAP_ATTR_PERSISTENT | VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE | VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE | VSS_VOLSNAP_ATTR_NO_WRITERS;

export const VSS_CTX_BACKUP = 0x00000000;
export const VSS_CTX_FILE_SHARE_BACKUP = VSS_VOLSNAP_ATTR_NO_WRITERS;
export const VSS_CTX_NAS_ROLLBACK = VSS_VOLSNAP_ATTR_PERSISTENT | VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE | VSS_VOLSNAP_ATTR_NO_WRITERS;
export const VSS_CTX_APP_ROLLBACK = VSS_VOLSNAP_ATTR_PERSISTENT | VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE;
export const VSS_CTX_CLIENT_ACCESSIBLE = VSS_CONTEXT_ATTRIBUTE_MASK;
export const VSS_CTX_CLIENT_ACCESSIBLE_WRITERS = VSS_VOLSNAP_ATTR_PERSISTENT | VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE | VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE;
/** 0xffffffff as the LONG it travels in: "any context" in a query. */
export const VSS_CTX_ALL = -1;

/** Every context the system provider can take a shadow copy in. */
export const SYSTEM_PROVIDER_CONTEXTS: readonly number[] = [
  VSS_CTX_BACKUP,
  VSS_CTX_FILE_SHARE_BACKUP,
  VSS_CTX_NAS_ROLLBACK,
  VSS_CTX_APP_ROLLBACK,
  VSS_CTX_CLIENT_ACCESSIBLE,
  VSS_CTX_CLIENT_ACCESSIBLE_WRITERS,
];

/** An lContext a query may name: VSS_CTX_ALL, or any combination of the mask's bits. */
export function isQueryContext(context: number): boolean {
  return Number.isInteger(context) && (context === VSS_CTX_ALL || (context >= 0 && (context & ~VSS_CONTEXT_ATTRIBUTE_MASK) === 0));
}

/** Shadow copies managed through MS-SCMP are always in this state (2.2.2.4). */
export const VSS_SS_CREATED = 0x0000000c;

/** VSS_PROVIDER_TYPE of vss.h: MS-SCMP declares only UNKNOWN (0); SYSTEM is the next value. */
export const VSS_PROV_SYSTEM = 1;

/** The Microsoft Software Shadow Copy provider (MS-SCMP 1.9). */
export const VSS_SYSTEM_PROVIDER_ID: Guid = 'b5946137-7b9f-4925-af80-51abd60b20d5';
