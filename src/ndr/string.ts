import { NdrError } from './error.js';
import type { NdrReader } from './reader.js';
import type { NdrType, Scope } from './type.js';
import type { NdrWriter } from './writer.js';

/**
 * `[string]` arrays of char (octets, ASCII/latin1) or wchar_t (UTF-16LE code units). On the
 * wire the terminating NUL is part of the count; in TypeScript it is not part of the string.
 * A string whose last element is not NUL, or with a non-zero offset, is bad stub data (MIDL's
 * stubs refuse both).
 */
type Width = 1 | 2;

function readChars(r: NdrReader, count: number, width: Width): string {
  if (count === 0) throw new NdrError('string without its terminating NUL');
  r.checkCount(count, width);
  // Read from the stream's buffer in place (no view of it made per string).
  const b = r.buf;
  if (width === 1) {
    const at = r.offset;
    r.skip(count);
    if (b[at + count - 1] !== 0) throw new NdrError('string not terminated by NUL');
    return b.toString('latin1', at, at + count - 1);
  }
  r.align(2);
  const at = r.offset;
  r.skip(count * 2);
  const end = at + (count - 1) * 2;
  if (b[end] !== 0 || b[end + 1] !== 0) throw new NdrError('string not terminated by NUL');
  if (r.littleEndian) return b.toString('utf16le', at, end);
  const swapped = Buffer.from(b.subarray(at, end));
  swapped.swap16();
  return swapped.toString('utf16le');
}

/** offset (0), actual_count (the characters and their NUL), then the characters. */
function writeCounted(w: NdrWriter, s: string, width: Width): void {
  w.u32(0);
  w.u32(s.length + 1);
  if (width === 2) w.align(2);
  w.chars(s, width);
}

function readOffsetAndActual(r: NdrReader, max: number): number {
  const offset = r.u32();
  const actual = r.u32();
  if (offset !== 0) throw new NdrError(`string offset ${offset} is not 0`);
  if (actual > max) throw new NdrError(`string actual_count ${actual} exceeds max_count ${max}`);
  return actual;
}

/**
 * A conformant varying string: max_count, offset, actual_count, characters. Used
 * through a pointer (`[string] wchar_t*`) or, hoisted, as the last field of a structure.
 */
export function conformantString(width: Width, opts: { sizeIs?: (scope: any) => number | undefined } = {}): NdrType<string> {
  // With size_is the buffer (max_count) is the caller's size and the string may be shorter.
  const maxOf = (v: string, scope: Scope) => {
    const m = opts.sizeIs?.(scope) ?? v.length + 1;
    if (v.length + 1 > m) throw new TypeError(`string of ${v.length} characters exceeds size_is ${m}`);
    return m;
  };
  return {
    name: width === 2 ? '[string] wchar_t[]' : '[string] char[]',
    align: 4,
    minSize: 12,
    conformant: true,
    deferred: false,
    writeConformance: (w, v, scope) => w.u32(maxOf(v, scope)),
    readConformance: (r) => r.u32(),
    writeScalars(w, v, scope, hoisted) {
      if (!hoisted) w.u32(maxOf(v, scope));
      writeCounted(w, v, width);
    },
    writeBuffers() {},
    readScalars(r, scope, conformance) {
      const max = conformance ?? r.u32();
      const want = opts.sizeIs?.(scope);
      if (want !== undefined && want !== max) throw new NdrError(`string max_count ${max} does not match size_is ${want}`);
      const actual = readOffsetAndActual(r, max);
      return readChars(r, actual, width);
    },
    readBuffers: (_r, v) => v,
  };
}

/** `[string] char s[N]`: a varying string inside a fixed buffer of N characters. */
export function varyingString(width: Width, n: number): NdrType<string> {
  return {
    name: width === 2 ? `[string] wchar_t[${n}]` : `[string] char[${n}]`,
    align: 4,
    minSize: 8,
    conformant: false,
    deferred: false,
    writeScalars(w, v) {
      if (v.length + 1 > n) throw new TypeError(`string of ${v.length} characters exceeds [string] [${n}]`);
      writeCounted(w, v, width);
    },
    writeBuffers() {},
    readScalars(r) {
      const actual = readOffsetAndActual(r, n);
      return readChars(r, actual, width);
    },
    readBuffers: (_r, v) => v,
  };
}

/** `[string] wchar_t*` referent and `[string] char*` referent. */
export const wstring = conformantString(2);
export const cstring = conformantString(1);
