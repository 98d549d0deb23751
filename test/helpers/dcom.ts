import { RpcClient } from '../../src/client/rpc-client.js';
import { AUTH_LEVEL } from '../../src/dcerpc/constants.js';
import { activate as activateClass, newOrpcThis, type Activated } from '../../src/client/activation.js';
import { IRemUnknown } from '../../src/interfaces/remunknown/idl.js';
import { CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt } from '../../src/interfaces/scmp/class.js';
import { ntlm, ADMIN } from './security.js';
import type { NtlmCredentials } from '../../src/security/ntlm/client.js';

export const orpcThis = newOrpcThis;
export type { Activated };

/** Activates the shadow-copy class with our own client at integrity, as a Windows client would. */
export function activate(host: string, port: number, creds: NtlmCredentials = ADMIN, clsid = CLSID_ShadowCopyProvider): Promise<Activated> {
  return activateClass(host, port, { ctx: ntlm(creds), level: AUTH_LEVEL.pkt_integrity }, clsid, IID_IVssSnapshotMgmt, 'FILESRV01');
}

/** A connection to the object exporter bound to IRemUnknown. */
export async function remUnknown(host: string, objectPort: number, creds: NtlmCredentials = ADMIN) {
  const c = await RpcClient.connect(host, objectPort);
  await c.bindInterface(IRemUnknown, { auth: { ctx: ntlm(creds), level: AUTH_LEVEL.pkt_integrity } });
  return c;
}
