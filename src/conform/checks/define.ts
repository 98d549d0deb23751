/** Small constructors that keep the catalogue's entries one line of data each. */
import { VSS_E_UNEXPECTED } from '../../status/codes.js';
import type { Probe } from '../context.js';
import type { Breaker, Check, Need, SpecRef } from '../types.js';

export function check(id: string, requirement: string, ref: SpecRef, breaker: Breaker, probe: Probe, needs: readonly Need[] = []): Check {
  return { id, requirement, ref, breaker, probe, needs };
}

export const ref = (spec: SpecRef['spec'], section: string): SpecRef => ({ spec, section });

/** The method answers another HRESULT than the check wants (VSS_E_UNEXPECTED unless given). */
export const answers = (iface: string, method: string, hresult = VSS_E_UNEXPECTED, args?: Record<string, string>): Breaker => ({
  fault: { interface: iface, method, action: { hresult }, ...(args ? { args } : {}) },
});
/** The method's call gets a DCE/RPC fault PDU. */
export const faults = (iface: string, method: string, status: number): Breaker => ({ fault: { interface: iface, method, action: { fault: status } } });
/**
 * Calls to `opnum` get a DCE/RPC fault PDU before the runtime looks the opnum up or decodes
 * the stub: a server whose own answer to an unknown opnum or a bad stub is wrong.
 */
export const faultsOpnum = (iface: string, opnum: number, status: number): Breaker => ({ fault: { interface: iface, opnum, action: { fault: status } } });
/** The method's call drops the connection. */
export const drops = (iface: string, method: string): Breaker => ({ fault: { interface: iface, method, action: { drop: true } } });
/** scmpd started with other settings. */
export const setting = (note: string, ...server: string[]): Breaker => ({ server, note });

/** The default host model (fixtures/default-host.json) changed by `edit`: data a server must never send. */
export const wrongData = (hostModel: string, edit: (m: Record<string, any>) => void): Breaker => ({ hostModel, edit });

export const MGMT = 'IVssSnapshotMgmt';
export const DIFF = 'IVssDifferentialSoftwareSnapshotMgmt';
export const ENUM_OBJ = 'IVssEnumObject';
export const ENUM_MGMT = 'IVssEnumMgmtObject';
export const SCM = 'IRemoteSCMActivator';
export const OXID = 'IObjectExporter';
export const REMUNK = 'IRemUnknown';

/** A volume name no host has (a GUID nobody made). */
export const NO_SUCH_VOLUME = '\\\\?\\Volume{5c0f0a11-0c0f-4c0f-8c0f-00000000c0f0}\\';
/** A provider id no host has registered. */
export const NO_SUCH_PROVIDER = '5c0f0a11-7a7a-4b4b-8c8c-0000000c0f01';
export const GUID_NULL = '00000000-0000-0000-0000-000000000000';
export const IID_IUnknown = '00000000-0000-0000-c000-000000000046';

/** A volume GUID name: \\?\Volume{GUID}\ */
export const VOLUME_NAME = /^\\\\\?\\Volume\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}\\$/i;
