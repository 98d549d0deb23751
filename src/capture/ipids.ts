/**
 * What each IPID seen in a capture stands for: DCOM object calls name only an IPID (the
 * request's object UUID), and the interface behind it was given earlier, in an activation
 * reply (the activation properties' interface pointers, with their IIDs), a
 * RemQueryInterface reply (REMQIRESULTs, in the order of the request's IIDs), or any OBJREF
 * a call returned (whose iid says it). Learnt across the whole capture: the activation is on
 * port 135, the calls on the object exporter's port.
 */
import { decodeActivationPropertiesOut } from '../dcom/activation/blob.js';
import { IID_IRemUnknown } from '../dcom/exporter.js';
import { decodeObjref } from '../dcom/objref.js';
import { iidName } from './interfaces.js';

export const DEFAULT_MAX_IPIDS = 65536;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Buffer.isBuffer(v);
const isGuid = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);

export class IpidMap {
  private readonly names = new Map<string, string>();

  constructor(private readonly max = DEFAULT_MAX_IPIDS) {}

  get size(): number {
    return this.names.size;
  }

  /** Records what an IPID is; the oldest entry is forgotten beyond `max` (a bounded table). */
  learn(ipid: string, iid: string): void {
    const k = ipid.toLowerCase();
    this.names.delete(k);
    this.names.set(k, iidName(iid));
    if (this.names.size > this.max) this.names.delete(this.names.keys().next().value!);
  }

  lookup(ipid: string | undefined): string | undefined {
    return ipid === undefined ? undefined : this.names.get(ipid.toLowerCase());
  }

  /** An OBJREF's bytes: a standard one ties its IPID to its iid. Anything else teaches nothing. */
  learnObjref(abData: Buffer): void {
    try {
      const o = decodeObjref(abData);
      if (o.kind === 'standard') this.learn(o.std.ipid, o.iid);
    } catch {
      // Not an OBJREF this host reads: nothing learnt.
    }
  }

  /**
   * Learns from one decoded call: the method's own rules first (activation, QueryInterface,
   * the OXID resolver's IRemUnknown IPID), then every MInterfacePointer in the response.
   */
  learnFromCall(method: string | undefined, request: unknown, response: unknown): void {
    if (!isObject(response)) return;
    const req = isObject(request) ? request : {};
    try {
      switch (method) {
        case 'RemoteCreateInstance':
        case 'RemoteGetClassObject': {
          const props = response.ppActProperties;
          if (isObject(props) && Buffer.isBuffer(props.abData)) this.learnActivation(props.abData);
          break;
        }
        case 'RemoteActivation': {
          if (isGuid(response.pipidRemUnknown)) this.learn(response.pipidRemUnknown, IID_IRemUnknown);
          // ppInterfaceData's OBJREFs name their own iids: the walk below learns them.
          break;
        }
        case 'RemQueryInterface': {
          const iids = Array.isArray(req.iids) ? req.iids : [];
          const results = Array.isArray(response.ppQIResults) ? response.ppQIResults : [];
          results.forEach((r, i) => {
            if (!isObject(r) || !isObject(r.std) || typeof r.hResult !== 'number' || r.hResult >>> 31 !== 0) return;
            if (isGuid(r.std.ipid) && isGuid(iids[i])) this.learn(r.std.ipid, iids[i] as string);
          });
          break;
        }
        case 'ResolveOxid':
        case 'ResolveOxid2':
          if (isGuid(response.pipidRemUnknown)) this.learn(response.pipidRemUnknown, IID_IRemUnknown);
          break;
      }
    } catch {
      // A value of an unexpected shape teaches nothing.
    }
    this.walk(response, 0);
  }

  private learnActivation(abData: Buffer): void {
    let out;
    try {
      out = decodeActivationPropertiesOut(abData);
    } catch {
      return;
    }
    this.learn(out.scmReply.ipidRemUnknown, IID_IRemUnknown);
    out.propsOut.interfaces.forEach((objref, i) => {
      const hr = out.propsOut.hresults[i] ?? 0;
      if (objref && hr >>> 31 === 0) {
        try {
          const o = decodeObjref(objref);
          if (o.kind === 'standard') this.learn(o.std.ipid, out.propsOut.iids[i] ?? o.iid);
        } catch {
          // nothing learnt from this one
        }
      }
    });
  }

  /** Every MInterfacePointer ({ulCntData, abData}) in a decoded value, to a bounded depth. */
  private walk(v: unknown, depth: number): void {
    if (depth > 16) return;
    if (Array.isArray(v)) {
      for (const x of v) this.walk(x, depth + 1);
      return;
    }
    if (!isObject(v)) return;
    if (typeof v.ulCntData === 'number' && Buffer.isBuffer(v.abData)) {
      this.learnObjref(v.abData);
      return;
    }
    for (const x of Object.values(v)) this.walk(x, depth + 1);
  }
}
