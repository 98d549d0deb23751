import type { NdrReader } from './reader.js';
import type { Fields, NdrType, Scope, StructOf } from './type.js';
import type { NdrWriter } from './writer.js';

/**
 * A structure. Fields are laid out in declaration order; the structure aligns to its
 * most-aligned field. When its last field is conformant, the conformance travels at the
 * front of the structure (aligned to 4), ahead of the structure's own alignment.
 */
export function struct<F extends Fields>(name: string, fields: F): NdrType<StructOf<F>> {
  const keys = Object.keys(fields);
  const types = keys.map((k) => fields[k]!);
  const n = keys.length;
  const last = types[n - 1];
  const conformant = last !== undefined && last.conformant;
  const align = types.reduce((a, t) => Math.max(a, t.align), 1);
  const minSize = types.reduce((a, t) => a + t.minSize, 0) + (conformant ? 4 : 0);
  const deferredIdx = types.flatMap((t, i) => (t.deferred ? [i] : []));

  const self: NdrType<StructOf<F>> = {
    name,
    align,
    minSize,
    conformant,
    deferred: deferredIdx.length > 0,
    writeScalars(w: NdrWriter, v: any, _scope: Scope, hoisted: boolean) {
      if (conformant && !hoisted) self.writeConformance!(w, v, _scope);
      w.align(align);
      for (let i = 0; i < n; i++) types[i]!.writeScalars(w, v[keys[i]!], v, conformant && i === n - 1);
    },
    writeBuffers(w: NdrWriter, v: any) {
      for (const i of deferredIdx) types[i]!.writeBuffers(w, v[keys[i]!], v);
    },
    readScalars(r: NdrReader, _scope: Scope, conformance: number | undefined) {
      r.enter();
      if (conformant && conformance === undefined) conformance = self.readConformance!(r);
      r.align(align);
      const o: any = {};
      for (let i = 0; i < n; i++) {
        o[keys[i]!] = types[i]!.readScalars(r, o, i === n - 1 ? conformance : undefined);
      }
      r.leave();
      return o;
    },
    readBuffers(r: NdrReader, o: any) {
      if (deferredIdx.length === 0) return o;
      r.enter();
      for (const i of deferredIdx) o[keys[i]!] = types[i]!.readBuffers(r, o[keys[i]!], o);
      r.leave();
      return o;
    },
  };
  if (conformant) {
    self.writeConformance = (w, v: any) => last!.writeConformance!(w, v[keys[n - 1]!], v);
    self.readConformance = (r) => last!.readConformance!(r);
  }
  return self;
}

/**
 * The parameter list of one direction of a call. Unlike a structure, each top-level
 * parameter is marshalled whole — scalars, then its own deferred referents — before the
 * next parameter begins, and there is no alignment of the list as a unit.
 * Expressions (size_is and the like) see every parameter of `scope`, which for a
 * response holds the request's [in] values as well.
 */
export function params<F extends Fields>(name: string, fields: F): NdrType<StructOf<F>> {
  const keys = Object.keys(fields);
  const types = keys.map((k) => fields[k]!);
  return {
    name,
    align: 1,
    minSize: types.reduce((a, t) => a + t.minSize, 0),
    conformant: false,
    deferred: false,
    writeScalars(w, v: any, scope) {
      const s = scope ?? v;
      for (let i = 0; i < keys.length; i++) {
        const t = types[i]!;
        const x = v[keys[i]!];
        t.writeScalars(w, x, s, false);
        if (t.deferred) t.writeBuffers(w, x, s);
      }
    },
    writeBuffers() {},
    readScalars(r, scope) {
      const o: any = scope ? Object.create(scope) : {};
      const out: any = {};
      for (let i = 0; i < keys.length; i++) {
        const t = types[i]!;
        let x = t.readScalars(r, o, undefined);
        if (t.deferred) x = t.readBuffers(r, x, o);
        o[keys[i]!] = x;
        out[keys[i]!] = x;
      }
      return out;
    },
    readBuffers: (_r, v) => v,
  };
}

/** A reference to a type declared later (recursive types). */
export function lazy<T>(name: string, get: () => NdrType<T>): NdrType<T> {
  let t: NdrType<T> | undefined;
  const resolve = () => (t ??= get());
  return {
    name,
    get align() {
      return resolve().align;
    },
    get minSize() {
      return resolve().minSize;
    },
    get conformant() {
      return resolve().conformant;
    },
    get deferred() {
      return resolve().deferred;
    },
    writeScalars: (w, v, s, h) => resolve().writeScalars(w, v, s, h),
    writeBuffers: (w, v, s) => resolve().writeBuffers(w, v, s),
    writeConformance: (w, v, s) => resolve().writeConformance!(w, v, s),
    readConformance: (r) => resolve().readConformance!(r),
    readScalars: (r, s, c) => resolve().readScalars(r, s, c),
    readBuffers: (r, p, s) => resolve().readBuffers(r, p, s),
  };
}
