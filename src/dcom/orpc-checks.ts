import { DCOM_E } from './exporter.js';
import { COM_VERSION, type COMVERSION_T, type ORPCTHIS_T } from './orpc.js';

/**
 * A COM version this host speaks (MS-DCOM 3.1.1.5.4, 3.1.2.5.2.3): the same major version,
 * a minor version no newer than ours. 0, or RPC_E_VERSION_MISMATCH. The activators check
 * only this of ORPCTHIS.
 */
export function checkComVersion(v: COMVERSION_T): number {
  return v.MajorVersion !== COM_VERSION.MajorVersion || v.MinorVersion > COM_VERSION.MinorVersion ? DCOM_E.RPC_E_VERSION_MISMATCH : 0;
}

/**
 * The checks every ORPC invocation on an object gets before its method runs (MS-DCOM
 * 3.1.1.5.4): a COM version this host speaks and no flags. Returns the HRESULT to answer
 * with, or 0. The dispatcher (dispatcher.ts) makes it; no method does.
 */
export function checkOrpcThis(orpc: ORPCTHIS_T): number {
  return checkComVersion(orpc.version) || (orpc.flags !== 0 ? DCOM_E.RPC_E_INVALID_HEADER : 0);
}
