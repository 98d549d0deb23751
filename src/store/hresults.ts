/**
 * The HRESULTs the store answers with (MS-SCMP 3.1 error tables; values as MS-ERREF prints
 * them). Declared here, below the interfaces, so that the store needs no NDR types;
 * src/interfaces/scmp/types.ts re-exports them.
 */
export const E_INVALIDARG = 0x80070057;
export const VSS_E_PROVIDER_NOT_REGISTERED = 0x80042304;
export const VSS_E_OBJECT_NOT_FOUND = 0x80042308;
export const VSS_E_VOLUME_NOT_SUPPORTED = 0x8004230c;
export const VSS_E_OBJECT_ALREADY_EXISTS = 0x8004230d;
export const VSS_E_VOLUME_IN_USE = 0x8004231d;
export const VSS_E_MAXIMUM_DIFFAREA_ASSOCIATIONS_REACHED = 0x8004231e;
export const VSS_E_INSUFFICIENT_STORAGE = 0x8004231f;

