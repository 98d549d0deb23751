import { NdrError } from './error.js';
import type { NdrType, TypeOf } from './type.js';
import { specialize } from './specialize.js';

/** An arm table: discriminant value → arm type (null for an empty arm). */
export type Arms = Record<number, NdrType<any> | null>;

/** The TypeScript shape of a union value: which arm, and that arm's value. */
export type UnionOf<A extends Arms> = {
  [K in keyof A]: { tag: K extends `${infer N extends number}` ? N : number; value: A[K] extends NdrType<any> ? TypeOf<A[K]> : null };
}[keyof A];

interface UnionOpts {
  /** The `[default]` arm, taken for any discriminant not listed. Without it such a value is bad stub data. */
  default?: NdrType<any> | null;
}

function armFor(arms: Arms, opts: UnionOpts, tag: number, name: string): NdrType<any> | null {
  const a = arms[tag];
  if (a !== undefined) return a;
  if (opts.default !== undefined) return opts.default;
  throw new NdrError(`${name}: no arm for discriminant ${tag}`);
}

function unionType<A extends Arms>(
  name: string,
  disc: NdrType<number>,
  arms: A,
  opts: UnionOpts,
  encapsulated: boolean,
): NdrType<UnionOf<A>> {
  const armTypes = [...Object.values(arms), opts.default].filter((t): t is NdrType<any> => !!t);
  const armAlign = armTypes.reduce((a, t) => Math.max(a, t.align), 1);
  const deferred = armTypes.some((t) => t.deferred);
  const align = Math.max(disc.align, armAlign);
  // Made for each union type, its discriminant and arms constants of their own (see
  // specialize.ts). An encapsulated union is a structure whose second member is the union
  // proper, aligned to its most-aligned arm; like any structure it starts at its own
  // (largest member's) alignment. A non-encapsulated arm aligns only itself.
  const code = specialize<Pick<NdrType<any>, 'writeScalars' | 'writeBuffers' | 'readScalars' | 'readBuffers'>>(
    `return {
  writeScalars(w, v, scope) {
    const arm = armFor(arms, opts, v.tag, name);
    ${encapsulated ? 'w.align(align);' : ''}
    disc.writeScalars(w, v.tag, scope, false);
    ${encapsulated ? 'w.align(armAlign);' : ''}
    if (arm) arm.writeScalars(w, v.value, scope, false);
  },
  writeBuffers(w, v, scope) {
    const arm = armFor(arms, opts, v.tag, name);
    if (arm?.deferred) arm.writeBuffers(w, v.value, scope);
  },
  readScalars(r, scope) {
    ${encapsulated ? 'r.align(align);' : ''}
    const tag = disc.readScalars(r, scope, undefined);
    const arm = armFor(arms, opts, tag, name);
    ${encapsulated ? 'r.align(armAlign);' : ''}
    return { tag, value: arm ? arm.readScalars(r, scope, undefined) : null };
  },
  readBuffers(r, v, scope) {
    const arm = armFor(arms, opts, v.tag, name);
    if (arm?.deferred) v.value = arm.readBuffers(r, v.value, scope);
    return v;
  },
};`,
    { armFor, arms, opts, name, disc, align, armAlign },
  );
  return {
    name,
    align,
    minSize: disc.minSize,
    conformant: false,
    deferred,
    writeScalars: code.writeScalars,
    writeBuffers: code.writeBuffers,
    readScalars: code.readScalars,
    readBuffers: code.readBuffers,
  };
}

/**
 * `[switch_type(T)] union` used with `[switch_is(x)]`: the discriminant still travels on
 * the wire in front of the arm, although the field it copies was sent just before.
 */
export function union<A extends Arms>(name: string, disc: NdrType<number>, arms: A, opts: UnionOpts = {}): NdrType<UnionOf<A>> {
  return unionType(name, disc, arms, opts, false);
}

/** `union switch (T d) { ... }`: discriminant and arm as one structure. */
export function encapsulatedUnion<A extends Arms>(
  name: string,
  disc: NdrType<number>,
  arms: A,
  opts: UnionOpts = {},
): NdrType<UnionOf<A>> {
  return unionType(name, disc, arms, opts, true);
}
