import type { Fields, NdrType, StructOf } from './type.js';
import { prop, specialize } from './specialize.js';

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

  const t = types.map((_, i) => `t${i}`);
  const bind: Record<string, unknown> = { align, conformant };
  types.forEach((ty, i) => (bind[t[i]!] = ty));
  // Each step written out with its own type's constant: see specialize.ts.
  const code = specialize<Pick<NdrType<any>, 'writeScalars' | 'writeBuffers' | 'readScalars' | 'readBuffers'>>(
    `let self;
return {
  bindSelf(s) { self = s; },
  writeScalars(w, v, _scope, hoisted) {
    if (conformant && !hoisted) self.writeConformance(w, v, _scope);
    w.align(align);
${keys.map((k, i) => `    ${t[i]}.writeScalars(w, ${prop('v', k)}, v, ${conformant && i === n - 1 ? 'true' : 'false'});`).join('\n')}
  },
  writeBuffers(w, v) {
${deferredIdx.map((i) => `    ${t[i]}.writeBuffers(w, ${prop('v', keys[i]!)}, v);`).join('\n')}
  },
  readScalars(r, _scope, conformance) {
    r.enter();
    if (conformant && conformance === undefined) conformance = self.readConformance(r);
    r.align(align);
    const o = {};
${keys.map((k, i) => `    ${prop('o', k)} = ${t[i]}.readScalars(r, o, ${i === n - 1 ? 'conformance' : 'undefined'});`).join('\n')}
    r.leave();
    return o;
  },
  readBuffers(r, o) {
${deferredIdx.length === 0 ? '    return o;' : `    r.enter();\n${deferredIdx.map((i) => `    ${prop('o', keys[i]!)} = ${t[i]}.readBuffers(r, ${prop('o', keys[i]!)}, o);`).join('\n')}\n    r.leave();\n    return o;`}
  },
};`,
    bind,
  );
  const self: NdrType<StructOf<F>> = {
    name,
    align,
    minSize,
    conformant,
    deferred: deferredIdx.length > 0,
    writeScalars: code.writeScalars,
    writeBuffers: code.writeBuffers,
    readScalars: code.readScalars,
    readBuffers: code.readBuffers,
  };
  (code as unknown as { bindSelf(s: unknown): void }).bindSelf(self);
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
  const bind: Record<string, unknown> = {};
  types.forEach((ty, i) => (bind[`t${i}`] = ty));
  // Written out per parameter list, each parameter's type a constant: see specialize.ts.
  const code = specialize<Pick<NdrType<any>, 'writeScalars' | 'readScalars'>>(
    `return {
  writeScalars(w, v, scope) {
    const s = scope ?? v;
    let x;
${keys.map((k, i) => `    x = ${prop('v', k)};\n    t${i}.writeScalars(w, x, s, false);${types[i]!.deferred ? `\n    t${i}.writeBuffers(w, x, s);` : ''}`).join('\n')}
  },
  readScalars(r, scope) {
    const o = scope ? Object.create(scope) : {};
    const out = {};
    let x;
${keys.map((k, i) => `    x = t${i}.readScalars(r, o, undefined);${types[i]!.deferred ? `\n    x = t${i}.readBuffers(r, x, o);` : ''}\n    ${prop('o', k)} = x;\n    ${prop('out', k)} = x;`).join('\n')}
    return out;
  },
};`,
    bind,
  );
  return {
    name,
    align: 1,
    minSize: types.reduce((a, t) => a + t.minSize, 0),
    conformant: false,
    deferred: false,
    writeScalars: code.writeScalars,
    writeBuffers() {},
    readScalars: code.readScalars,
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
