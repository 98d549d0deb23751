/**
 * Arrays (C706 chapter 14, "Arrays"): fixed arrays are their elements alone; a conformant
 * array is preceded by max_count; a varying array by offset and actual_count; a conformant
 * varying array by all three. Inside a structure the max_count moves to the structure's
 * front ("Structures Containing a Conformant Array"). Elements with pointers: all element
 * scalars first, then each element's referents in element order ("Embedded Pointers").
 */
import { describe, expect, it } from 'vitest';
import {
  conformantArray,
  conformantBytes,
  conformantVaryingArray,
  conformantVaryingBytes,
  cstring,
  fixedArray,
  fixedBytes,
  i32,
  ndrDecode,
  ndrEncode,
  params,
  struct,
  u16,
  u32,
  u64,
  u8,
  unique,
  varyingArray,
  type NdrType,
} from '../../src/ndr/index.js';
import { decodes, everyPrefixFails, expectNdrError, hex, vector } from './helpers.js';

describe('fixed arrays', () => {
  it('are the elements alone', () => {
    vector(fixedArray(u16, 3), [1, 2, 3], '0100 0200 0300', '0001 0002 0003');
    vector(fixedArray(u8, 0), [], '', '');
  });

  it('of structures: each element aligned as the structure', () => {
    const E = struct('E', { a: u8, b: u32 });
    vector(
      fixedArray(E, 2),
      [{ a: 1, b: 2 }, { a: 3, b: 4 }],
      '01 000000 02000000 03 000000 04000000',
      '01 000000 00000002 03 000000 00000004',
    );
  });

  it('inside a structure align to the element', () => {
    const S = struct('S', { a: u8, arr: fixedArray(u64, 2) });
    vector(
      S,
      { a: 0xff, arr: [1n, 2n] },
      'ff 00000000000000 0100000000000000 0200000000000000',
      'ff 00000000000000 0000000000000001 0000000000000002',
    );
  });

  it('of structures holding pointers: element scalars first, then referents depth-first', () => {
    const B = struct('B', { q: unique(u8) });
    const E = struct('E', { p: unique(B) });
    // E0.p id, E1.p id | *E0.p: id q | *q | *E1.p: pad, id q | *q
    vector(
      fixedArray(E, 2),
      [{ p: { q: 1 } }, { p: { q: 2 } }],
      '00000200 04000200 08000200 01 000000 0c000200 02',
      '00020000 00020004 00020008 01 000000 0002000c 02',
    );
  });

  it('encoding the wrong number of elements is a TypeError', () => {
    expect(() => ndrEncode(fixedArray(u16, 3), [1, 2])).toThrow(TypeError);
  });
});

describe('conformant arrays', () => {
  it('max_count, then the elements', () => {
    vector(conformantArray(u32), [7, 8], '02000000 07000000 08000000', '00000002 00000007 00000008');
    vector(conformantArray(u8), [], '00000000', '00000000');
  });

  it('8-byte elements align after max_count', () => {
    vector(conformantArray(u64), [1n], '01000000 00000000 0100000000000000', '00000001 00000000 0000000000000001');
  });

  it('of structures', () => {
    const E = struct('E', { a: u16, b: u8 });
    vector(
      conformantArray(E),
      [{ a: 1, b: 2 }, { a: 3, b: 4 }],
      '02000000 0100 02 00 0300 04',
      '00000002 0001 02 00 0003 04',
    );
  });

  it('of pointers: all ids, then the referents in order', () => {
    vector(
      conformantArray(unique(i32)),
      [5, null, 6],
      '03000000 00000200 00000000 04000200 05000000 06000000',
      '00000003 00020000 00000000 00020004 00000005 00000006',
    );
  });

  it('of structures holding string pointers, as the trailing member of a structure', () => {
    const E = struct('E', { k: u16, s: unique(cstring) });
    const S = struct('S', { n: u32, items: conformantArray(E, { sizeIs: (s) => s.n }) });
    // max_count | n | E0: k, pad, id s | E1: k, pad, null | *E0.s: max, offset, actual, "a\0"
    vector(
      S,
      { n: 2, items: [{ k: 1, s: 'a' }, { k: 2, s: null }] },
      '02000000 02000000 0100 0000 00000200 0200 0000 00000000 02000000 00000000 02000000 6100',
      '00000002 00000002 0001 0000 00020000 0002 0000 00000000 00000002 00000000 00000002 6100',
    );
  });

  it('a max_count that disagrees with size_is is bad stub data', () => {
    const S = struct('S', { n: u32, items: conformantArray(u8, { sizeIs: (s) => s.n }) });
    vector(S, { n: 2, items: [1, 2] }, '02000000 02000000 0102', '00000002 00000002 0102');
    expectNdrError(() => ndrDecode(S, hex('03000000 02000000 010203')));
    expectNdrError(() => ndrDecode(S, hex('00000001 00000002 01'), false));
  });

  it('a size_is whose value is not in scope takes the wire count (still bounded by the data)', () => {
    const P = params('P', { data: conformantArray(u16, { sizeIs: (s) => s.count }) });
    decodes(P, '02000000 0100 0200', '00000002 0001 0002', { data: [1, 2] });
    expectNdrError(() => ndrDecode(P, hex('ffffffff 0100')));
  });

  it('encoding a length that disagrees with size_is is a TypeError', () => {
    const S = struct('S', { n: u32, items: conformantArray(u8, { sizeIs: (s) => s.n }) });
    expect(() => ndrEncode(S, { n: 3, items: [1, 2] })).toThrow(TypeError);
  });
});

describe('varying arrays', () => {
  it('offset, actual_count, then the elements sent', () => {
    vector(varyingArray(u16, 5), [9, 10], '00000000 02000000 0900 0a00', '00000000 00000002 0009 000a');
    vector(varyingArray(u16, 5), [], '00000000 00000000', '00000000 00000000');
  });

  it('inside a structure, the variance stays in place', () => {
    const S = struct('S', { a: u8, v: varyingArray(u32, 3) });
    vector(S, { a: 1, v: [5] }, '01 000000 00000000 01000000 05000000', '01 000000 00000000 00000001 00000005');
  });

  it('length_is is checked against actual_count', () => {
    const S = struct('S', { len: u16, v: varyingArray(u8, 8, { lengthIs: (s) => s.len }) });
    vector(S, { len: 2, v: [1, 2] }, '0200 0000 00000000 02000000 0102', '0002 0000 00000000 00000002 0102');
    expectNdrError(() => ndrDecode(S, hex('0200 0000 00000000 03000000 010203')));
  });

  it('decoding yields the elements sent, whatever the offset', () => {
    decodes(varyingArray(u16, 5), '01000000 02000000 0700 0800', '00000001 00000002 0007 0008', [7, 8]);
    decodes(varyingArray(u16, 5), '05000000 00000000', '00000005 00000000', []);
  });

  it('offset + actual_count beyond the declared size is bad stub data', () => {
    const V = varyingArray(u16, 5);
    expectNdrError(() => ndrDecode(V, hex('00000000 06000000 010002000300040005000600')));
    expectNdrError(() => ndrDecode(V, hex('04000000 02000000 0100 0200')));
    expectNdrError(() => ndrDecode(V, hex('06000000 00000000')));
    expectNdrError(() => ndrDecode(V, hex('ffffffff 01000000 0100')));
    expectNdrError(() => ndrDecode(V, hex('01000000 ffffffff 0100')));
    expectNdrError(() => ndrDecode(V, hex('00000004 00000002 0001 0002'), false));
  });

  it('encoding more elements than the declared size is a TypeError', () => {
    expect(() => ndrEncode(varyingArray(u8, 2), [1, 2, 3])).toThrow(TypeError);
  });
});

describe('conformant varying arrays', () => {
  it('max_count, offset, actual_count, then the elements sent', () => {
    vector(
      conformantVaryingArray(u16),
      [1, 2],
      '02000000 00000000 02000000 0100 0200',
      '00000002 00000000 00000002 0001 0002',
    );
  });

  it('8-byte elements align after the header', () => {
    vector(
      conformantVaryingArray(u64),
      [3n],
      '01000000 00000000 01000000 00000000 0300000000000000',
      '00000001 00000000 00000001 00000000 0000000000000003',
    );
  });

  it('in a structure: max_count hoisted, offset and actual_count in place', () => {
    const S = struct('S', {
      max: u32,
      len: u32,
      a: conformantVaryingArray(u16, { sizeIs: (s) => s.max, lengthIs: (s) => s.len }),
    });
    vector(
      S,
      { max: 5, len: 2, a: [1, 2] },
      '05000000 05000000 02000000 00000000 02000000 0100 0200',
      '00000005 00000005 00000002 00000000 00000002 0001 0002',
    );
    // max_count against size_is, actual_count against length_is
    expectNdrError(() => ndrDecode(S, hex('04000000 05000000 02000000 00000000 02000000 0100 0200')));
    expectNdrError(() => ndrDecode(S, hex('05000000 05000000 02000000 00000000 01000000 0100')));
  });

  it('of structures holding pointers: element scalars, then each element’s referents', () => {
    const E = struct('E', { id: u16, p: unique(u32) });
    // max, offset, actual | E0: id, pad, id p | E1: id, pad, null | E2: id, pad, id p | *E0.p | *E2.p
    vector(
      conformantVaryingArray(E),
      [{ id: 1, p: 10 }, { id: 2, p: null }, { id: 3, p: 30 }],
      '03000000 00000000 03000000 0100 0000 00000200 0200 0000 00000000 0300 0000 04000200 0a000000 1e000000',
      '00000003 00000000 00000003 0001 0000 00020000 0002 0000 00000000 0003 0000 00020004 0000000a 0000001e',
    );
  });

  it('of pointers to structures holding pointers (depth-first per element)', () => {
    const B = struct('B', { v: u16, q: unique(u16) });
    // max, offset, actual | id e0, id e1 | *e0: v, pad, id q | *q | *e1: v, pad, null
    vector(
      conformantVaryingArray(unique(B)),
      [{ v: 1, q: 2 }, { v: 3, q: null }],
      '02000000 00000000 02000000 00000200 04000200 0100 0000 08000200 0200 0000 0300 0000 00000000',
      '00000002 00000000 00000002 00020000 00020004 0001 0000 00020008 0002 0000 0003 0000 00000000',
    );
  });

  it('max_count larger than the elements sent (size_is from scope)', () => {
    const S = struct('S', { max: u32, a: conformantVaryingArray(u8, { sizeIs: (s) => s.max }) });
    vector(S, { max: 10, a: [0xaa] }, '0a000000 0a000000 00000000 01000000 aa', '0000000a 0000000a 00000000 00000001 aa');
  });

  it('decoding yields the elements sent, whatever the offset', () => {
    decodes(
      conformantVaryingArray(u16),
      '04000000 01000000 02000000 0700 0800',
      '00000004 00000001 00000002 0007 0008',
      [7, 8],
    );
  });

  it('actual_count > max_count is bad stub data', () => {
    expectNdrError(() => ndrDecode(conformantVaryingArray(u16), hex('02000000 00000000 03000000 0100 0200 0300')));
    expectNdrError(() => ndrDecode(conformantVaryingArray(u16), hex('00000002 00000000 00000003 0001 0002 0003'), false));
  });

  it('offset + actual_count > max_count is bad stub data', () => {
    const T = conformantVaryingArray(u16);
    expectNdrError(() => ndrDecode(T, hex('04000000 03000000 02000000 0100 0200')));
    expectNdrError(() => ndrDecode(T, hex('02000000 03000000 00000000')));
    expectNdrError(() => ndrDecode(T, hex('04000000 ffffffff 01000000 0100')));
    expectNdrError(() => ndrDecode(T, hex('04000000 02000000 ffffffff 0100')));
  });

  it('encoding more elements than size_is or a mismatched length_is is a TypeError', () => {
    const S = struct('S', { max: u32, a: conformantVaryingArray(u8, { sizeIs: (s) => s.max }) });
    expect(() => ndrEncode(S, { max: 1, a: [1, 2] })).toThrow(TypeError);
    const L = struct('L', { len: u32, a: conformantVaryingArray(u8, { lengthIs: (s) => s.len }) });
    expect(() => ndrEncode(L, { len: 1, a: [1, 2] })).toThrow(TypeError);
  });
});

describe('byte arrays', () => {
  it('fixed bytes', () => {
    vector(fixedBytes(3), hex('abcdef'), 'abcdef', 'abcdef');
    expect(() => ndrEncode(fixedBytes(3), hex('ab'))).toThrow(TypeError);
  });

  it('conformant bytes', () => {
    vector(conformantBytes(), hex('0102'), '02000000 0102', '00000002 0102');
    vector(conformantBytes(), Buffer.alloc(0), '00000000', '00000000');
  });

  it('conformant bytes as the trailing member of a structure', () => {
    const S = struct('S', { len: u16, b: conformantBytes({ sizeIs: (s) => s.len }) });
    vector(S, { len: 3, b: hex('010203') }, '03000000 0300 010203', '00000003 0003 010203');
    expectNdrError(() => ndrDecode(S, hex('02000000 0300 0102')));
  });

  it('conformant varying bytes', () => {
    vector(conformantVaryingBytes(), hex('aabb'), '02000000 00000000 02000000 aabb', '00000002 00000000 00000002 aabb');
    const S = struct('S', {
      max: u32,
      len: u32,
      b: conformantVaryingBytes({ sizeIs: (s) => s.max, lengthIs: (s) => s.len }),
    });
    vector(
      S,
      { max: 8, len: 3, b: hex('0a0b0c') },
      '08000000 08000000 03000000 00000000 03000000 0a0b0c',
      '00000008 00000008 00000003 00000000 00000003 0a0b0c',
    );
    expectNdrError(() => ndrDecode(S, hex('08000000 08000000 03000000 00000000 02000000 0a0b')));
  });

  it('decoded bytes are copies, not views of the stub', () => {
    const stub = hex('02000000 0102');
    const v = ndrDecode(conformantBytes(), stub);
    stub[4] = 0xff;
    expect(v.toString('hex')).toBe('0102');
  });

  it('conformant varying bytes bounds', () => {
    const T = conformantVaryingBytes();
    expectNdrError(() => ndrDecode(T, hex('02000000 00000000 03000000 aabbcc')));
    expectNdrError(() => ndrDecode(T, hex('02000000 01000000 02000000 aabb')));
  });
});

describe('lying counts', () => {
  // A count of 0xffffffff with a handful of bytes behind it must be refused before anything is
  // allocated for it, and quickly.
  const cases: Array<[string, NdrType<any>, string]> = [
    ['conformant array of long', conformantArray(u32), 'ffffffff 01000000'],
    ['conformant array of structures', conformantArray(struct('E', { a: u32, p: unique(u32) })), 'ffffffff 01000000 00000000'],
    ['conformant array of pointers', conformantArray(unique(u32)), 'ffffffff 00000200'],
    ['conformant array of small', conformantArray(u8), 'ffffffff 01020304'],
    ['conformant varying array', conformantVaryingArray(u16), 'ffffffff 00000000 ffffffff 0100'],
    ['conformant bytes', conformantBytes(), 'ffffffff 01020304'],
    ['conformant varying bytes', conformantVaryingBytes(), 'ffffffff 00000000 ffffffff 01'],
    ['varying array with a huge declared size', varyingArray(u32, 0x7fffffff), '00000000 f0ffff7f 01000000'],
    ['conformant structure', struct('S', { n: u32, a: conformantArray(u16) }), 'ffffffff 00000000 0100'],
  ];
  for (const [name, type, h] of cases) {
    it(name, () => {
      const t0 = performance.now();
      expectNdrError(() => ndrDecode(type, hex(h)));
      expectNdrError(() => ndrDecode(type, hex(h), false));
      expect(performance.now() - t0).toBeLessThan(250);
    });
  }
});

describe('truncation', () => {
  it('every prefix of array vectors fails with NdrError', () => {
    const E = struct('E', { id: u16, p: unique(u32) });
    everyPrefixFails(
      conformantVaryingArray(E),
      hex('03000000 00000000 03000000 0100 0000 00000200 0200 0000 00000000 0300 0000 04000200 0a000000 1e000000'),
      true,
    );
    everyPrefixFails(
      conformantVaryingArray(E),
      hex('00000003 00000000 00000003 0001 0000 00020000 0002 0000 00000000 0003 0000 00020004 0000000a 0000001e'),
      false,
    );
    everyPrefixFails(conformantArray(u64), hex('01000000 00000000 0100000000000000'), true);
    everyPrefixFails(varyingArray(u16, 5), hex('00000000 02000000 0900 0a00'), true);
    everyPrefixFails(conformantVaryingBytes(), hex('02000000 00000000 02000000 aabb'), false);
    everyPrefixFails(fixedArray(u16, 3), hex('0100 0200 0300'), true);
  });
});
