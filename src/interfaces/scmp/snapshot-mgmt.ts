/** Kept for older imports: the IVssSnapshotMgmt declaration lives in idl.ts, its wire types in types.ts. */
export { IVssSnapshotMgmt } from './idl.js';
export { VSS_ID, VSS_PWSZ } from './types.js';
