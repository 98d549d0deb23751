import type { ArgsOf, OrpcCall } from '../../dcom/dispatcher.js';
import type { ComObject } from '../../dcom/exporter.js';
import { refuse } from '../../dcom/refusal.js';
import type { Guid } from '../../ndr/guid.js';
import type { IVssEnumObject } from './idl.js';
import { E_INVALIDARG, E_OUTOFMEMORY, S_FALSE, S_OK } from './types.js';

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

type EnumArgs<K extends keyof typeof IVssEnumObject.methods> = ArgsOf<typeof IVssEnumObject, K>;

/**
 * IVssEnumObject and IVssEnumMgmtObject (MS-SCMP 3.1.2, 3.1.3): the same four methods over
 * the enumerator the IPID names, one instance registered per interface. The dispatcher
 * (src/dcom/dispatcher.ts) has checked the IPID, ORPCTHIS and the caller. Registering an
 * instance checks its methods against the interface (ObjectMethods) for its element type.
 */
export class EnumMethods<T> {
  Next(a: EnumArgs<'Next'>, call: OrpcCall<Enumerator<T>>) {
    const { items, hr } = call.target.next(a.celt);
    return { rgelt: items, pceltFetched: items.length, hr };
  }

  Skip(a: EnumArgs<'Skip'>, call: OrpcCall<Enumerator<T>>) {
    return { hr: call.target.skip(a.celt) };
  }

  Reset(_a: EnumArgs<'Reset'>, call: OrpcCall<Enumerator<T>>) {
    call.target.cursor = 0;
    return { hr: S_OK };
  }

  /** Clone (3.1.2.4, 3.1.3.4): a new enumerator at the same cursor, exported for the caller. */
  Clone(_a: EnumArgs<'Clone'>, call: OrpcCall<Enumerator<T>>) {
    const e = call.target;
    const ppenum = call.exportInterface(e.clone(), e.iid) ?? refuse(E_OUTOFMEMORY);
    return { ppenum, hr: S_OK };
  }
}
