import { NdrReader, type NdrReaderLimits, DEFAULT_NDR_READER_LIMITS } from './reader.js';
import type { NdrType, Scope } from './type.js';
import { NdrWriter } from './writer.js';

export * from './error.js';
export * from './guid.js';
export * from './reader.js';
export * from './writer.js';
export * from './type.js';
export * from './primitives.js';
export * from './struct.js';
export * from './pointer.js';
export * from './array.js';
export * from './string.js';
export * from './union.js';
export * from './serialization.js';

/**
 * The size of the last stream each type was marshalled to, up to SIZE_HINT_MAX: the next
 * writer for that type starts that big. A Next response of 64 shadow copies (28 KiB) grew
 * from 256 octets by doubling, eight allocations and copies, for every call.
 */
const sizeHints = new WeakMap<NdrType<any>, number>();
const SIZE_HINT_MAX = 256 * 1024;

/** Marshals `value` as a top-level value (scalars, then its deferred referents). */
export function ndrEncode<T>(type: NdrType<T>, value: T, scope?: Scope, w?: NdrWriter): Buffer {
  const hinted = w === undefined;
  w ??= new NdrWriter(sizeHints.get(type) ?? 256);
  type.writeScalars(w, value, scope, false);
  type.writeBuffers(w, value, scope);
  if (hinted) sizeHints.set(type, Math.max(64, Math.min(w.offset, SIZE_HINT_MAX)));
  return w.finish();
}

/** Unmarshals a top-level value from `buf` in the given byte order. */
export function ndrDecode<T>(
  type: NdrType<T>,
  buf: Buffer,
  littleEndian = true,
  scope?: Scope,
  limits: NdrReaderLimits = DEFAULT_NDR_READER_LIMITS,
): T {
  const r = new NdrReader(buf, littleEndian, limits);
  const partial = type.readScalars(r, scope, undefined);
  return type.readBuffers(r, partial, scope);
}
