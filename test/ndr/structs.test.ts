/**
 * Structures (C706 chapter 14, "Structures", "Structures Containing a Conformant Array"):
 * members in declaration order,
 * each aligned to itself; the structure aligned to its most-aligned member. A conformant
 * structure (one whose last member is a conformant array or string, or a conformant
 * structure) carries that array's max_count at its very front, aligned to 4, ahead of the
 * structure's own alignment padding.
 */
import { describe, expect, it } from 'vitest';
import {
  conformantArray,
  conformantVaryingArray,
  fixedArray,
  i32,
  lazy,
  ndrDecode,
  ndrEncode,
  params,
  struct,
  u16,
  u32,
  u64,
  u8,
  unique,
  type NdrType,
} from '../../src/ndr/index.js';
import { everyPrefixFails, expectNdrError, hex, vector } from './helpers.js';

describe('fixed structures', () => {
  it('members in order', () => {
    const Point = struct('Point', { x: i32, y: i32 });
    vector(Point, { x: 1, y: 2 }, '01000000 02000000', '00000001 00000002');
  });

  it('a nested structure aligns to its own most-aligned member', () => {
    const Inner = struct('Inner', { h: u64 });
    const Outer = struct('Outer', { tag: u8, inner: Inner, tail: u16 });
    vector(
      Outer,
      { tag: 1, inner: { h: 2n }, tail: 3 },
      '01 00000000000000 0200000000000000 0300',
      '01 00000000000000 0000000000000002 0003',
    );
  });

  it('a structure starting at an odd offset aligns to its most-aligned member', () => {
    const S = struct('S', { b: u16, c: u8 });
    const P = params('P', { a: u8, s: S, d: u8 });
    // a@0 pad@1 b@2 c@4 d@5 (no trailing pad: NDR does not round a structure's size up)
    vector(P, { a: 1, s: { b: 2, c: 3 }, d: 4 }, '01 00 0200 03 04', '01 00 0002 03 04');
  });

  it('fixed arrays of structures inside a structure', () => {
    const E = struct('E', { k: u8, v: u16 });
    const S = struct('S', { n: u8, items: fixedArray(E, 2) });
    // n@0 pad@1 E0: k@2 pad v@4 | E1: k@6 pad v@8
    vector(
      S,
      { n: 9, items: [{ k: 1, v: 2 }, { k: 3, v: 4 }] },
      '09 00 01 00 0200 03 00 0400',
      '09 00 01 00 0002 03 00 0004',
    );
  });

  it('decoding yields exactly the declared members', () => {
    const S = struct('S', { a: u8, b: u16 });
    expect(Object.keys(ndrDecode(S, hex('01 00 0200')))).toEqual(['a', 'b']);
  });
});

describe('conformant structures', () => {
  it('max_count at the very front, then the structure aligned to 8 (hyper member)', () => {
    const CS = struct('CS', { count: u32, h: u64, arr: conformantArray(u16, { sizeIs: (s) => s.count }) });
    // max_count@0 | pad@4 | count@8 | pad@12 | h@16 | arr@24
    vector(
      CS,
      { count: 3, h: 0x1122334455667788n, arr: [1, 2, 3] },
      '03000000 00000000 03000000 00000000 8877665544332211 0100 0200 0300',
      '00000003 00000000 00000003 00000000 1122334455667788 0001 0002 0003',
    );
  });

  it('max_count aligns to 4 only; the structure’s 8-alignment comes after it', () => {
    const CS = struct('CS', { h: u64, arr: conformantArray(u8) });
    const P = params('P', { a: u64, s: CS });
    // a@0 | max_count@8 | pad@12 | h@16 | arr@24
    vector(
      P,
      { a: 1n, s: { h: 2n, arr: [0xaa, 0xbb] } },
      '0100000000000000 02000000 00000000 0200000000000000 aabb',
      '0000000000000001 00000002 00000000 0000000000000002 aabb',
    );
    const P2 = params('P2', { a: u8, s: CS });
    // a@0 | pad | max_count@4 | h@8 | arr@16
    vector(
      P2,
      { a: 0xff, s: { h: 1n, arr: [0xaa, 0xbb] } },
      'ff 000000 02000000 0100000000000000 aabb',
      'ff 000000 00000002 0000000000000001 aabb',
    );
  });

  it('a conformant array of hyper after a short member', () => {
    const S = struct('S', { s: u16, arr: conformantArray(u64) });
    // max_count@0 | pad | s@8 | pad | arr@16
    vector(
      S,
      { s: 1, arr: [2n] },
      '01000000 00000000 0100 000000000000 0200000000000000',
      '00000001 00000000 0001 000000000000 0000000000000002',
    );
  });

  it('an empty trailing array', () => {
    const S = struct('S', { n: u32, a: conformantArray(u32, { sizeIs: (s) => s.n }) });
    vector(S, { n: 0, a: [] }, '00000000 00000000', '00000000 00000000');
  });

  it('a conformant structure nested as the last member hoists to the outermost front', () => {
    const Inner = struct('Inner', { y: u32, arr: conformantArray(u16) });
    const Outer = struct('Outer', { x: u16, inner: Inner });
    // max_count@0 | x@4 | pad | y@8 | arr@12
    vector(
      Outer,
      { x: 7, inner: { y: 9, arr: [5] } },
      '01000000 0700 0000 09000000 0500',
      '00000001 0007 0000 00000009 0005',
    );
  });

  it('a conformant varying structure: max_count hoisted; offset and actual_count in place', () => {
    const CVS = struct('CVS', {
      max: u32,
      num: u32,
      arr: conformantVaryingArray(u32, { sizeIs: (s) => s.max, lengthIs: (s) => s.num }),
    });
    vector(
      CVS,
      { max: 4, num: 2, arr: [0xa, 0xb] },
      '04000000 04000000 02000000 00000000 02000000 0a000000 0b000000',
      '00000004 00000004 00000002 00000000 00000002 0000000a 0000000b',
    );
  });

  it('a conformant structure holding pointers: referents after the array', () => {
    const S = struct('S', { p: unique(u16), arr: conformantArray(u8) });
    // max_count | id p | arr | pad | *p
    vector(S, { p: 5, arr: [1, 2, 3] }, '03000000 00000200 010203 00 0500', '00000003 00020000 010203 00 0005');
  });

  it('a hoisted max_count that disagrees with its size_is member is bad stub data', () => {
    const CS = struct('CS', { count: u32, h: u64, arr: conformantArray(u16, { sizeIs: (s) => s.count }) });
    expectNdrError(() =>
      ndrDecode(CS, hex('02000000 00000000 03000000 00000000 8877665544332211 0100 0200 0300')),
    );
  });

  it('an encoded length that disagrees with its size_is member is a TypeError', () => {
    const CS = struct('CS', { count: u32, arr: conformantArray(u16, { sizeIs: (s) => s.count }) });
    expect(() => ndrEncode(CS, { count: 1, arr: [1, 2] })).toThrow(TypeError);
  });
});

describe('recursive structures', () => {
  interface Tree {
    v: number;
    left: Tree | null;
    right: Tree | null;
  }
  const TreeRef = lazy<Tree>('Tree', () => Tree);
  const Tree: NdrType<Tree> = struct('Tree', { v: u16, left: unique(TreeRef), right: unique(TreeRef) });

  it('a binary tree: each node’s two referents in order, depth-first', () => {
    const leaf = (v: number): Tree => ({ v, left: null, right: null });
    vector(
      Tree,
      { v: 1, left: leaf(2), right: leaf(3) },
      '0100 0000 00000200 04000200 0200 0000 00000000 00000000 0300 0000 00000000 00000000',
      '0001 0000 00020000 00020004 0002 0000 00000000 00000000 0003 0000 00000000 00000000',
    );
    vector(
      Tree,
      { v: 1, left: { v: 2, left: leaf(4), right: null }, right: leaf(3) },
      // root: v, ids L R | L: v, id LL, null | LL: v, null, null | R: v, null, null
      '0100 0000 00000200 04000200 0200 0000 08000200 00000000 0400 0000 00000000 00000000 0300 0000 00000000 00000000',
      '0001 0000 00020000 00020004 0002 0000 00020008 00000000 0004 0000 00000000 00000000 0003 0000 00000000 00000000',
    );
  });

  it('non-recursive nesting deeper than maxDepth is refused too', () => {
    let t: NdrType<any> = u8;
    for (let i = 0; i < 6; i++) t = struct(`S${i}`, { x: t });
    const bytes = hex('07');
    expect(JSON.stringify(ndrDecode(t, bytes))).toBe('{"x":{"x":{"x":{"x":{"x":{"x":7}}}}}}');
    expectNdrError(() => ndrDecode(t, bytes, true, undefined, { maxDepth: 5 }));
  });
});

describe('truncation', () => {
  it('every prefix of structure vectors fails with NdrError', () => {
    const CS = struct('CS', { count: u32, h: u64, arr: conformantArray(u16, { sizeIs: (s) => s.count }) });
    everyPrefixFails(CS, hex('03000000 00000000 03000000 00000000 8877665544332211 0100 0200 0300'), true);
    everyPrefixFails(CS, hex('00000003 00000000 00000003 00000000 1122334455667788 0001 0002 0003'), false);
    const Inner = struct('Inner', { h: u64 });
    const Outer = struct('Outer', { tag: u8, inner: Inner, tail: u16 });
    everyPrefixFails(Outer, hex('01 00000000000000 0200000000000000 0300'), true);
    const CVS = struct('CVS', {
      max: u32,
      num: u32,
      arr: conformantVaryingArray(u32, { sizeIs: (s) => s.max, lengthIs: (s) => s.num }),
    });
    everyPrefixFails(CVS, hex('04000000 04000000 02000000 00000000 02000000 0a000000 0b000000'), true);
  });
});
