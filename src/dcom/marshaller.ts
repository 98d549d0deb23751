import type { CallContext } from '../dcerpc/registry.js';
import type { Guid } from '../ndr/guid.js';
import { clientKey } from './client-key.js';
import type { ComObject, ObjectExporter } from './exporter.js';
import type { HostBindings } from './host-bindings.js';
import { encodeObjref } from './objref.js';
import type { MInterfacePointer_T } from './orpc.js';

/** References each interface pointer handed out carries, as Windows hands them out. */
export const PUBLIC_REFS = 5;

/**
 * Turns exported objects into interface pointers for one caller (MS-DCOM 3.1.1.5.1): the
 * exporter gives the STDOBJREF, the host's resolver bindings complete the OBJREF_STANDARD.
 * Activation, RemQueryInterface2 and every method that returns an object use it.
 */
export class Marshaller {
  constructor(
    readonly exporter: ObjectExporter,
    readonly bindings: HostBindings,
  ) {}

  /** Exports `object` for the caller; undefined when the caller holds too many objects. */
  exportObject(object: ComObject, call: CallContext): { oid: bigint } | undefined {
    return this.exporter.exportObject(object, clientKey(call));
  }

  /** The OBJREF bytes of `iid` on object `oid` with `cPublicRefs` references, or undefined. */
  objref(oid: bigint, iid: Guid, cPublicRefs: number, call: CallContext): Buffer | undefined {
    const std = this.exporter.marshal(oid, iid, cPublicRefs);
    return std ? encodeObjref({ kind: 'standard', iid, std, resolver: this.bindings.resolver(call) }) : undefined;
  }

  /** A new object exported for the caller, as the MInterfacePointer of `iid`; undefined when refused. */
  exportInterface(object: ComObject, iid: Guid, call: CallContext, cPublicRefs = PUBLIC_REFS): MInterfacePointer_T | undefined {
    const exported = this.exportObject(object, call);
    const objref = exported ? this.objref(exported.oid, iid, cPublicRefs, call) : undefined;
    return objref ? { ulCntData: objref.length, abData: objref } : undefined;
  }
}
