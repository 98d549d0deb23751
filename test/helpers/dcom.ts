import { randomUUID } from 'node:crypto';
import { RpcClient } from '../../src/client/rpc-client.js';
import { AUTH_LEVEL } from '../../src/dcerpc/constants.js';
import { decodeActivationPropertiesOut, encodeActivationPropertiesIn } from '../../src/dcom/activation/blob.js';
import { decodeObjref } from '../../src/dcom/objref.js';
import { COM_VERSION } from '../../src/dcom/orpc.js';
import { IRemoteSCMActivator } from '../../src/interfaces/scm/idl.js';
import { IRemUnknown } from '../../src/interfaces/remunknown/idl.js';
import { CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt } from '../../src/interfaces/scmp/class.js';
import { ntlm, ADMIN } from './security.js';
import type { NtlmCredentials } from '../../src/security/ntlm/client.js';

export const orpcThis = (flags = 0) => ({ version: { ...COM_VERSION }, flags, reserved1: 0, cid: randomUUID(), extensions: null });

export interface Activated {
  hr: number;
  oid: bigint;
  ipid: string;
  oxid: bigint;
  ipidRemUnknown: string;
}

/** Activates the shadow-copy class with our own client, as a Windows client would. */
export async function activate(host: string, port: number, creds: NtlmCredentials = ADMIN, clsid = CLSID_ShadowCopyProvider): Promise<Activated> {
  const c = await RpcClient.connect(host, port);
  try {
    await c.bindInterface(IRemoteSCMActivator, { auth: { ctx: ntlm(creds), level: AUTH_LEVEL.pkt_integrity } });
    const abData = encodeActivationPropertiesIn({ clsid, iids: [IID_IVssSnapshotMgmt], serverName: 'FILESRV01' });
    const r = await c.call(0, IRemoteSCMActivator.methods.RemoteCreateInstance, {
      ORPCthis: orpcThis(1),
      pUnkOuter: null,
      pActProperties: { ulCntData: abData.length, abData },
    });
    if (r.hr !== 0 || !r.ppActProperties) return { hr: r.hr, oid: 0n, ipid: '', oxid: 0n, ipidRemUnknown: '' };
    const out = decodeActivationPropertiesOut(r.ppActProperties.abData);
    const objref = decodeObjref(out.propsOut.interfaces[0]!);
    if (objref.kind !== 'standard') throw new Error('expected a standard OBJREF');
    return { hr: 0, oid: objref.std.oid, ipid: objref.std.ipid, oxid: out.scmReply.oxid, ipidRemUnknown: out.scmReply.ipidRemUnknown };
  } finally {
    await c.close();
  }
}

/** A connection to the object exporter bound to IRemUnknown. */
export async function remUnknown(host: string, objectPort: number, creds: NtlmCredentials = ADMIN) {
  const c = await RpcClient.connect(host, objectPort);
  await c.bindInterface(IRemUnknown, { auth: { ctx: ntlm(creds), level: AUTH_LEVEL.pkt_integrity } });
  return c;
}
