/**
 * Pointers (C706 chapter 14, "Pointers": top-level and embedded; full, unique, reference
 * pointers; MS-RPCE NDR extensions): an embedded pointer is a 4-octet
 * referent id among the scalars (0 for null) and its referent among the deferred buffers,
 * in field order, each referent complete (with its own referents) before the next.
 * Full pointers may alias: a referent id already seen names the referent already read.
 * The writer's referent ids are 0x00020000, 0x00020004, ... as Windows hands them out.
 */
import { describe, expect, it } from 'vitest';
import {
  NdrError,
  NdrReader,
  conformantArray,
  cstring,
  full,
  i32,
  isNdrError,
  lazy,
  ndrDecode,
  ndrEncode,
  params,
  ref,
  struct,
  u16,
  u32,
  u8,
  unique,
  wstring,
  type NdrType,
} from '../../src/ndr/index.js';
import { decodes, everyPrefixFails, expectNdrError, hex, vector } from './helpers.js';

describe('top-level pointers', () => {
  it('[unique] long*: referent id, then the referent', () => {
    vector(unique(i32), 7, '00000200 07000000', '00020000 00000007');
  });

  it('null [unique] and [ptr] pointers are a zero referent id and nothing else', () => {
    vector(unique(i32), null, '00000000', '00000000');
    vector(full(i32), null, '00000000', '00000000');
  });

  it('[ptr] long*: referent id, then the referent', () => {
    vector(full(u16), 0x0102, '00000200 0201', '00020000 0102');
  });

  it('a pointer to a structure aligns the referent to the structure', () => {
    const S = struct('S', { a: u8, b: u32 });
    vector(unique(S), { a: 1, b: 2 }, '00000200 01 000000 02000000', '00020000 01 000000 00000002');
  });
});

describe('embedded pointers', () => {
  it('[unique], [ptr] and [ref] in a structure: ids among the scalars, referents after', () => {
    const S = struct('S', { p: unique(u32), q: full(u16), r: ref(u8) });
    vector(
      S,
      { p: 1, q: 2, r: 3 },
      '00000200 04000200 08000200 01000000 0200 03',
      '00020000 00020004 00020008 00000001 0002 03',
    );
  });

  it('null pointers take no referent id and send no referent', () => {
    const S = struct('S', { p: unique(u32), q: full(u32), r: unique(u32) });
    vector(
      S,
      { p: null, q: null, r: 9 },
      '00000000 00000000 00000200 09000000',
      '00000000 00000000 00020000 00000009',
    );
  });

  it('referents are deferred past the scalars of the whole structure', () => {
    const S = struct('S', { p: unique(u32), x: u16, q: unique(u8), y: u8 });
    // p@0 x@4 pad q@8 y@12 | *p@16 *q@20
    vector(
      S,
      { p: 0xaabbccdd, x: 5, q: 6, y: 7 },
      '00000200 0500 0000 04000200 07 000000 ddccbbaa 06',
      '00020000 0005 0000 00020004 07 000000 aabbccdd 06',
    );
  });

  it('deferral order: A { p1 -> B { q -> long }; p2 -> long } is depth-first', () => {
    const B = struct('B', { q: unique(i32) });
    const A = struct('A', { p1: unique(B), p2: unique(i32) });
    // A's scalars [id p1, id p2], B's scalars [id q], q's referent, then p2's referent.
    vector(
      A,
      { p1: { q: 0x11 }, p2: 0x22 },
      '00000200 04000200 08000200 11000000 22000000',
      '00020000 00020004 00020008 00000011 00000022',
    );
  });

  it('deferral order with two levels and siblings', () => {
    const C = struct('C', { v: u16 });
    const B = struct('B', { c1: unique(C), c2: unique(C) });
    const A = struct('A', { b: unique(B), tail: unique(u8) });
    // A: id b, id tail | B: id c1, id c2 | *c1 | *c2 | *tail
    vector(
      A,
      { b: { c1: { v: 1 }, c2: { v: 2 } }, tail: 3 },
      '00000200 04000200 08000200 0c000200 0100 0200 03',
      '00020000 00020004 00020008 0002000c 0001 0002 03',
    );
  });

  it('an inline structure’s pointers are deferred to the end of the outer structure', () => {
    const B = struct('B', { q: unique(i32), n: u16 });
    const A = struct('A', { b: B, p: unique(i32) });
    // A scalars: B's (id q, n) then id p | *q | *p
    vector(
      A,
      { b: { q: 1, n: 2 }, p: 3 },
      '00000200 0200 0000 04000200 01000000 03000000',
      '00020000 0002 0000 00020004 00000001 00000003',
    );
  });

  it('a pointer whose referent is a conformant structure: max_count leads the referent', () => {
    const CS = struct('CS', { n: u32, data: conformantArray(u8, { sizeIs: (s) => s.n }) });
    const S = struct('S', { tag: u16, p: unique(CS) });
    vector(
      S,
      { tag: 1, p: { n: 3, data: [7, 8, 9] } },
      '0100 0000 00000200 03000000 03000000 070809',
      '0001 0000 00020000 00000003 00000003 070809',
    );
  });

  it('a pointer to a pointer', () => {
    const S = struct('S', { pp: unique(unique(u16)) });
    vector(S, { pp: 5 }, '00000200 04000200 0500', '00020000 00020004 0005');
    // A null value is the outer pointer being null (the TypeScript value cannot tell
    // "outer non-null, inner null" apart); decoding that wire form yields null too.
    vector(S, { pp: null }, '00000000', '00000000');
    decodes(S, '00000200 00000000', '00020000 00000000', { pp: null });
  });
});

describe('[ref] pointers', () => {
  it('an embedded [ref] pointer carries a referent id', () => {
    const S = struct('S', { r: ref(u32) });
    vector(S, { r: 5 }, '00000200 05000000', '00020000 00000005');
  });

  it('a null embedded [ref] pointer is bad stub data on decode', () => {
    const S = struct('S', { r: ref(u32) });
    expectNdrError(() => ndrDecode(S, hex('00000000 05000000')));
    expectNdrError(() => ndrDecode(S, hex('00000000'), false));
  });

  it('encoding a null [ref] pointer is a programming error (TypeError)', () => {
    const S = struct('S', { r: ref(u32) });
    expect(() => ndrEncode(S, { r: null as unknown as number })).toThrow(TypeError);
  });
});

describe('full pointer aliasing', () => {
  it('a repeated referent id names the referent already read, which is not resent', () => {
    const S = struct('S', { a: full(i32), b: full(i32) });
    decodes(S, '00000200 00000200 2a000000', '00020000 00020000 0000002a', { a: 42, b: 42 });
  });

  it('aliases resolve to the same decoded object', () => {
    const T = struct('T', { x: i32 });
    const S = struct('S', { a: full(T), b: full(T) });
    const v = ndrDecode(S, hex('04000200 04000200 07000000'));
    expect(v).toEqual({ a: { x: 7 }, b: { x: 7 } });
    expect(v.a).toBe(v.b);
  });

  it('an alias interleaved with distinct referents', () => {
    const S = struct('S', { a: full(i32), b: full(i32), c: full(i32) });
    decodes(
      S,
      '00000200 04000200 00000200 01000000 02000000',
      '00020000 00020004 00020000 00000001 00000002',
      { a: 1, b: 2, c: 1 },
    );
  });

  it('an alias of a referent read deeper in the depth-first order', () => {
    const B = struct('B', { q: full(i32) });
    const A = struct('A', { p1: full(B), p2: full(i32) });
    // id p1, id p2 (=Y) | B: id q (=Y) | *q = 5 | p2 aliases q: nothing more
    decodes(
      A,
      '00000200 04000200 04000200 05000000',
      '00020000 00020004 00020004 00000005',
      { p1: { q: 5 }, p2: 5 },
    );
  });

  it('a cycle: an id met again while its own referent is being read aliases that referent', () => {
    interface C {
      v: number;
      next: C | null;
    }
    const CNode: NdrType<C> = struct('CNode', { v: u32, next: full(lazy('CNode', () => CNode)) });
    const P = full(CNode);
    // id X | A: v=1, next=Y | B: v=2, next=X (back to A: nothing more is sent)
    const vectors: Array<[string, boolean]> = [
      ['00000200 01000000 04000200 02000000 00000200', true],
      ['00020000 00000001 00020004 00000002 00020000', false],
    ];
    for (const [h, le] of vectors) {
      const r = new NdrReader(hex(h), le);
      const a = P.readBuffers(r, P.readScalars(r, undefined, undefined), undefined) as C;
      expect(r.offset).toBe(20);
      expect(a.v).toBe(1);
      expect(a.next!.v).toBe(2);
      expect(a.next!.next).toBe(a);
    }
  });

  it('aliases are tracked per stream, across top-level parameters', () => {
    const P = params('P', { a: full(u16), b: full(u16) });
    decodes(P, '00000200 0700 0000 00000200', '00020000 0007 0000 00020000', { a: 7, b: 7 });
  });

  it('the encoder sends each full pointer’s referent on its own (no aliasing)', () => {
    const S = struct('S', { a: full(i32), b: full(i32) });
    vector(S, { a: 42, b: 42 }, '00000200 04000200 2a000000 2a000000', '00020000 00020004 0000002a 0000002a');
  });

  it('[unique] pointers never alias: the same id twice means two referents', () => {
    const S = struct('S', { a: unique(i32), b: unique(i32) });
    decodes(S, '00000200 00000200 01000000 02000000', '00020000 00020000 00000001 00000002', { a: 1, b: 2 });
  });
});

describe('top-level parameters', () => {
  it('each parameter is complete (scalars and referents) before the next begins', () => {
    const C = struct('C', { x: u16, p: unique(u8) });
    const P = params('P', { a: unique(u32), b: u16, c: unique(C) });
    // a: id, *a | b | pad, c: id | *c: x, pad, id p | *p
    vector(
      P,
      { a: 5, b: 6, c: { x: 7, p: 8 } },
      '00000200 05000000 0600 0000 04000200 0700 0000 08000200 08',
      '00020000 00000005 0006 0000 00020004 0007 0000 00020008 08',
    );
  });

  it('the same fields as a structure defer every referent to the end', () => {
    const C = struct('C', { x: u16, p: unique(u8) });
    const S = struct('S', { a: unique(u32), b: u16, c: unique(C) });
    // id a, b, pad, id c | *a | *c: x, pad, id p | *p
    vector(
      S,
      { a: 5, b: 6, c: { x: 7, p: 8 } },
      '00000200 0600 0000 04000200 05000000 0700 0000 08000200 08',
      '00020000 0006 0000 00020004 00000005 0007 0000 00020008 08',
    );
  });

  it('[unique, string] parameters follow one another', () => {
    const P = params('P', { s: unique(cstring), n: u32, w: unique(wstring) });
    vector(
      P,
      { s: 'ab', n: 1, w: null },
      '00000200 03000000 00000000 03000000 616200 00 01000000 00000000',
      '00020000 00000003 00000000 00000003 616200 00 00000001 00000000',
    );
  });

  it('a correlation in a parameter list sees earlier parameters', () => {
    const P = params('P', { n: u32, data: unique(conformantArray(u16, { sizeIs: (s) => s.n })) });
    vector(
      P,
      { n: 2, data: [1, 2] },
      '02000000 00000200 02000000 0100 0200',
      '00000002 00020000 00000002 0001 0002',
    );
    // A max_count that disagrees with the correlated parameter is bad stub data.
    expectNdrError(() => ndrDecode(P, hex('02000000 00000200 03000000 0100 0200 0300')));
  });

  it('a response may correlate with request values passed as scope', () => {
    const Resp = params('Resp', { data: conformantArray(u32, { sizeIs: (s) => s.count }) });
    const scope = { count: 2 };
    vector(Resp, { data: [1, 2] }, '02000000 01000000 02000000', '00000002 00000001 00000002', scope);
    expectNdrError(() => ndrDecode(Resp, hex('01000000 01000000'), true, scope));
  });
});

describe('recursive types', () => {
  interface Node {
    v: number;
    next: Node | null;
  }
  const Node: NdrType<Node> = struct('Node', { v: i32, next: unique(lazy('Node', () => Node)) });

  function list(n: number): Node | null {
    let head: Node | null = null;
    for (let i = n; i >= 1; i--) head = { v: i, next: head };
    return head;
  }

  it('a linked list: each node’s referent follows its scalars', () => {
    vector(Node, list(3)!, '01000000 00000200 02000000 04000200 03000000 00000000',
      '00000001 00020000 00000002 00020004 00000003 00000000');
  });

  it('a list within the depth limit decodes', () => {
    const v = list(10)!;
    expect(ndrDecode(Node, ndrEncode(Node, v))).toEqual(v);
  });

  it('nesting beyond maxDepth is bad stub data, not a stack overflow', () => {
    const v = list(200)!;
    const bytes = Buffer.from(ndrEncode(Node, v));
    expectNdrError(() => ndrDecode(Node, bytes));
    expectNdrError(() => ndrDecode(Node, Buffer.from(ndrEncode(Node, list(10)!)), true, undefined, { maxDepth: 4 }));
  });

  it('a hand-built deep chain (ids only) is refused at the depth limit', () => {
    // Every node: v = 0, next = a fresh non-null id; the chain never ends.
    const parts: string[] = [];
    for (let i = 0; i < 5000; i++) parts.push('00000000 04000200');
    const buf = hex(parts.join(''));
    const e = expectNdrError(() => ndrDecode(Node, buf));
    expect(e.message).toMatch(/nested too deeply/);
  });
});

describe('truncation', () => {
  it('every prefix of pointer vectors fails with NdrError', () => {
    const B = struct('B', { q: unique(i32) });
    const A = struct('A', { p1: unique(B), p2: unique(i32) });
    everyPrefixFails(A, hex('00000200 04000200 08000200 11000000 22000000'), true);
    everyPrefixFails(A, hex('00020000 00020004 00020008 00000011 00000022'), false);
    const S = struct('S', { a: full(i32), b: full(i32) });
    everyPrefixFails(S, hex('00000200 00000200 2a000000'), true);
  });

  it('isNdrError recognises the error class', () => {
    expect(isNdrError(new NdrError('x'))).toBe(true);
    expect(isNdrError(new Error('x'))).toBe(false);
  });
});
