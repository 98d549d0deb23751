/**
 * The HRESULTs of the requester API (IVssBackupComponents) and of writers' failures, from
 * vsserror.h. They never travel in MS-SCMP; the admin API and the session report them.
 */
export { E_INVALIDARG, VSS_E_OBJECT_NOT_FOUND, VSS_E_OBJECT_ALREADY_EXISTS, VSS_E_VOLUME_NOT_SUPPORTED, VSS_E_PROVIDER_NOT_REGISTERED, VSS_E_INSUFFICIENT_STORAGE } from '../hresults.js';
export const E_ACCESSDENIED = 0x80070005;
export const E_OUTOFMEMORY = 0x8007000e;
export const VSS_E_BAD_STATE = 0x80042301;
export const VSS_E_UNEXPECTED = 0x80042302;
export const VSS_E_PROVIDER_VETO = 0x80042306;
export const VSS_E_CORRUPT_XML_DOCUMENT = 0x80042310;
export const VSS_E_INVALID_XML_DOCUMENT = 0x80042311;
export const VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED = 0x80042312;
export const VSS_E_SNAPSHOT_SET_IN_PROGRESS = 0x80042316;
export const VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED = 0x80042317;
export const VSS_E_UNSUPPORTED_CONTEXT = 0x8004231b;
export const VSS_E_NO_SNAPSHOTS_IMPORTED = 0x80042320;

// A writer's failure, as GatherWriterStatus reports it (vsserror.h).
export const VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT = 0x800423f0;
export const VSS_E_WRITERERROR_OUTOFRESOURCES = 0x800423f1;
export const VSS_E_WRITERERROR_TIMEOUT = 0x800423f2;
export const VSS_E_WRITERERROR_RETRYABLE = 0x800423f3;
export const VSS_E_WRITERERROR_NONRETRYABLE = 0x800423f4;

/** The failures a writer's script may veto with, by name (the host model file names them). */
export const WRITER_FAILURES: Readonly<Record<string, number>> = {
  VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT,
  VSS_E_WRITERERROR_OUTOFRESOURCES,
  VSS_E_WRITERERROR_TIMEOUT,
  VSS_E_WRITERERROR_RETRYABLE,
  VSS_E_WRITERERROR_NONRETRYABLE,
};
