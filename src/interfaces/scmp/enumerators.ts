import type { CallContext } from '../../dcerpc/registry.js';
import { implement, type ServedInterface } from '../../dcerpc/registry.js';
import type { ComObject } from '../../dcom/exporter.js';
import { checkOrpcThis, targetIpid } from '../../dcom/orpc-checks.js';
import { NO_EXTENSIONS_THAT, type ORPCTHIS_T } from '../../dcom/orpc.js';
import type { ObjectExporter } from '../../dcom/exporter.js';
import type { Guid } from '../../ndr/guid.js';
import { IVssEnumMgmtObject, IVssEnumObject } from './idl.js';
import { E_INVALIDARG, IID_IVssEnumMgmtObject, IID_IVssEnumObject, S_FALSE, S_OK, type VSS_MGMT_OBJECT_PROP_T, type VSS_OBJECT_PROP_T } from './types.js';

/**
 * An enumerator object (IVssEnumObject or IVssEnumMgmtObject): a snapshot of a collection
 * taken when it was created, and a cursor, with the COM enumerator rules.
 */
export class Enumerator<T> implements ComObject {
  readonly clsid: Guid;
  cursor = 0;

  constructor(
    readonly iid: Guid,
    readonly items: readonly T[],
  ) {
    this.clsid = iid;
  }

  supports(iid: Guid): boolean {
    return iid === this.iid;
  }

  /**
   * Next (3.1.2.1, 3.1.3.1): celt 0 is E_INVALIDARG (the table's row); otherwise up to celt
   * items from the cursor, S_FALSE when there were fewer.
   */
  next(celt: number): { items: T[]; hr: number } {
    if (celt === 0) return { items: [], hr: E_INVALIDARG };
    const items = this.items.slice(this.cursor, this.cursor + celt);
    this.cursor += items.length;
    return { items, hr: items.length < celt ? S_FALSE : S_OK };
  }

  /**
   * Skip (3.1.2.2, 3.1.3.2): the server "MUST verify that celt is greater than zero"; the
   * table names no code for it, so it is Next's for the same rule, E_INVALIDARG, and the
   * cursor stays. Skipping more than remain moves to the end and is S_FALSE.
   */
  skip(celt: number): number {
    if (celt === 0) return E_INVALIDARG;
    const left = this.items.length - this.cursor;
    this.cursor += Math.min(celt, left);
    return celt > left ? S_FALSE : S_OK;
  }

  clone(): Enumerator<T> {
    const c = new Enumerator<T>(this.iid, this.items);
    c.cursor = this.cursor;
    return c;
  }
}

export interface EnumServices {
  exporter: ObjectExporter;
  /** The caller may use MS-SCMP (the policy's group check); otherwise E_ACCESSDENIED. */
  allowsCaller(iid: Guid, call: CallContext): boolean;
  /** Exports `object` for the caller and marshals one interface of it. */
  exportInterface(object: ComObject, iid: Guid, call: CallContext): { ulCntData: number; abData: Buffer } | undefined;
}

const E_ACCESSDENIED = 0x80070005;
const E_OUTOFMEMORY = 0x8007000e;

/** Both enumerator interfaces: the same four methods over their own element type. */
export function serveEnumerators(s: EnumServices): ServedInterface[] {
  const enter = <T>(iid: Guid, orpc: ORPCTHIS_T, call: CallContext): { e: Enumerator<T> } | { hr: number } => {
    const { object } = targetIpid(call, s.exporter, iid);
    const bad = checkOrpcThis(orpc);
    if (bad) return { hr: bad };
    if (!s.allowsCaller(iid, call)) return { hr: E_ACCESSDENIED };
    return { e: object as Enumerator<T> };
  };
  const handlers = <T>(iid: Guid) => ({
    Next(a: { ORPCthis: ORPCTHIS_T; celt: number }, call: CallContext) {
      const r = enter<T>(iid, a.ORPCthis, call);
      if ('hr' in r) return { ORPCthat: NO_EXTENSIONS_THAT, rgelt: [] as T[], pceltFetched: 0, hr: r.hr };
      const { items, hr } = r.e.next(a.celt);
      return { ORPCthat: NO_EXTENSIONS_THAT, rgelt: items, pceltFetched: items.length, hr };
    },
    Skip(a: { ORPCthis: ORPCTHIS_T; celt: number }, call: CallContext) {
      const r = enter<T>(iid, a.ORPCthis, call);
      if ('hr' in r) return { ORPCthat: NO_EXTENSIONS_THAT, hr: r.hr };
      return { ORPCthat: NO_EXTENSIONS_THAT, hr: r.e.skip(a.celt) };
    },
    Reset(a: { ORPCthis: ORPCTHIS_T }, call: CallContext) {
      const r = enter<T>(iid, a.ORPCthis, call);
      if ('hr' in r) return { ORPCthat: NO_EXTENSIONS_THAT, hr: r.hr };
      r.e.cursor = 0;
      return { ORPCthat: NO_EXTENSIONS_THAT, hr: S_OK };
    },
    Clone(a: { ORPCthis: ORPCTHIS_T }, call: CallContext) {
      const r = enter<T>(iid, a.ORPCthis, call);
      if ('hr' in r) return { ORPCthat: NO_EXTENSIONS_THAT, ppenum: null, hr: r.hr };
      const ptr = s.exportInterface(r.e.clone(), iid, call);
      return { ORPCthat: NO_EXTENSIONS_THAT, ppenum: ptr ?? null, hr: ptr ? S_OK : E_OUTOFMEMORY };
    },
  });
  return [
    implement(IVssEnumObject, handlers<VSS_OBJECT_PROP_T>(IID_IVssEnumObject)),
    implement(IVssEnumMgmtObject, handlers<VSS_MGMT_OBJECT_PROP_T>(IID_IVssEnumMgmtObject)),
  ];
}
