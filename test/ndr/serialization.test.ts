/**
 * NDR type serialization version 1 (MS-RPCE §2.2.6): a common type header (§2.2.6.1:
 * Version 0x01, Endianness 0x10 little / 0x00 big, CommonHeaderLength 0x0008, Filler
 * 0xcccccccc), a private header (§2.2.6.2: ObjectBufferLength, Filler 0x00000000), then
 * the type marshalled as a top-level value, padded to a multiple of 8.
 */
import { describe, expect, it } from 'vitest';
import {
  TYPE_SERIALIZATION_HEADER_SIZE,
  deserializeType1,
  enum16,
  serializeType1,
  struct,
  u16,
  u32,
  u64,
  u8,
  unique,
  wstring,
  type NdrType,
} from '../../src/ndr/index.js';
import { expectNdrError, hex } from './helpers.js';

function serialVector<T>(type: NdrType<T>, value: T, le: string, be: string): void {
  const leBuf = hex(le);
  const beBuf = hex(be);
  expect(beBuf.length).toBe(leBuf.length);
  expect(serializeType1(type, value).toString('hex')).toBe(leBuf.toString('hex'));
  expect(deserializeType1(type, leBuf)).toEqual({ value, size: leBuf.length });
  expect(deserializeType1(type, beBuf)).toEqual({ value, size: beBuf.length });
}

describe('serializeType1 / deserializeType1', () => {
  it('the header size constant', () => {
    expect(TYPE_SERIALIZATION_HEADER_SIZE).toBe(16);
  });

  it('a structure, body padded to 8', () => {
    const S = struct('S', { a: u32, b: u16 });
    serialVector(
      S,
      { a: 1, b: 2 },
      '01 10 0800 cccccccc 08000000 00000000 01000000 0200 0000',
      '01 00 0008 cccccccc 00000008 00000000 00000001 0002 0000',
    );
  });

  it('a body already a multiple of 8 is not padded', () => {
    serialVector(
      u64,
      5n,
      '01 10 0800 cccccccc 08000000 00000000 0500000000000000',
      '01 00 0008 cccccccc 00000008 00000000 0000000000000005',
    );
  });

  it('a one-octet body pads to 8', () => {
    serialVector(
      u8,
      0xab,
      '01 10 0800 cccccccc 08000000 00000000 ab 00000000000000',
      '01 00 0008 cccccccc 00000008 00000000 ab 00000000000000',
    );
  });

  it('body alignment is relative to the start of the body', () => {
    const S = struct('S', { a: u8, h: u64 });
    serialVector(
      S,
      { a: 0xaa, h: 1n },
      '01 10 0800 cccccccc 10000000 00000000 aa 00000000000000 0100000000000000',
      '01 00 0008 cccccccc 00000010 00000000 aa 00000000000000 0000000000000001',
    );
  });

  it('embedded pointers: ids from 0x00020000, referents deferred, then padding', () => {
    const S = struct('S', { p: unique(u32), n: u32 });
    serialVector(
      S,
      { p: 7, n: 3 },
      '01 10 0800 cccccccc 10000000 00000000 00000200 03000000 07000000 00000000',
      '01 00 0008 cccccccc 00000010 00000000 00020000 00000003 00000007 00000000',
    );
  });

  it('a string pointer', () => {
    serialVector(
      unique(wstring),
      'A',
      '01 10 0800 cccccccc 18000000 00000000 00000200 02000000 00000000 02000000 4100 0000 00000000',
      '01 00 0008 cccccccc 00000018 00000000 00020000 00000002 00000000 00000002 0041 0000 00000000',
    );
  });

  it('size counts the headers and the object buffer only, not what follows', () => {
    const S = struct('S', { a: u32, b: u16 });
    const buf = hex('01 10 0800 cccccccc 08000000 00000000 01000000 0200 0000 deadbeef');
    expect(deserializeType1(S, buf)).toEqual({ value: { a: 1, b: 2 }, size: 24 });
  });
});

describe('malformed type serializations', () => {
  const S = struct('S', { a: u32, b: u16 });
  const good = '01 10 0800 cccccccc 08000000 00000000 01000000 0200 0000';

  it('every prefix fails with NdrError (header or object buffer cut short)', () => {
    const le = hex(good);
    const be = hex('01 00 0008 cccccccc 00000008 00000000 00000001 0002 0000');
    for (const buf of [le, be]) {
      for (let n = 0; n < buf.length; n++) expectNdrError(() => deserializeType1(S, buf.subarray(0, n)));
    }
  });

  it('a version other than 1', () => {
    expectNdrError(() => deserializeType1(S, hex('02 10 0800 cccccccc 08000000 00000000 01000000 0200 0000')));
    expectNdrError(() => deserializeType1(S, hex('00 10 0800 cccccccc 08000000 00000000 01000000 0200 0000')));
  });

  it('an unknown endianness octet', () => {
    expectNdrError(() => deserializeType1(S, hex('01 20 0800 cccccccc 08000000 00000000 01000000 0200 0000')));
    expectNdrError(() => deserializeType1(S, hex('01 11 0800 cccccccc 08000000 00000000 01000000 0200 0000')));
  });

  it('a common header length other than 8', () => {
    expectNdrError(() => deserializeType1(S, hex('01 10 0900 cccccccc 08000000 00000000 01000000 0200 0000')));
    expectNdrError(() => deserializeType1(S, hex('01 10 1000 cccccccc 08000000 00000000 01000000 0200 0000')));
    // Header length in the wrong byte order for the endianness flag: 0x0800, not 8.
    expectNdrError(() => deserializeType1(S, hex('01 00 0800 cccccccc 00000008 00000000 00000001 0002 0000')));
  });

  it('an object buffer length beyond the data', () => {
    expectNdrError(() => deserializeType1(S, hex('01 10 0800 cccccccc 10000000 00000000 01000000 0200 0000')));
    expectNdrError(() => deserializeType1(S, hex('01 10 0800 cccccccc ffffffff 00000000 01000000 0200 0000')));
    expectNdrError(() => deserializeType1(S, hex('01 00 0008 cccccccc 00000009 00000000 00000001 0002 0000')));
  });

  it('an object buffer too short for the type (the decoder sees only the buffer)', () => {
    expectNdrError(() => deserializeType1(S, hex('01 10 0800 cccccccc 04000000 00000000 01000000 0200 0000')));
    expectNdrError(() => deserializeType1(S, hex('01 10 0800 cccccccc 00000000 00000000 01000000 0200 0000')));
  });

  it('a lying count inside the object buffer', () => {
    const P = unique(wstring);
    expectNdrError(() =>
      deserializeType1(P, hex('01 10 0800 cccccccc 10000000 00000000 00000200 ffffffff 00000000 ffffffff')),
    );
  });

  it('a type that refuses its data inside the object buffer', () => {
    const T = struct('T', { e: enum16 });
    expect(deserializeType1(T, hex('01 10 0800 cccccccc 08000000 00000000 0700 000000000000')).value).toEqual({ e: 7 });
    expectNdrError(() => deserializeType1(T, hex('01 10 0800 cccccccc 08000000 00000000 0080 000000000000')));
  });
});
