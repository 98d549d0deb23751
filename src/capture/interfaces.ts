/**
 * The interfaces a capture's calls are decoded with, by UUID: their declarations are the
 * ones the server and the client use (src/interfaces/<iface>/idl.ts), never repeated here.
 */
import type { InterfaceDecl, MethodDecl } from '../dcerpc/interface.js';
import { IID_IRemUnknown, IID_IRemUnknown2, IID_IUnknown } from '../dcom/exporter.js';
import { CLSID_ActivationPropertiesIn, CLSID_ActivationPropertiesOut, IID_IActivationPropertiesIn, IID_IActivationPropertiesOut, IID_IContext } from '../dcom/activation/types.js';
import { epm } from '../interfaces/epm/idl.js';
import { mgmt } from '../interfaces/mgmt/idl.js';
import { IObjectExporter } from '../interfaces/oxid/idl.js';
import { IRemUnknown, IRemUnknown2 } from '../interfaces/remunknown/idl.js';
import { IActivation, IRemoteSCMActivator } from '../interfaces/scm/idl.js';
import { IVssDifferentialSoftwareSnapshotMgmt, IVssEnumMgmtObject, IVssEnumObject, IVssSnapshotMgmt } from '../interfaces/scmp/idl.js';

export const KNOWN_INTERFACES: readonly InterfaceDecl[] = [
  epm,
  mgmt,
  IObjectExporter,
  IRemoteSCMActivator,
  IActivation,
  IRemUnknown,
  IRemUnknown2,
  IVssSnapshotMgmt,
  IVssDifferentialSoftwareSnapshotMgmt,
  IVssEnumObject,
  IVssEnumMgmtObject,
];

const BY_UUID = new Map<string, InterfaceDecl>(KNOWN_INTERFACES.map((i) => [i.uuid.toLowerCase(), i]));

/** Names of IIDs that are no interface declared here but travel in activations and OBJREFs. */
const OTHER_NAMES = new Map<string, string>([
  [IID_IUnknown, 'IUnknown'],
  [IID_IRemUnknown, 'IRemUnknown'],
  [IID_IRemUnknown2, 'IRemUnknown2'],
  [IID_IActivationPropertiesIn, 'IActivationPropertiesIn'],
  [IID_IActivationPropertiesOut, 'IActivationPropertiesOut'],
  [CLSID_ActivationPropertiesIn, 'ActivationPropertiesIn'],
  [CLSID_ActivationPropertiesOut, 'ActivationPropertiesOut'],
  [IID_IContext, 'IContext'],
].map(([k, v]) => [k!.toLowerCase(), v!]));

export function interfaceByUuid(uuid: string): InterfaceDecl | undefined {
  return BY_UUID.get(uuid.toLowerCase());
}

/** An IID's interface name, or the IID itself when it is none we know. */
export function iidName(iid: string): string {
  const k = iid.toLowerCase();
  return BY_UUID.get(k)?.name ?? OTHER_NAMES.get(k) ?? k;
}

export function methodOf(iface: InterfaceDecl | undefined, opnum: number): MethodDecl | undefined {
  return iface?.opnums[opnum];
}
