import { NdrError } from './error.js';
import type { NdrReader } from './reader.js';
import type { NdrType, Scope } from './type.js';
import type { NdrWriter } from './writer.js';
import { specialize } from './specialize.js';

/**
 * A size_is / length_is expression: reads sibling fields (or parameters) of the array.
 * It may return undefined when the value is not in scope (a client decoding an [out]
 * array sized by an [in] parameter), in which case the wire's count is taken as it is,
 * still bounded by the bytes present.
 */
export type CountExpr = (scope: any) => number | undefined;

interface ArrayOpts {
  sizeIs?: CountExpr;
  lengthIs?: CountExpr;
}

/** The element loops of one array type. */
interface Items {
  write(w: NdrWriter, items: readonly any[], scope: Scope): void;
  writeBuffers(w: NdrWriter, items: readonly any[], scope: Scope): void;
  read(r: NdrReader, count: number, scope: Scope): any[];
  readBuffers(r: NdrReader, items: any[], scope: Scope): any[];
}

/**
 * The loops over the elements, made for each array type with `elem` a constant of their
 * own (see specialize.ts): an array of 64 VSS_OBJECT_PROP is one call site per element.
 */
function itemsOf(elem: NdrType<any>): Items {
  return specialize<Items>(
    `return {
  write(w, items, scope) {
    for (let i = 0; i < items.length; i++) elem.writeScalars(w, items[i], scope, false);
  },
  writeBuffers(w, items, scope) {
    if (!elem.deferred) return;
    for (let i = 0; i < items.length; i++) elem.writeBuffers(w, items[i], scope);
  },
  read(r, count, scope) {
    r.checkCount(count, elem.minSize);
    const out = new Array(count);
    for (let i = 0; i < count; i++) out[i] = elem.readScalars(r, scope, undefined);
    return out;
  },
  readBuffers(r, items, scope) {
    if (!elem.deferred) return items;
    for (let i = 0; i < items.length; i++) items[i] = elem.readBuffers(r, items[i], scope);
    return items;
  },
};`,
    { elem },
  );
}

function checkExpr(expr: CountExpr | undefined, scope: Scope, wire: number, what: string): void {
  if (!expr) return;
  const want = expr(scope);
  if (want !== undefined && want !== wire) {
    throw new NdrError(`${what} ${wire} does not match its correlated value ${want}`);
  }
}

function expected(expr: CountExpr | undefined, scope: Scope, fallback: number): number {
  const v = expr?.(scope);
  return v === undefined ? fallback : v;
}

/** `T a[N]`: exactly N elements, no header. */
export function fixedArray<T>(elem: NdrType<T>, n: number): NdrType<T[]> {
  const items = itemsOf(elem);
  return {
    name: `${elem.name}[${n}]`,
    align: elem.align,
    minSize: elem.minSize * n,
    conformant: false,
    deferred: elem.deferred,
    writeScalars(w, v, scope) {
      if (v.length !== n) throw new TypeError(`${elem.name}[${n}] given ${v.length} elements`);
      items.write(w, v, scope);
    },
    writeBuffers: items.writeBuffers,
    readScalars: (r, scope) => items.read(r, n, scope),
    readBuffers: items.readBuffers,
  };
}

/**
 * `T a[n]` where n is a sibling field read earlier: the elements only, with no max_count on
 * the wire. NDR proper never sends an array so, but the PDUs of C706 chapter 12 do
 * (p_cont_elem[n_context_elem]); Samba's dcerpc.idl declares them the same way. `sizeIs`
 * sees the scope the enclosing layout passes. Reading checks the count against the bytes
 * left before anything is allocated; writing checks it when the scope knows it.
 */
export function inlineArray<T>(elem: NdrType<T>, sizeIs: CountExpr): NdrType<T[]> {
  const items = itemsOf(elem);
  return {
    name: `${elem.name}[n]`,
    align: elem.align,
    minSize: 0,
    conformant: false,
    deferred: elem.deferred,
    writeScalars(w, v, scope) {
      const want = sizeIs(scope);
      if (want !== undefined && want !== v.length) throw new TypeError(`${elem.name}[${want}] given ${v.length} elements`);
      items.write(w, v, scope);
    },
    writeBuffers: items.writeBuffers,
    readScalars(r, scope) {
      const n = sizeIs(scope);
      if (n === undefined) throw new NdrError(`${elem.name}[n]: the count is not in scope`);
      return items.read(r, n, scope);
    },
    readBuffers: items.readBuffers,
  };
}

/** `[size_is(...)] T a[]`: max_count, then the elements. */
export function conformantArray<T>(elem: NdrType<T>, opts: ArrayOpts = {}): NdrType<T[]> {
  const items = itemsOf(elem);
  const maxOf = (v: readonly T[], scope: Scope) => {
    const m = expected(opts.sizeIs, scope, v.length);
    if (v.length !== m) throw new TypeError(`conformant array of ${elem.name}: ${v.length} elements, size_is ${m}`);
    return m;
  };
  return {
    name: `${elem.name}[]`,
    // Inside a structure only the elements stay inline (the max_count is hoisted).
    align: elem.align,
    minSize: 4,
    conformant: true,
    deferred: elem.deferred,
    writeConformance: (w, v, scope) => w.u32(maxOf(v, scope)),
    readConformance: (r) => r.u32(),
    writeScalars(w, v, scope, hoisted) {
      if (!hoisted) w.u32(maxOf(v, scope));
      items.write(w, v, scope);
    },
    writeBuffers: items.writeBuffers,
    readScalars(r, scope, conformance) {
      const max = conformance ?? r.u32();
      checkExpr(opts.sizeIs, scope, max, 'max_count');
      return items.read(r, max, scope);
    },
    readBuffers: items.readBuffers,
  };
}

/** `[length_is(...)] T a[N]`: offset and actual_count, then the elements sent. */
export function varyingArray<T>(elem: NdrType<T>, n: number, opts: ArrayOpts = {}): NdrType<T[]> {
  const items = itemsOf(elem);
  return {
    name: `${elem.name}[${n}] varying`,
    align: Math.max(4, elem.align),
    minSize: 8,
    conformant: false,
    deferred: elem.deferred,
    writeScalars(w, v, scope) {
      if (v.length > n) throw new TypeError(`varying array of ${n} given ${v.length} elements`);
      w.u32(0);
      w.u32(v.length);
      items.write(w, v, scope);
    },
    writeBuffers: items.writeBuffers,
    readScalars(r, scope) {
      const offset = r.u32();
      const actual = r.u32();
      if (offset > n || actual > n - offset) throw new NdrError(`varying array bounds ${offset}+${actual} exceed ${n}`);
      checkExpr(opts.lengthIs, scope, actual, 'actual_count');
      return items.read(r, actual, scope);
    },
    readBuffers: items.readBuffers,
  };
}

/**
 * `[size_is(...), length_is(...)] T a[]`: max_count (hoisted when inside a structure),
 * offset, actual_count, then the elements sent. Encoding always uses offset 0. Decoding
 * yields the elements sent; the offset must keep them inside max_count.
 */
export function conformantVaryingArray<T>(elem: NdrType<T>, opts: ArrayOpts = {}): NdrType<T[]> {
  const items = itemsOf(elem);
  const maxOf = (v: readonly T[], scope: Scope) => {
    const m = expected(opts.sizeIs, scope, v.length);
    if (v.length > m) throw new TypeError(`conformant varying array: ${v.length} elements exceed size_is ${m}`);
    return m;
  };
  return {
    name: `${elem.name}[] varying`,
    align: Math.max(4, elem.align),
    minSize: 12,
    conformant: true,
    deferred: elem.deferred,
    writeConformance: (w, v, scope) => w.u32(maxOf(v, scope)),
    readConformance: (r) => r.u32(),
    writeScalars(w, v, scope, hoisted) {
      if (!hoisted) w.u32(maxOf(v, scope));
      const len = expected(opts.lengthIs, scope, v.length);
      if (len !== v.length) throw new TypeError(`length_is ${len} but ${v.length} elements given`);
      w.u32(0);
      w.u32(v.length);
      items.write(w, v, scope);
    },
    writeBuffers: items.writeBuffers,
    readScalars(r, scope, conformance) {
      const max = conformance ?? r.u32();
      checkExpr(opts.sizeIs, scope, max, 'max_count');
      const offset = r.u32();
      const actual = r.u32();
      if (offset > max || actual > max - offset) {
        throw new NdrError(`conformant varying array bounds ${offset}+${actual} exceed max_count ${max}`);
      }
      checkExpr(opts.lengthIs, scope, actual, 'actual_count');
      return items.read(r, actual, scope);
    },
    readBuffers: items.readBuffers,
  };
}

/** Octet arrays as Buffers (copies, so a value never pins a whole PDU in memory). */
export function fixedBytes(n: number): NdrType<Buffer> {
  return {
    name: `byte[${n}]`,
    align: 1,
    minSize: n,
    conformant: false,
    deferred: false,
    writeScalars(w, v) {
      if (v.length !== n) throw new TypeError(`byte[${n}] given ${v.length} bytes`);
      w.bytes(v);
    },
    writeBuffers() {},
    readScalars: (r) => Buffer.from(r.bytes(n)),
    readBuffers: (_r, v) => v,
  };
}

export function conformantBytes(opts: ArrayOpts = {}): NdrType<Buffer> {
  const maxOf = (v: Buffer, scope: Scope) => {
    const m = expected(opts.sizeIs, scope, v.length);
    if (m !== v.length) throw new TypeError(`byte[] of ${v.length} with size_is ${m}`);
    return m;
  };
  return {
    name: 'byte[]',
    align: 1,
    minSize: 4,
    conformant: true,
    deferred: false,
    writeConformance: (w, v, scope) => w.u32(maxOf(v, scope)),
    readConformance: (r) => r.u32(),
    writeScalars(w, v, scope, hoisted) {
      if (!hoisted) w.u32(maxOf(v, scope));
      w.bytes(v);
    },
    writeBuffers() {},
    readScalars(r, scope, conformance) {
      const max = conformance ?? r.u32();
      checkExpr(opts.sizeIs, scope, max, 'max_count');
      return Buffer.from(r.bytes(max));
    },
    readBuffers: (_r, v) => v,
  };
}

export function conformantVaryingBytes(opts: ArrayOpts = {}): NdrType<Buffer> {
  return {
    name: 'byte[] varying',
    align: 4,
    minSize: 12,
    conformant: true,
    deferred: false,
    writeConformance: (w, v, scope) => w.u32(expected(opts.sizeIs, scope, v.length)),
    readConformance: (r) => r.u32(),
    writeScalars(w, v, scope, hoisted) {
      const max = expected(opts.sizeIs, scope, v.length);
      if (v.length > max) throw new TypeError(`byte[] varying: ${v.length} bytes exceed size_is ${max}`);
      if (!hoisted) w.u32(max);
      w.u32(0);
      w.u32(v.length);
      w.bytes(v);
    },
    writeBuffers() {},
    readScalars(r, scope, conformance) {
      const max = conformance ?? r.u32();
      checkExpr(opts.sizeIs, scope, max, 'max_count');
      const offset = r.u32();
      const actual = r.u32();
      if (offset > max || actual > max - offset) throw new NdrError(`byte array bounds ${offset}+${actual} exceed ${max}`);
      checkExpr(opts.lengthIs, scope, actual, 'actual_count');
      return Buffer.from(r.bytes(actual));
    },
    readBuffers: (_r, v) => v,
  };
}
