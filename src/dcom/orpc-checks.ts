import type { CallContext } from '../dcerpc/registry.js';
import { RpcFault } from '../dcerpc/fault.js';
import { DCOM_E, type ObjectExporter } from './exporter.js';
import type { ORPCTHIS_T } from './orpc.js';

/**
 * The checks every ORPC invocation gets before its method runs (MS-DCOM 3.1.1.5.4): a COM
 * version this host speaks, no flags, and an object UUID naming a live IPID of the
 * interface called. Returns the HRESULT to answer with, or 0.
 */
export function checkOrpcThis(orpc: ORPCTHIS_T): number {
  if (orpc.version.MajorVersion !== 5 || orpc.version.MinorVersion > 7) return DCOM_E.RPC_E_VERSION_MISMATCH;
  if (orpc.flags !== 0) return DCOM_E.RPC_E_INVALID_HEADER;
  return 0;
}

/**
 * The IPID a call is addressed to. An unknown or released IPID is answered with a fault
 * RPC_E_DISCONNECTED, as MS-DCOM 3.1.1.5.4 says and as clients see after their objects
 * are reclaimed; an IPID of another interface, likewise.
 */
export function targetIpid(call: CallContext, exporter: ObjectExporter, iid: string) {
  const ipid = call.object;
  const found = ipid ? exporter.lookup(ipid) : undefined;
  if (!found || found.entry.iid !== iid) throw new RpcFault(DCOM_E.RPC_E_DISCONNECTED, 'unknown IPID', true);
  return found;
}
