/**
 * What travels inside an MInterfacePointer, shown by its own names: DCOM carries OBJREFs
 * (MS-DCOM 2.2.18) and, in activation, the activation properties blob (2.2.22) as opaque
 * bytes (`abData`) that NDR cannot see into. Each `{ulCntData, abData}` in a decoded value
 * gets the structure read from those bytes beside them (`OBJREF`, or `ActivationProperties`
 * for RemoteCreateInstance / RemoteGetClassObject); bytes that do not parse stay as they are,
 * with the reason. DUALSTRINGARRAYs read as their string and security bindings.
 */
import { decodeActivationPropertiesIn, decodeActivationPropertiesOut } from '../dcom/activation/blob.js';
import { fromNdrValue, type DualStringArrayNdr } from '../dcom/bindings.js';
import { decodeObjref } from '../dcom/objref.js';
import { iidName } from './interfaces.js';

const ACTIVATION_METHODS = new Set(['RemoteCreateInstance', 'RemoteGetClassObject']);
const MAX_DEPTH = 16;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && !Array.isArray(v);

function objrefView(abData: Buffer): Record<string, unknown> {
  const o = decodeObjref(abData);
  if (o.kind === 'standard') return { kind: 'OBJREF_STANDARD', iid: o.iid, interface: iidName(o.iid), std: o.std, saResAddr: o.resolver };
  return { kind: 'OBJREF_CUSTOM', iid: o.iid, interface: iidName(o.iid), clsid: o.clsid, cbExtension: o.cbExtension, pObjectData: o.data };
}

function activationView(abData: Buffer, direction: 'in' | 'out'): Record<string, unknown> {
  if (direction === 'in') return { ...decodeActivationPropertiesIn(abData) };
  const out = decodeActivationPropertiesOut(abData);
  return {
    PropsOutInfo: {
      cIfs: out.propsOut.iids.length,
      piid: out.propsOut.iids.map((iid) => `${iid} ${iidName(iid)}`.trim()),
      phresults: out.propsOut.hresults,
      ppIntfData: out.propsOut.interfaces.map((b) => (b ? tryView(() => objrefView(b)) : null)),
    },
    ScmReplyInfoData: walk(out.scmReply, undefined, 0),
  };
}

function tryView(read: () => Record<string, unknown>): Record<string, unknown> {
  try {
    return read();
  } catch (e) {
    return { notDecoded: (e as Error).message };
  }
}

function walk(v: unknown, activation: 'in' | 'out' | undefined, depth: number): unknown {
  if (depth > MAX_DEPTH) return v;
  if (Array.isArray(v)) return v.map((x) => walk(x, activation, depth + 1));
  if (!isRecord(v)) return v;
  if (typeof v.wNumEntries === 'number' && typeof v.wSecurityOffset === 'number' && Array.isArray(v.aStringArray)) {
    // A DUALSTRINGARRAY (2.2.19): its bindings as text rather than UTF-16 code units.
    try {
      return fromNdrValue(v as unknown as DualStringArrayNdr);
    } catch {
      return v;
    }
  }
  if (typeof v.ulCntData === 'number' && Buffer.isBuffer(v.abData)) {
    const abData = v.abData;
    const view = activation ? tryView(() => activationView(abData, activation)) : tryView(() => objrefView(abData));
    return { ...v, [activation ? 'ActivationProperties' : 'OBJREF']: view };
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, activation, depth + 1)]));
}

/** The decoded arguments or results of `method`, with every MInterfacePointer's contents read. */
export function expandInterfacePointers(method: string | undefined, value: unknown, direction: 'in' | 'out'): unknown {
  return walk(value, method !== undefined && ACTIVATION_METHODS.has(method) ? direction : undefined, 0);
}
