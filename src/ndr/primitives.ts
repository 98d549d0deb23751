import { NdrError } from './error.js';
import { readGuid, writeGuid, type Guid } from './guid.js';
import type { NdrReader } from './reader.js';
import type { NdrType } from './type.js';
import type { NdrWriter } from './writer.js';

/** A type with no embedded pointers whose scalar part is its whole representation. */
function primitive<T>(
  name: string,
  size: number,
  read: (r: NdrReader) => T,
  write: (w: NdrWriter, v: T) => void,
): NdrType<T> {
  return {
    name,
    align: size,
    minSize: size,
    conformant: false,
    deferred: false,
    // The type's own functions, not a wrapper shared by every primitive (whose call of
    // `write` would see them all: see specialize.ts). They ignore the further arguments.
    writeScalars: write,
    writeBuffers: () => {},
    readScalars: read,
    readBuffers: (_r, v) => v,
  };
}

export const u8 = primitive<number>('unsigned small', 1, (r) => r.u8(), (w, v) => w.u8(v));
export const i8 = primitive<number>('small', 1, (r) => r.i8(), (w, v) => w.i8(v));
export const u16 = primitive<number>('unsigned short', 2, (r) => r.u16(), (w, v) => w.u16(v));
export const i16 = primitive<number>('short', 2, (r) => r.i16(), (w, v) => w.i16(v));
export const u32 = primitive<number>('unsigned long', 4, (r) => r.u32(), (w, v) => w.u32(v));
export const i32 = primitive<number>('long', 4, (r) => r.i32(), (w, v) => w.i32(v));
export const u64 = primitive<bigint>('unsigned hyper', 8, (r) => r.u64(), (w, v) => w.u64(v));
export const i64 = primitive<bigint>('hyper', 8, (r) => r.i64(), (w, v) => w.i64(v));
export const f32 = primitive<number>('float', 4, (r) => r.f32(), (w, v) => w.f32(v));
export const f64 = primitive<number>('double', 8, (r) => r.f64(), (w, v) => w.f64(v));

/** IDL `boolean`: one octet, zero false, anything else true. */
export const boolean8 = primitive<boolean>('boolean', 1, (r) => r.u8() !== 0, (w, v) => w.u8(v ? 1 : 0));
/** IDL `char`: one octet; the character set is ASCII (EBCDIC peers are refused at the PDU layer). */
export const char = u8;
/** IDL `wchar_t`: a UTF-16 code unit. */
export const wchar = u16;
export const byte = u8;

/** error_status_t: a 32-bit status code, unsigned. */
export const error_status_t = u32;
/** HRESULT: kept unsigned (0x80070005, not -2147024891) so values read as the spec prints them. */
export const HRESULT = u32;

/** A 16-bit NDR enum; C706 limits its values to 0..32767. */
export const enum16 = primitive<number>(
  'enum',
  2,
  (r) => {
    const v = r.u16();
    if (v > 0x7fff) throw new NdrError(`enum value ${v} out of range`);
    return v;
  },
  (w, v) => w.u16(v),
);
/** `[v1_enum]`: a 32-bit enum. */
export const v1_enum = primitive<number>('v1_enum', 4, (r) => r.u32(), (w, v) => w.u32(v));

export const GUID: NdrType<Guid> = {
  name: 'GUID',
  align: 4,
  minSize: 16,
  conformant: false,
  deferred: false,
  writeScalars(w, v) {
    w.align(4);
    const at = w.offset;
    w.reserve(16);
    writeGuid(w.buf, at, v);
    w.offset = at + 16;
    // Data1, Data2 and Data3 follow the stream's byte order; Data4 is eight plain octets.
    if (!w.littleEndian) {
      w.buf.subarray(at, at + 4).swap32();
      w.buf.subarray(at + 4, at + 8).swap16();
    }
  },
  writeBuffers() {},
  readScalars(r) {
    r.align(4);
    const at = r.offset;
    r.skip(16);
    return readGuid(r.buf, at, r.littleEndian);
  },
  readBuffers: (_r, v) => v,
};
export const UUID = GUID;

/** `[range(min, max)]`: a value outside the range is bad stub data, as MIDL's checks make it. */
export function range(t: NdrType<number>, min: number, max: number): NdrType<number> {
  return {
    ...t,
    name: `${t.name} range(${min},${max})`,
    readScalars(r, scope, c) {
      const v = t.readScalars(r, scope, c) as number;
      if (v < min || v > max) throw new NdrError(`${v} outside range(${min},${max})`);
      return v;
    },
  };
}
