/**
 * NDR primitive types (C706 chapter 14, "NDR Primitive Types") and the alignment of mixed
 * scalars (a primitive of size n is aligned at a stream index that is a multiple of n; pad
 * octets are zero when sent). Every vector is written out by hand: LE as sent with drep 0x10,
 * BE the same layout with each integer's octets reversed (drep 0x00).
 */
import { describe, expect, it } from 'vitest';
import {
  GUID,
  HRESULT,
  NdrError,
  NdrReader,
  NdrWriter,
  UUID,
  boolean8,
  byte,
  char,
  enum16,
  error_status_t,
  f32,
  f64,
  guidBytes,
  i16,
  i32,
  i64,
  i8,
  isGuid,
  ndrDecode,
  ndrEncode,
  params,
  range,
  readGuid,
  struct,
  u16,
  u32,
  u64,
  u8,
  v1_enum,
  wchar,
} from '../../src/ndr/index.js';
import { decodes, everyPrefixFails, expectNdrError, hex, vector } from './helpers.js';

describe('integers', () => {
  it('unsigned small (usmall) is one octet, no byte order', () => {
    vector(u8, 0, '00', '00');
    vector(u8, 0xab, 'ab', 'ab');
    vector(u8, 0xff, 'ff', 'ff');
    vector(byte, 0x7f, '7f', '7f');
  });

  it('small is a signed octet', () => {
    vector(i8, -2, 'fe', 'fe');
    vector(i8, -128, '80', '80');
    vector(i8, 127, '7f', '7f');
  });

  it('unsigned short', () => {
    vector(u16, 0x1234, '3412', '1234');
    vector(u16, 0xffff, 'ffff', 'ffff');
    vector(u16, 1, '0100', '0001');
  });

  it('short', () => {
    vector(i16, -2, 'feff', 'fffe');
    vector(i16, -32768, '0080', '8000');
    vector(i16, 0x0102, '0201', '0102');
  });

  it('unsigned long', () => {
    vector(u32, 0x12345678, '78563412', '12345678');
    vector(u32, 0xffffffff, 'ffffffff', 'ffffffff');
    vector(u32, 0x80000000, '00000080', '80000000');
  });

  it('long', () => {
    vector(i32, -2, 'feffffff', 'fffffffe');
    vector(i32, -2147483648, '00000080', '80000000');
    vector(i32, 0x01020304, '04030201', '01020304');
  });

  it('unsigned hyper (bigint)', () => {
    vector(u64, 0x0123456789abcdefn, 'efcdab8967452301', '0123456789abcdef');
    vector(u64, 0xffffffffffffffffn, 'ffffffffffffffff', 'ffffffffffffffff');
    vector(u64, 0n, '0000000000000000', '0000000000000000');
  });

  it('hyper (bigint)', () => {
    vector(i64, -2n, 'feffffffffffffff', 'fffffffffffffffe');
    vector(i64, -0x8000000000000000n, '0000000000000080', '8000000000000000');
    vector(i64, 0x0102030405060708n, '0807060504030201', '0102030405060708');
  });

  it('decodes large unsigned values as positive numbers', () => {
    expect(ndrDecode(u32, hex('ffffffff'))).toBe(4294967295);
    expect(ndrDecode(u16, hex('ffff'))).toBe(65535);
    expect(ndrDecode(u64, hex('ffffffffffffffff'))).toBe(18446744073709551615n);
  });
});

describe('floating point (IEEE)', () => {
  it('float', () => {
    // 1.5 = 0x3fc00000, -2.25 = 0xc0100000
    vector(f32, 1.5, '0000c03f', '3fc00000');
    vector(f32, -2.25, '000010c0', 'c0100000');
    vector(f32, 0, '00000000', '00000000');
  });

  it('double', () => {
    // 1.5 = 0x3ff8000000000000, -0.1 = 0xbfb999999999999a
    vector(f64, 1.5, '000000000000f83f', '3ff8000000000000');
    vector(f64, -0.1, '9a9999999999b9bf', 'bfb999999999999a');
    vector(f64, Infinity, '000000000000f07f', '7ff0000000000000');
  });
});

describe('boolean, char, wchar_t', () => {
  it('boolean is one octet: 0 false, 1 true', () => {
    vector(boolean8, true, '01', '01');
    vector(boolean8, false, '00', '00');
  });

  it('any non-zero boolean octet decodes as true', () => {
    expect(ndrDecode(boolean8, hex('02'))).toBe(true);
    expect(ndrDecode(boolean8, hex('ff'), false)).toBe(true);
  });

  it('char is one ASCII octet', () => {
    vector(char, 0x41, '41', '41');
  });

  it('wchar_t is a 16-bit code unit in the sender byte order', () => {
    vector(wchar, 0x20ac, 'ac20', '20ac');
    vector(wchar, 0x0041, '4100', '0041');
  });
});

describe('status codes', () => {
  it('error_status_t is an unsigned long', () => {
    vector(error_status_t, 5, '05000000', '00000005');
    vector(error_status_t, 0x1c010003, '0300011c', '1c010003');
  });

  it('HRESULT stays unsigned (0x80070005, not negative)', () => {
    vector(HRESULT, 0x80070005, '05000780', '80070005');
    const v = ndrDecode(HRESULT, hex('05000780'));
    expect(v).toBe(0x80070005);
    expect(v).toBeGreaterThan(0);
    expect(ndrDecode(HRESULT, hex('80070005'), false)).toBe(2147942405);
  });

  it('encodes a negative HRESULT literal as its two’s complement', () => {
    expect(ndrEncode(HRESULT, -2147024891).toString('hex')).toBe('05000780');
  });
});

describe('enums', () => {
  it('enum is 16 bits on the wire', () => {
    vector(enum16, 7, '0700', '0007');
    vector(enum16, 0x7fff, 'ff7f', '7fff');
    vector(enum16, 0, '0000', '0000');
  });

  it('v1_enum is 32 bits on the wire', () => {
    vector(v1_enum, 7, '07000000', '00000007');
    vector(v1_enum, 0x12345, '45230100', '00012345');
  });

  it('enum16 values above 0x7fff are bad stub data', () => {
    expectNdrError(() => ndrDecode(enum16, hex('0080')));
    expectNdrError(() => ndrDecode(enum16, hex('ffff')));
    expectNdrError(() => ndrDecode(enum16, hex('8000'), false));
  });

  it('enum16 aligns to 2', () => {
    const S = struct('S', { a: u8, e: enum16 });
    vector(S, { a: 1, e: 2 }, '01 00 0200', '01 00 0002');
  });
});

describe('GUID', () => {
  const g = '00112233-4455-6677-8899-aabbccddeeff';

  it('Data1..3 follow the byte order, Data4 is octets', () => {
    vector(GUID, g, '33221100 5544 7766 8899aabbccddeeff', '00112233 4455 6677 8899aabbccddeeff');
    vector(UUID, '6bffd098-a112-3610-9833-46c3f87e345a',
      '98d0ff6b 12a1 1036 983346c3f87e345a', '6bffd098 a112 3610 983346c3f87e345a');
  });

  it('decodes to lower case; accepts upper case on encode', () => {
    expect(ndrEncode(GUID, g.toUpperCase()).toString('hex')).toBe('3322110055447766' + '8899aabbccddeeff');
    expect(ndrDecode(GUID, hex('33221100 5544 7766 8899AABBCCDDEEFF'))).toBe(g);
  });

  it('aligns to 4 inside a structure', () => {
    const S = struct('S', { a: u8, g: GUID, b: u16 });
    vector(S, { a: 0xee, g, b: 0x0102 },
      'ee 000000 33221100 5544 7766 8899aabbccddeeff 0201',
      'ee 000000 00112233 4455 6677 8899aabbccddeeff 0102');
  });

  it('guid helpers agree with the wire form', () => {
    expect(guidBytes(g).toString('hex')).toBe('33221100554477668899aabbccddeeff');
    expect(readGuid(hex('00112233 4455 6677 8899aabbccddeeff'), 0, false)).toBe(g);
    expect(isGuid(g)).toBe(true);
    expect(isGuid('not-a-guid')).toBe(false);
    expect(() => ndrEncode(GUID, 'nope')).toThrow(TypeError);
  });

  it('truncated GUIDs are bad stub data', () => {
    everyPrefixFails(GUID, hex('33221100 5544 7766 8899aabbccddeeff'), true);
    expectNdrError(() => readGuid(hex('00112233'), 0));
  });
});

describe('range()', () => {
  const R = range(u32, 1, 10);

  it('values inside the range pass', () => {
    vector(R, 1, '01000000', '00000001');
    vector(R, 10, '0a000000', '0000000a');
  });

  it('values outside the range are bad stub data', () => {
    expectNdrError(() => ndrDecode(R, hex('00000000')));
    expectNdrError(() => ndrDecode(R, hex('0b000000')));
    expectNdrError(() => ndrDecode(R, hex('0000000b'), false));
    expectNdrError(() => ndrDecode(range(i16, -5, 5), hex('faff')));
  });

  it('a range field inside a structure is checked too', () => {
    const S = struct('S', { n: range(u16, 0, 3), x: u8 });
    vector(S, { n: 3, x: 9 }, '0300 09', '0003 09');
    expectNdrError(() => ndrDecode(S, hex('0400 09')));
  });
});

describe('alignment between mixed fields', () => {
  it('pads each field to its own size with zero octets', () => {
    const Mixed = struct('Mixed', { a: u8, b: u16, c: u8, d: u32, e: u8, f: u64, g: u16 });
    // a@0 pad@1 b@2 c@4 pad@5..7 d@8 e@12 pad@13..15 f@16 g@24
    vector(
      Mixed,
      { a: 0x11, b: 0x2233, c: 0x44, d: 0x55667788, e: 0x99, f: 0x0102030405060708n, g: 0xaabb },
      '11 00 3322 44 000000 88776655 99 000000 0807060504030201 bbaa',
      '11 00 2233 44 000000 55667788 99 000000 0102030405060708 aabb',
    );
  });

  it('floats align like integers of their size', () => {
    const S = struct('S', { s: i16, f: f32, x: i8, d: f64 });
    // s@0 pad@2 f@4 x@8 pad@9..15 d@16
    vector(
      S,
      { s: -1, f: 1.5, x: -128, d: 1.5 },
      'ffff 0000 0000c03f 80 00000000000000 000000000000f83f',
      'ffff 0000 3fc00000 80 00000000000000 3ff8000000000000',
    );
  });

  it('alignment is relative to the start of the stream, across parameters', () => {
    const P = params('P', { a: u8, s: struct('S', { h: u64 }), b: u8, c: u16 });
    // a@0 pad@1..7 h@8 b@16 pad@17 c@18
    vector(
      P,
      { a: 1, s: { h: 2n }, b: 3, c: 4 },
      '01 00000000000000 0200000000000000 03 00 0400',
      '01 00000000000000 0000000000000002 03 00 0004',
    );
  });

  it('the decoder skips pad octets without interpreting them', () => {
    const S = struct('S', { a: u8, b: u32 });
    decodes(S, '01 ffffff 02000000', '01 ffffff 00000002', { a: 1, b: 2 });
  });

  it('padding that runs past the end of the stub is bad stub data', () => {
    const S = struct('S', { a: u8, b: u32 });
    everyPrefixFails(S, hex('01 000000 02000000'), true);
    everyPrefixFails(S, hex('01 000000 00000002'), false);
  });
});

describe('truncation of every primitive', () => {
  it('every prefix of every primitive fails with NdrError', () => {
    const cases: Array<[Parameters<typeof ndrDecode>[0], string]> = [
      [u16, '3412'],
      [i16, 'feff'],
      [u32, '78563412'],
      [i32, 'feffffff'],
      [u64, 'efcdab8967452301'],
      [i64, 'feffffffffffffff'],
      [f32, '0000c03f'],
      [f64, '000000000000f83f'],
      [enum16, '0700'],
      [v1_enum, '07000000'],
      [u8, 'ab'],
      [boolean8, '01'],
    ];
    for (const [t, h] of cases) {
      everyPrefixFails(t, hex(h), true);
      everyPrefixFails(t, hex(h), false);
    }
  });
});

describe('reader and writer', () => {
  it('the writer hands out referent ids 0x00020000 upwards in steps of 4', () => {
    const w = new NdrWriter();
    expect([w.referentId(), w.referentId(), w.referentId()]).toEqual([0x00020000, 0x00020004, 0x00020008]);
  });

  it('the writer grows its buffer and zero-fills alignment', () => {
    const w = new NdrWriter(1);
    w.u8(1);
    w.u64(2n);
    w.u8(3);
    w.u32(4);
    expect(w.finish().toString('hex')).toBe('01' + '00000000000000' + '0200000000000000' + '03' + '000000' + '04000000');
  });

  it('a writer created with no initial room still grows', () => {
    const w = new NdrWriter(0);
    w.u32(0x01020304);
    w.bytes(Buffer.alloc(100, 0xee));
    expect(w.finish().length).toBe(104);
    expect(w.finish().subarray(0, 4).toString('hex')).toBe('04030201');
  });

  it('the reader raises NdrError, never RangeError, when the data runs out', () => {
    const r = new NdrReader(hex('0102'), true);
    expect(r.u8()).toBe(1);
    expectNdrError(() => r.u32());
    expectNdrError(() => new NdrReader(Buffer.alloc(0)).u8());
    expectNdrError(() => new NdrReader(Buffer.alloc(3)).bytes(4));
    expect(new NdrError('x').status).toBe(0x6f7);
  });

  it('checkCount refuses counts that cannot fit before anything is allocated', () => {
    const r = new NdrReader(Buffer.alloc(8));
    r.checkCount(8, 1);
    r.checkCount(2, 4);
    expectNdrError(() => r.checkCount(3, 4));
    expectNdrError(() => r.checkCount(0xffffffff, 1));
  });
});
