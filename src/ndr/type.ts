import type { NdrReader } from './reader.js';
import type { NdrWriter } from './writer.js';

/**
 * The values of fields and parameters already decoded or about to be encoded, seen by a
 * size_is / length_is / switch_is expression of a sibling.
 */
export type Scope = Readonly<Record<string, unknown>> | undefined;

/**
 * One NDR type, declared once, from which both directions are derived.
 *
 * NDR lays a constructed value out in two passes, as MIDL and PIDL do: the scalars (the
 * inline part: primitives, referent ids, array headers) and then the buffers (the referents
 * of embedded pointers, in field order, each referent complete with its own buffers before
 * the next). A conformant structure carries the conformance of its trailing array at its
 * very front; `hoisted` / `conformance` pass that value between the structure and the array.
 *
 * Decoding works the same way: readScalars returns a partial value (pointers not yet
 * followed), readBuffers completes it.
 */
export interface NdrType<T> {
  readonly name: string;
  /** Alignment of the scalar part, in bytes. */
  readonly align: number;
  /** The fewest bytes the scalar part can occupy: bounds counts against the bytes left. */
  readonly minSize: number;
  /** A conformant array or string, or a structure that ends in one. */
  readonly conformant: boolean;
  /** Has embedded pointers, so a buffers pass is needed. */
  readonly deferred: boolean;
  writeScalars(w: NdrWriter, v: T, scope: Scope, hoisted: boolean): void;
  writeBuffers(w: NdrWriter, v: T, scope: Scope): void;
  /** Only for conformant types: the max_count(s) that a structure hoists to its front. */
  writeConformance?(w: NdrWriter, v: T, scope: Scope): void;
  readConformance?(r: NdrReader): number;
  readScalars(r: NdrReader, scope: Scope, conformance: number | undefined): any;
  readBuffers(r: NdrReader, partial: any, scope: Scope): T;
}

export type TypeOf<X> = X extends NdrType<infer V> ? V : never;

export type Fields = Record<string, NdrType<any>>;
export type StructOf<F extends Fields> = { [K in keyof F]: TypeOf<F[K]> };
