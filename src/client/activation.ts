/**
 * DCOM activation as a client does it: IRemoteSCMActivator::RemoteCreateInstance on the
 * endpoint-mapper port, then the interface pointer out of the answer. And the release of
 * what it handed out, through IRemUnknown on the object exporter.
 */
import { randomUUID } from 'node:crypto';
import { decodeActivationPropertiesOut, encodeActivationPropertiesIn } from '../dcom/activation/blob.js';
import { fromNdrValue, type DualStringArray } from '../dcom/bindings.js';
import { decodeObjref } from '../dcom/objref.js';
import { COM_VERSION } from '../dcom/orpc.js';
import type { Guid } from '../ndr/guid.js';
import { IRemUnknown } from '../interfaces/remunknown/idl.js';
import { IRemoteSCMActivator } from '../interfaces/scm/idl.js';
import { NotDcomHostError, isResetAfterConnect } from './errors.js';
import { RpcClient, type ClientAuth } from './rpc-client.js';

/** An ORPCTHIS with a fresh causality id (flags 1 for activation requests, as Windows sends). */
export const newOrpcThis = (flags = 0) => ({ version: { ...COM_VERSION }, flags, reserved1: 0, cid: randomUUID(), extensions: null });

export interface Activated {
  /** The activation's HRESULT; the other fields are meaningful only when it is 0. */
  hr: number;
  oid: bigint;
  ipid: string;
  cPublicRefs: number;
  oxid: bigint;
  ipidRemUnknown: string;
  /** The object exporter's string and security bindings (ScmReplyInfoData's pdsaOxidBindings); empty on failure. */
  bindings: DualStringArray;
}

export interface ActivateOptions {
  serverName?: string;
  /** How long the TCP connect may take (RpcClient's default otherwise). */
  connectTimeoutMs?: number;
  /** Aborting it closes the connection (a caller's timeout). */
  signal?: AbortSignal;
}

const NO_BINDINGS = (): DualStringArray => ({ stringBindings: [], securityBindings: [] });

/** Activates `clsid` for `iid` on `host:port`; each call its own authenticated connection. */
export async function activate(host: string, port: number, auth: ClientAuth, clsid: Guid, iid: Guid, serverName: string | ActivateOptions = ''): Promise<Activated> {
  const o: ActivateOptions = typeof serverName === 'string' ? { serverName } : serverName;
  const c = await RpcClient.connect(host, port, o.connectTimeoutMs);
  o.signal?.addEventListener('abort', () => c.socket.destroy(), { once: true });
  try {
    try {
      await c.bindInterface(IRemoteSCMActivator, { auth });
    } catch (e) {
      // Reset before any bind_ack: the port answered, but not as a DCOM host. (Its close
      // comes as FIN or RST only as our bind did or did not reach it first.)
      if (isResetAfterConnect(e)) throw new NotDcomHostError(`the connection was reset during the bind (${(e as Error).message})`, e);
      throw e;
    }
    const abData = encodeActivationPropertiesIn({ clsid, iids: [iid], serverName: o.serverName ?? '' });
    const r = await c.call(0, IRemoteSCMActivator.methods.RemoteCreateInstance, {
      ORPCthis: newOrpcThis(1),
      pUnkOuter: null,
      pActProperties: { ulCntData: abData.length, abData },
    });
    if (r.hr !== 0 || !r.ppActProperties) return { hr: r.hr, oid: 0n, ipid: '', cPublicRefs: 0, oxid: 0n, ipidRemUnknown: '', bindings: NO_BINDINGS() };
    const out = decodeActivationPropertiesOut(r.ppActProperties.abData);
    const objref = decodeObjref(out.propsOut.interfaces[0]!);
    if (objref.kind !== 'standard') throw new Error('expected a standard OBJREF');
    return {
      hr: 0,
      oid: objref.std.oid,
      ipid: objref.std.ipid,
      cPublicRefs: objref.std.cPublicRefs,
      oxid: out.scmReply.oxid,
      ipidRemUnknown: out.scmReply.ipidRemUnknown,
      bindings: fromNdrValue(out.scmReply.bindings),
    };
  } finally {
    await c.close();
  }
}

/** Gives back the public references an activation handed out (RemRelease); answers its HRESULT. */
export async function release(host: string, objectPort: number, auth: ClientAuth, a: Activated): Promise<number> {
  const c = await RpcClient.connect(host, objectPort);
  try {
    await c.bindInterface(IRemUnknown, { auth });
    const r = await c.call(
      0,
      IRemUnknown.methods.RemRelease,
      { ORPCthis: newOrpcThis(), cInterfaceRefs: 1, InterfaceRefs: [{ ipid: a.ipid, cPublicRefs: a.cPublicRefs, cPrivateRefs: 0 }] },
      { object: a.ipidRemUnknown },
    );
    return r.hr;
  } finally {
    await c.close();
  }
}
