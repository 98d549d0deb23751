/**
 * The hand-written fast paths of issue 17 against the plain code they replaced: GUIDs
 * parsed by character code and printed from a table, strings written into the stream
 * directly, and the code made per type by specialize.ts — the same octets, the same values
 * and the same refusals, over random input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NdrWriter, conformantArray, conformantString, i64, ndrDecode, ndrEncode, readGuid, struct, u16, u32, u64, u8, unique, wstring, writeGuid } from '../../src/ndr/index.js';

/** The forms writeGuid always accepted: the canonical text in either case. */
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The parsing writeGuid used to do: parseInt of Data1-3, a hex decode of Data4. */
function referenceWire(g: string): Buffer {
  const out = Buffer.alloc(16);
  out.writeUInt32LE(parseInt(g.slice(0, 8), 16), 0);
  out.writeUInt16LE(parseInt(g.slice(9, 13), 16), 4);
  out.writeUInt16LE(parseInt(g.slice(14, 18), 16), 6);
  out.write(g.slice(19, 23) + g.slice(24), 8, 'hex');
  return out;
}

/** The printing readGuid used to do. */
function referenceText(b: Buffer, little: boolean): string {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const d1 = little ? b.readUInt32LE(0) : b.readUInt32BE(0);
  const d2 = little ? b.readUInt16LE(4) : b.readUInt16BE(4);
  const d3 = little ? b.readUInt16LE(6) : b.readUInt16BE(6);
  return `${h(d1, 8)}-${h(d2, 4)}-${h(d3, 4)}-${b.toString('hex', 8, 10)}-${b.toString('hex', 10, 16)}`;
}

const hexDigit = fc.constantFrom(...'0123456789abcdefABCDEF');
const guidText = fc
  .array(hexDigit, { minLength: 32, maxLength: 32 })
  .map((d) => `${d.slice(0, 8).join('')}-${d.slice(8, 12).join('')}-${d.slice(12, 16).join('')}-${d.slice(16, 20).join('')}-${d.slice(20).join('')}`);
/** A GUID with one character replaced: a digit, a dash, a non-hex letter, a character past 0x7f. */
const nearGuid = fc.tuple(guidText, fc.nat(35), fc.constantFrom('g', 'G', '-', ' ', 'x', '\u00e9', '\u0660', '0', 'F', '{')).map(([g, i, c]) => g.slice(0, i) + c + g.slice(i + 1));

describe('writeGuid', () => {
  it('writes what the parseInt / hex decode did, for every canonical GUID in either case', () => {
    fc.assert(
      fc.property(guidText, (g) => {
        const out = Buffer.alloc(16);
        writeGuid(out, 0, g);
        expect(out.equals(referenceWire(g))).toBe(true);
      }),
    );
  });

  it('accepts exactly what the regular expression accepted', () => {
    fc.assert(
      fc.property(fc.oneof(guidText, nearGuid, fc.string({ maxLength: 40 }), guidText.map((g) => `{${g}}`), guidText.map((g) => g + '0')), (g) => {
        const ok = (() => {
          try {
            writeGuid(Buffer.alloc(16), 0, g);
            return true;
          } catch (e) {
            expect(e).toBeInstanceOf(TypeError);
            return false;
          }
        })();
        expect(ok).toBe(GUID_RE.test(g));
      }),
    );
  });
});

describe('readGuid', () => {
  it('prints what toString(16) and a hex encode did, in both byte orders', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (bytes, little) => {
        const b = Buffer.from(bytes);
        expect(readGuid(b, 0, little)).toBe(referenceText(b, little));
      }),
    );
  });
});

describe('strings written into the stream', () => {
  // Any UTF-16 code units (lone surrogates too), short and long (both sides of the switch to node's encoder).
  const text = fc.string({ unit: 'binary', maxLength: 200 });

  it('UTF-16LE: the octets of Buffer.from(s, "utf16le") and a NUL, whatever the writer\'s byte order', () => {
    fc.assert(
      fc.property(text, fc.boolean(), fc.nat(3), (s, little, skew) => {
        const w = new NdrWriter(8, little);
        w.zeros(skew);
        w.chars(s, 2);
        const got = w.finish().subarray(skew);
        expect(got.equals(Buffer.concat([Buffer.from(s, 'utf16le'), Buffer.alloc(2)]))).toBe(true);
      }),
    );
  });

  it('octets: the low 8 bits of each code unit (latin1) and a NUL', () => {
    fc.assert(
      fc.property(text, (s) => {
        const w = new NdrWriter(8);
        w.chars(s, 1);
        expect(w.finish().equals(Buffer.concat([Buffer.from(s, 'latin1'), Buffer.alloc(1)]))).toBe(true);
      }),
    );
  });

  it('a [string] wchar_t* round-trips, and its wire form is max_count, offset 0, actual_count, characters, NUL', () => {
    fc.assert(
      fc.property(text, (s) => {
        const stub = ndrEncode(conformantString(2), s);
        const n = s.length + 1;
        const expected = Buffer.alloc(12);
        expected.writeUInt32LE(n, 0);
        expected.writeUInt32LE(n, 8);
        expect(stub.equals(Buffer.concat([expected, Buffer.from(s, 'utf16le'), Buffer.alloc(2)]))).toBe(true);
        expect(ndrDecode(conformantString(2), stub)).toBe(s);
      }),
    );
  });
});

describe('code made per structure (specialize.ts)', () => {
  // Field names that are not identifiers go in as string literals.
  const S = struct('odd names', { 'a b': u16, "it's": u32, 'x"y': unique(wstring), 'constructor': u16 });

  it('encodes and decodes fields whatever their names, keeping their order', () => {
    const v = { 'a b': 0x1234, "it's": 0xdeadbeef, 'x"y': 'hi', constructor: 7 };
    const stub = ndrEncode(S, v);
    expect(stub.toString('hex')).toBe('3412' + '0000' + 'efbeadde' + '00000200' + '0700' + '0000' + '03000000' + '00000000' + '03000000' + '680069000000');
    const back = ndrDecode(S, stub);
    expect(back).toEqual(v);
    expect(Object.keys(back)).toEqual(Object.keys(v));
  });
});

describe('hypers stored as two halves (NdrWriter.u64)', () => {
  it('writes what Buffer.writeBigUInt64LE/BE of asUintN(64) wrote, negative and over-wide values too, at any offset', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }), fc.integer({ min: 0, max: 7 }), fc.boolean(), (v, pad, little) => {
        const w = new NdrWriter(8, little);
        w.zeros(pad);
        w.u64(v);
        // Aligned to 8: at 0 when nothing precedes it, at 8 after 1 to 7 octets.
        const at = pad === 0 ? 0 : 8;
        const ref = Buffer.alloc(at + 8);
        if (little) ref.writeBigUInt64LE(BigInt.asUintN(64, v), at);
        else ref.writeBigUInt64BE(BigInt.asUintN(64, v), at);
        expect(w.finish().toString('hex')).toBe(ref.toString('hex'));
      }),
    );
  });

  it('round-trips through the types that use it', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (a, b) => {
        expect(ndrDecode(u64, ndrEncode(u64, a))).toBe(a);
        expect(ndrDecode(i64, ndrEncode(i64, b))).toBe(b);
      }),
    );
  });
});

describe('writers sized from the last stream of the same type (ndrEncode)', () => {
  const S = struct('sized', { n: u32, items: conformantArray(struct('item', { a: u8, s: unique(wstring), h: u64 })) });

  it('writes the same octets as a writer grown from 256, whether the stream is larger or smaller than the last', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.record({ a: fc.integer({ min: 0, max: 255 }), s: fc.option(fc.string(), { nil: null }), h: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }), { maxLength: 40 }), { minLength: 1, maxLength: 6 }),
        (lists) => {
          for (const items of lists) {
            const v = { n: items.length, items };
            const fresh = Buffer.from(ndrEncode(S, v, undefined, new NdrWriter()));
            const hinted = ndrEncode(S, v);
            expect(hinted.toString('hex')).toBe(fresh.toString('hex'));
            expect(ndrDecode(S, hinted)).toEqual(v);
          }
        },
      ),
    );
  });
});
