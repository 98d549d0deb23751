/**
 * Kept only for src/interfaces/scmp/types.ts, which re-exports MS-SCMP's HRESULTs from here:
 * every status is declared once, in src/status. Goes when that file imports src/status.
 */
export * from '../status/codes.js';
