/**
 * What the PDU layouts need of the NDR reader and writer: a byte order chosen per stream
 * (and changed by a PDU's own data representation, after its first four octets), and
 * arrays with no header whose count is a sibling read earlier (C706's PDUs:
 * p_cont_elem[n_context_elem]). The vectors are written out by hand.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GUID, NdrError, NdrReader, NdrWriter, f64, inlineArray, ndrDecode, struct, u16, u32, u64, u8 } from '../../src/ndr/index.js';
import { hex } from './helpers.js';

const OBJ = '12345678-9abc-def0-0123-456789abcdef';

describe('a big-endian writer', () => {
  it('writes every integer and a GUID big-endian, aligned as little-endian', () => {
    const w = new NdrWriter(4, false);
    w.u8(1);
    w.u16(0x0203);
    w.u32(0x04050607);
    GUID.writeScalars(w, OBJ, undefined, false);
    w.u64(0x08090a0b0c0d0e0fn);
    expect(w.finish().toString('hex')).toBe(hex('01 00 0203 04050607  12345678 9abc def0 0123456789abcdef  08090a0b0c0d0e0f').toString('hex'));
  });

  it('writes little-endian by default, as it always did', () => {
    const w = new NdrWriter();
    w.u16(0x0203);
    w.u32(0x04050607);
    GUID.writeScalars(w, OBJ, undefined, false);
    expect(w.finish().toString('hex')).toBe(hex('0302 0000 07060504  78563412 bc9a f0de 0123456789abcdef').toString('hex'));
  });

  it('round-trips any values through a reader of the same order', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 0, max: 0xffff }), fc.nat(), fc.uuid(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.double({ noNaN: true }), (le, a, b, g, c, d) => {
        const w = new NdrWriter(1, le);
        w.u8(0xaa);
        w.u16(a);
        w.u32(b);
        GUID.writeScalars(w, g, undefined, false);
        w.u64(c);
        w.f64(d);
        const r = new NdrReader(w.finish(), le);
        expect([r.u8(), r.u16(), r.u32(), GUID.readScalars(r, undefined, undefined), r.u64(), f64.readScalars(r, undefined, undefined)]).toEqual([0xaa, a, b >>> 0, g.toLowerCase(), c, d]);
        expect(r.remaining).toBe(0);
      }),
    );
  });

  it('patches a u32 in its own order', () => {
    for (const [le, want] of [
      [true, '04030201'],
      [false, '01020304'],
    ] as const) {
      const w = new NdrWriter(8, le);
      w.u32(0);
      w.patchU32(0, 0x01020304);
      expect(w.finish().toString('hex')).toBe(want);
    }
  });

  it('stores the low bits of out-of-range and negative values, as the Buffer writes did', () => {
    const w = new NdrWriter();
    w.u16(0x12345);
    w.i16(-2);
    w.u32(2 ** 32 + 5);
    w.i32(-1);
    expect(w.finish().toString('hex')).toBe('4523feff05000000ffffffff');
  });

  it('hands over its buffer when it is filled exactly, a view of it otherwise', () => {
    const w = new NdrWriter(4);
    w.u32(1);
    expect(w.finish()).toBe(w.buf);
    const v = new NdrWriter(8);
    v.u32(1);
    expect(v.finish().length).toBe(4);
  });
});

describe('a reader whose order changes mid-stream', () => {
  it('reads what follows in the new order (a PDU header sets it from packed_drep)', () => {
    const r = new NdrReader(hex('0001 0002'));
    expect(r.u16()).toBe(0x0100);
    r.littleEndian = false;
    expect(r.u16()).toBe(0x0002);
  });

  it('reads u16 and u32 as Buffer does, in both orders, at any offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.boolean(), (bytes, le) => {
        const b = Buffer.from(bytes);
        const r = new NdrReader(b, le);
        const want = le ? [b.readUInt16LE(0), b.readUInt32LE(4)] : [b.readUInt16BE(0), b.readUInt32BE(4)];
        expect([r.u16(), r.u32()]).toEqual(want);
      }),
    );
  });
});

describe('inlineArray: a sibling-sized array without a header', () => {
  const T = struct('T', { n: u8, pad: u8, items: inlineArray(u16, (s) => s?.n) });

  it('is the elements alone, counted by the sibling', () => {
    const le = hex('03 00 0100 0200 0300');
    expect(ndrDecode(T, le, true)).toEqual({ n: 3, pad: 0, items: [1, 2, 3] });
    expect(ndrDecode(T, hex('03 00 0001 0002 0003'), false)).toEqual({ n: 3, pad: 0, items: [1, 2, 3] });
    const w = new NdrWriter();
    T.writeScalars(w, { n: 3, pad: 0, items: [1, 2, 3] }, undefined, false);
    expect(w.finish().toString('hex')).toBe(le.toString('hex'));
  });

  it('refuses a count larger than the bytes left, before allocating', () => {
    expect(() => ndrDecode(T, hex('ff 00 0100'), true)).toThrow(NdrError);
    expect(() => ndrDecode(T, hex('02 00 0100'), true)).toThrow(NdrError);
  });

  it('refuses to write a list whose length disagrees with the count, or to read without one', () => {
    const w = new NdrWriter();
    expect(() => T.writeScalars(w, { n: 2, pad: 0, items: [1, 2, 3] }, undefined, false)).toThrow(TypeError);
    const bare = inlineArray(u32, () => undefined);
    expect(() => ndrDecode(bare, hex('01000000'), true)).toThrow(NdrError);
  });

  it('round-trips any list', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { maxLength: 20 }), fc.boolean(), (items, le) => {
        const U = struct('U', { n: u16, items: inlineArray(u64, (s) => s?.n) });
        const w = new NdrWriter(16, le);
        U.writeScalars(w, { n: items.length, items }, undefined, false);
        expect(ndrDecode(U, w.finish(), le)).toEqual({ n: items.length, items });
      }),
    );
  });
});
