import { NdrError } from './error.js';
import type { NdrReader } from './reader.js';
import type { NdrType, Scope } from './type.js';
import type { NdrWriter } from './writer.js';
import { specialize } from './specialize.js';

type Kind = 'ref' | 'unique' | 'ptr';

/**
 * An embedded pointer: a referent id among the scalars, the referent among the buffers.
 * At the top level of a call a [ref] pointer has no wire form at all (declare the pointee
 * itself as the parameter), while [unique] and [ptr] pointers are written as here, their
 * referent following at once because `params` runs each parameter's buffers immediately.
 */
function pointer<T>(kind: Kind, to: NdrType<T>): NdrType<any> {
  // Made for each pointer type, `to` a constant of their own (see specialize.ts).
  const { writeReferent, readReferent } = specialize<{
    writeReferent(w: NdrWriter, v: T, scope: Scope): void;
    readReferent(r: NdrReader, scope: Scope): T;
  }>(
    `return {
  writeReferent(w, v, scope) {
    to.writeScalars(w, v, scope, false);
    to.writeBuffers(w, v, scope);
  },
  readReferent(r, scope) {
    r.enter();
    const partial = to.readScalars(r, scope, undefined);
    const v = to.readBuffers(r, partial, scope);
    r.leave();
    return v;
  },
};`,
    { to },
  );
  return {
    name: `[${kind}] ${to.name}*`,
    align: 4,
    minSize: 4,
    conformant: false,
    deferred: true,
    writeScalars(w, v) {
      if (v === null || v === undefined) {
        if (kind === 'ref') throw new TypeError(`[ref] pointer to ${to.name} must not be null`);
        w.u32(0);
      } else {
        w.u32(w.referentId());
      }
    },
    writeBuffers(w, v, scope) {
      if (v !== null && v !== undefined) writeReferent(w, v, scope);
    },
    readScalars(r) {
      const id = r.u32();
      if (id === 0 && kind === 'ref') throw new NdrError(`null [ref] pointer to ${to.name}`);
      return id;
    },
    readBuffers(r, id: number, scope) {
      if (id === 0) return null;
      if (kind !== 'ptr') return readReferent(r, scope);
      // A full pointer whose id was seen before in this stream aliases that referent,
      // which is not sent again. The referent is registered as soon as its scalars are
      // read (a structure, array or union is then completed in place by its buffers), so
      // an id met again while its own referent is still being read (a cycle) aliases it
      // too. Only a pointer's partial (a bare referent id) is not yet the value.
      // An alias must name a referent of the type it was declared with: a referent id sent
      // first for a GUID and reused for a twr_t would otherwise hand the method a GUID where
      // it declared a tower. A mismatch is malformed stub data, like any other decode error.
      const seen = (r.fullPointers ??= new Map());
      const prior = seen.get(id);
      if (prior) {
        if (prior.type !== to && prior.type.name !== to.name) {
          throw new NdrError(`full pointer ${id} aliases a ${prior.type.name} as a ${to.name}`);
        }
        return prior.value;
      }
      r.enter();
      const partial = to.readScalars(r, scope, undefined);
      const inPlace = !to.deferred || (typeof partial === 'object' && partial !== null);
      const entry = { type: to as NdrType<unknown>, value: inPlace ? (partial as unknown) : undefined };
      seen.set(id, entry);
      const v = to.readBuffers(r, partial, scope);
      entry.value = v;
      r.leave();
      return v;
    },
  };
}

/** `[unique] T*` — null or a referent of its own. */
export function unique<T>(to: NdrType<T>): NdrType<T | null> {
  return pointer('unique', to);
}

/** `[ptr] T*` — a full pointer: null, a referent, or an alias of a referent already sent. */
export function full<T>(to: NdrType<T>): NdrType<T | null> {
  return pointer('ptr', to);
}

/** `[ref] T*` embedded in a structure or array: never null, but it has a referent id. */
export function ref<T>(to: NdrType<T>): NdrType<T> {
  return pointer('ref', to);
}

export function isNdrError(e: unknown): e is NdrError {
  return e instanceof NdrError;
}
