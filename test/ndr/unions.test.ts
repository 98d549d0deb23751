/**
 * Unions (C706 §14.3.8; MS-RPCE §2.2.4.5 for what ms_union changes): the discriminant is on the wire
 * for both kinds, followed by the selected arm. A non-encapsulated union's arm aligns to
 * its own type (the DCE rule; the /ms_union variant is not modelled). An encapsulated union
 * is a structure { discriminant; union }: aligned as a whole to its most-aligned member,
 * with the union part aligned to its most-aligned arm. Pointers in the selected arm are
 * deferred like any embedded pointer.
 */
import { describe, expect, it } from 'vitest';
import {
  encapsulatedUnion,
  enum16,
  fixedArray,
  i32,
  ndrDecode,
  ndrEncode,
  struct,
  u16,
  u32,
  u64,
  u8,
  union,
  unique,
  wstring,
} from '../../src/ndr/index.js';
import { everyPrefixFails, expectNdrError, hex, vector } from './helpers.js';

describe('non-encapsulated unions ([switch_type] with [switch_is])', () => {
  const U = union('U', u32, { 1: i32, 2: u16, 3: null });

  it('discriminant, then the selected arm', () => {
    vector(U, { tag: 1, value: -1 }, '01000000 ffffffff', '00000001 ffffffff');
    vector(U, { tag: 2, value: 0x1234 }, '02000000 3412', '00000002 1234');
  });

  it('an empty arm is the discriminant alone', () => {
    vector(U, { tag: 3, value: null }, '03000000', '00000003');
  });

  it('a short discriminant; the arm aligns to itself', () => {
    const U16 = union('U16', u16, { 5: u32, 6: u8 });
    vector(U16, { tag: 5, value: 7 }, '0500 0000 07000000', '0005 0000 00000007');
    vector(U16, { tag: 6, value: 7 }, '0600 07', '0006 07');
  });

  it('a small discriminant', () => {
    const U8 = union('U8', u8, { 1: u16 });
    vector(U8, { tag: 1, value: 2 }, '01 00 0200', '01 00 0002');
  });

  it('a signed discriminant', () => {
    const UN = union('UN', i32, { [-1]: u8 });
    vector(UN, { tag: -1, value: 1 }, 'ffffffff 01', 'ffffffff 01');
  });

  it('a pointer arm: the referent is deferred', () => {
    const UP = union('UP', u32, { 1: unique(u32), 2: u8 });
    vector(UP, { tag: 1, value: 9 }, '01000000 00000200 09000000', '00000001 00020000 00000009');
    vector(UP, { tag: 1, value: null }, '01000000 00000000', '00000001 00000000');
  });

  it('the [default] arm takes any other discriminant', () => {
    const UD = union('UD', u16, { 1: u8 }, { default: u32 });
    vector(UD, { tag: 9, value: 5 }, '0900 0000 05000000', '0009 0000 00000005');
    vector(UD, { tag: 1, value: 0x7f }, '0100 7f', '0001 7f');
    const UE = union('UE', u16, { 1: u8 }, { default: null });
    // (UnionOf types only the listed arms; a [default] arm's value is cast.)
    vector(UE, { tag: 9, value: null } as any, '0900', '0009');
  });

  it('an unknown discriminant without [default] is bad stub data', () => {
    expectNdrError(() => ndrDecode(U, hex('07000000 00000000')));
    expectNdrError(() => ndrDecode(U, hex('00000000'), false));
    expect(() => ndrEncode(U, { tag: 7, value: 0 } as never)).toThrow();
  });

  it('an enum discriminant above 0x7fff is bad stub data', () => {
    const UE = union('UE', enum16, { 0: u16, 1: u32 });
    vector(UE, { tag: 1, value: 2 }, '0100 0000 02000000', '0001 0000 00000002');
    expectNdrError(() => ndrDecode(UE, hex('0080 0000 02000000')));
  });
});

describe('a union inside a structure', () => {
  const Info = union('Info', u32, { 1: unique(wstring), 2: u32 });
  const S = struct('S', { level: u32, info: Info, after: u16 });

  it('arm scalars in place; the arm’s referent after the structure’s scalars', () => {
    // level | disc | id | after | pad | *id: max, offset, actual, "A\0"
    vector(
      S,
      { level: 1, info: { tag: 1, value: 'A' }, after: 3 },
      '01000000 01000000 00000200 0300 0000 02000000 00000000 02000000 4100 0000',
      '00000001 00000001 00020000 0003 0000 00000002 00000000 00000002 0041 0000',
    );
  });

  it('a scalar arm', () => {
    vector(
      S,
      { level: 2, info: { tag: 2, value: 0xdeadbeef }, after: 4 },
      '02000000 02000000 efbeadde 0400',
      '00000002 00000002 deadbeef 0004',
    );
  });

  it('an unknown discriminant inside a structure is bad stub data', () => {
    expectNdrError(() => ndrDecode(S, hex('01000000 09000000 00000000 0000')));
  });

  it('an array of unions: all discriminants and arm scalars, then the referents', () => {
    const UA = union('UA', u32, { 1: unique(u16), 2: u32 });
    vector(
      fixedArray(UA, 2),
      [{ tag: 1, value: 7 }, { tag: 2, value: 8 }],
      '01000000 00000200 02000000 08000000 0700',
      '00000001 00020000 00000002 00000008 0007',
    );
  });
});

describe('encapsulated unions', () => {
  const EU = encapsulatedUnion('EU', u16, { 1: u64, 2: u8 });

  it('discriminant, then the union part aligned to its most-aligned arm', () => {
    vector(EU, { tag: 2, value: 0xab }, '0200 000000000000 ab', '0002 000000000000 ab');
    vector(EU, { tag: 1, value: 1n }, '0100 000000000000 0100000000000000', '0001 000000000000 0000000000000001');
  });

  it('a long discriminant with narrower arms', () => {
    const EU2 = encapsulatedUnion('EU2', u32, { 1: u16, 2: u8 });
    vector(EU2, { tag: 2, value: 5 }, '02000000 05', '00000002 05');
    vector(EU2, { tag: 1, value: 0x0102 }, '01000000 0201', '00000001 0102');
  });

  it('inside a structure the whole union aligns as a structure, before the discriminant', () => {
    const S = struct('S', { a: u8, u: EU });
    // a@0 | pad to 8 | disc@8 | pad to 16 | arm@16
    vector(
      S,
      { a: 0xaa, u: { tag: 2, value: 0xab } },
      'aa 00000000000000 0200 000000000000 ab',
      'aa 00000000000000 0002 000000000000 ab',
    );
    vector(
      S,
      { a: 0xaa, u: { tag: 1, value: 0x0102030405060708n } },
      'aa 00000000000000 0100 000000000000 0807060504030201',
      'aa 00000000000000 0001 000000000000 0102030405060708',
    );
  });

  it('after a short field, a 4-aligned encapsulated union pads to 4 first', () => {
    const EU3 = encapsulatedUnion('EU3', u16, { 1: u32 });
    const S = struct('S', { a: u16, u: EU3 });
    // a@0 | pad to 4 | disc@4 | pad to 8 | arm@8
    vector(
      S,
      { a: 1, u: { tag: 1, value: 2 } },
      '0100 0000 0100 0000 02000000',
      '0001 0000 0001 0000 00000002',
    );
  });

  it('a pointer arm: the referent follows the enclosing structure’s scalars', () => {
    const EP = encapsulatedUnion('EP', u32, { 1: unique(u16), 2: null });
    const S = struct('S', { u: EP, x: u32 });
    vector(
      S,
      { u: { tag: 1, value: 6 }, x: 7 },
      '01000000 00000200 07000000 0600',
      '00000001 00020000 00000007 0006',
    );
    vector(S, { u: { tag: 2, value: null }, x: 7 }, '02000000 07000000', '00000002 00000007');
  });

  it('an unknown discriminant without [default] is bad stub data', () => {
    expectNdrError(() => ndrDecode(EU, hex('0300 000000000000 0000000000000000')));
  });
});

describe('truncation', () => {
  it('every prefix of union vectors fails with NdrError', () => {
    const Info = union('Info', u32, { 1: unique(wstring), 2: u32 });
    const S = struct('S', { level: u32, info: Info, after: u16 });
    everyPrefixFails(S, hex('01000000 01000000 00000200 0300 0000 02000000 00000000 02000000 4100 0000'), true);
    everyPrefixFails(S, hex('00000001 00000001 00020000 0003 0000 00000002 00000000 00000002 0041 0000'), false);
    const EU = encapsulatedUnion('EU', u16, { 1: u64, 2: u8 });
    everyPrefixFails(EU, hex('0100 000000000000 0100000000000000'), true);
    everyPrefixFails(EU, hex('0002 000000000000 ab'), false);
  });
});
