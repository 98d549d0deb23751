/**
 * The HRESULTs MS-SCMP's methods answer with (3.1.4). They are declared once, in
 * src/status; this module only re-exports them for src/interfaces/scmp/types.ts, and goes
 * when that file imports src/status itself.
 */
export {
  E_INVALIDARG,
  VSS_E_PROVIDER_NOT_REGISTERED,
  VSS_E_OBJECT_NOT_FOUND,
  VSS_E_VOLUME_NOT_SUPPORTED,
  VSS_E_OBJECT_ALREADY_EXISTS,
  VSS_E_VOLUME_IN_USE,
  VSS_E_MAXIMUM_DIFFAREA_ASSOCIATIONS_REACHED,
  VSS_E_INSUFFICIENT_STORAGE,
} from '../status/codes.js';
