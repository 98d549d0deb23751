/**
 * Property tests: random values of every combinator family round-trip through
 * ndrEncode/ndrDecode (and type serialization); random type trees (structures of pointers,
 * arrays of structures, unions, strings, conformant tails) round-trip; and random or
 * mutated bytes fed to decoders of complex types never raise anything but NdrError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GUID,
  HRESULT,
  NdrError,
  NdrReader,
  boolean8,
  conformantArray,
  conformantBytes,
  conformantString,
  conformantVaryingArray,
  conformantVaryingBytes,
  cstring,
  deserializeType1,
  encapsulatedUnion,
  enum16,
  f32,
  f64,
  fixedArray,
  fixedBytes,
  full,
  i16,
  i32,
  i64,
  i8,
  lazy,
  ndrDecode,
  ndrEncode,
  params,
  range,
  ref,
  serializeType1,
  struct,
  u16,
  u32,
  u64,
  u8,
  union,
  unique,
  v1_enum,
  varyingArray,
  varyingString,
  wchar,
  wstring,
  type NdrType,
} from '../../src/ndr/index.js';

// ---------------------------------------------------------------------------------------
// Arbitraries for primitive values

type Built = { type: NdrType<any>; arb: fc.Arbitrary<any> };

const guidArb = fc.uuid().map((g) => g.toLowerCase());
const latin1 = (maxLength: number) =>
  fc.array(fc.integer({ min: 0, max: 0xff }), { maxLength }).map((a) => String.fromCharCode(...a));
const utf16 = (maxLength: number) =>
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength }).map((a) => String.fromCharCode(...a));
const bytesArb = (minLength: number, maxLength: number) =>
  fc.uint8Array({ minLength, maxLength }).map((a) => Buffer.from(a));

const PRIMS: Record<string, Built> = {
  u8: { type: u8, arb: fc.integer({ min: 0, max: 0xff }) },
  i8: { type: i8, arb: fc.integer({ min: -0x80, max: 0x7f }) },
  u16: { type: u16, arb: fc.integer({ min: 0, max: 0xffff }) },
  i16: { type: i16, arb: fc.integer({ min: -0x8000, max: 0x7fff }) },
  u32: { type: u32, arb: fc.integer({ min: 0, max: 0xffffffff }) },
  i32: { type: i32, arb: fc.integer({ min: -0x80000000, max: 0x7fffffff }) },
  u64: { type: u64, arb: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) },
  i64: { type: i64, arb: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }) },
  f32: { type: f32, arb: fc.float() },
  f64: { type: f64, arb: fc.double() },
  boolean: { type: boolean8, arb: fc.boolean() },
  wchar: { type: wchar, arb: fc.integer({ min: 0, max: 0xffff }) },
  enum16: { type: enum16, arb: fc.integer({ min: 0, max: 0x7fff }) },
  v1_enum: { type: v1_enum, arb: fc.integer({ min: 0, max: 0xffffffff }) },
  HRESULT: { type: HRESULT, arb: fc.integer({ min: 0, max: 0xffffffff }) },
  GUID: { type: GUID, arb: guidArb },
  range: { type: range(u16, 10, 20), arb: fc.integer({ min: 10, max: 20 }) },
};
const PRIM_NAMES = Object.keys(PRIMS);

function roundTrips<T>(type: NdrType<T>, value: T): void {
  const bytes = Buffer.from(ndrEncode(type, value));
  const r = new NdrReader(bytes, true);
  const decoded = type.readBuffers(r, type.readScalars(r, undefined, undefined), undefined);
  expect(decoded).toEqual(value);
  expect(r.offset).toBe(bytes.length);
}

/** Decoding `bytes` either succeeds or throws NdrError with rpc_x_bad_stub_data. */
function onlyNdrErrors(decode: () => unknown): void {
  try {
    decode();
  } catch (e) {
    if (!(e instanceof NdrError)) throw e;
    expect(e.status).toBe(0x6f7);
  }
}

// ---------------------------------------------------------------------------------------
// Random type trees. Only legal IDL shapes: conformant types appear at the top level, as a
// pointer's referent or as the last member of a (conformant) structure; no type is
// zero-sized (IDL has no zero-length fixed arrays or empty structures).

type Desc =
  | { k: 'prim'; p: string }
  | { k: 'struct'; fields: Desc[] }
  | { k: 'ptr'; kind: 'unique' | 'full' | 'ref'; to: Desc | Conf }
  | { k: 'fixed'; elem: Desc; n: number }
  | { k: 'varying'; elem: Desc; n: number }
  | { k: 'union'; enc: boolean; disc: string; arms: Array<Desc | null>; def?: Desc | null }
  | { k: 'vstring'; width: 1 | 2; n: number }
  | { k: 'fbytes'; n: number };
type Conf =
  | { k: 'conf'; elem: Desc }
  | { k: 'cva'; elem: Desc }
  | { k: 'cstr'; width: 1 | 2 }
  | { k: 'cbytes' }
  | { k: 'cvbytes' }
  | { k: 'cstruct'; fields: Desc[]; tail: Conf };

const primDesc: fc.Arbitrary<Desc> = fc.constantFrom(...PRIM_NAMES).map((p) => ({ k: 'prim' as const, p }));
const leafDesc: fc.Arbitrary<Desc> = fc.oneof(
  { weight: 6, arbitrary: primDesc },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('vstring' as const), width: fc.constantFrom(1 as const, 2 as const), n: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('fbytes' as const), n: fc.integer({ min: 1, max: 5 }) }) },
);

function confArb(depth: number): fc.Arbitrary<Conf> {
  const elem = descArb(depth - 1);
  const options: fc.Arbitrary<Conf>[] = [
    elem.map((e) => ({ k: 'conf' as const, elem: e })),
    elem.map((e) => ({ k: 'cva' as const, elem: e })),
    fc.constantFrom(1 as const, 2 as const).map((width) => ({ k: 'cstr' as const, width })),
    fc.constant({ k: 'cbytes' as const }),
    fc.constant({ k: 'cvbytes' as const }),
  ];
  if (depth > 1) {
    options.push(
      fc
        .tuple(fc.array(descArb(depth - 1), { minLength: 0, maxLength: 3 }), confArb(depth - 1))
        .map(([fields, tail]) => ({ k: 'cstruct' as const, fields, tail })),
    );
  }
  return fc.oneof(...options);
}

const descCache = new Map<number, fc.Arbitrary<Desc>>();
function descArb(depth: number): fc.Arbitrary<Desc> {
  if (depth <= 0) return leafDesc;
  const cached = descCache.get(depth);
  if (cached) return cached;
  const sub = descArb(depth - 1);
  const arb: fc.Arbitrary<Desc> = fc.oneof(
    { weight: 3, arbitrary: leafDesc },
    {
      weight: 3,
      arbitrary: fc.array(sub, { minLength: 1, maxLength: 4 }).map((fields) => ({ k: 'struct' as const, fields })),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom('unique' as const, 'full' as const, 'ref' as const), fc.oneof(sub, confArb(depth)))
        .map(([kind, to]) => ({ k: 'ptr' as const, kind, to })),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('fixed' as const), elem: sub, n: fc.integer({ min: 1, max: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('varying' as const), elem: sub, n: fc.integer({ min: 0, max: 3 }) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('union' as const),
        enc: fc.boolean(),
        disc: fc.constantFrom('u8', 'u16', 'u32', 'i32', 'enum16'),
        arms: fc.array(fc.option(sub, { freq: 4, nil: null }), { minLength: 1, maxLength: 3 }),
        def: fc.option(fc.option(sub, { freq: 3, nil: null }), { freq: 2, nil: undefined }),
      }),
    },
  );
  descCache.set(depth, arb);
  return arb;
}

const DISCS: Record<string, NdrType<number>> = { u8, u16, u32, i32, enum16 };

function build(d: Desc | Conf): Built {
  switch (d.k) {
    case 'prim':
      return PRIMS[d.p]!;
    case 'vstring':
      return { type: varyingString(d.width, d.n), arb: d.width === 1 ? latin1(d.n - 1) : utf16(d.n - 1) };
    case 'fbytes':
      return { type: fixedBytes(d.n), arb: bytesArb(d.n, d.n) };
    case 'struct':
    case 'cstruct': {
      const fields: Record<string, NdrType<any>> = {};
      const arbs: Record<string, fc.Arbitrary<any>> = {};
      d.fields.forEach((f, i) => {
        const b = build(f);
        fields[`f${i}`] = b.type;
        arbs[`f${i}`] = b.arb;
      });
      if (d.k === 'cstruct') {
        const b = build(d.tail);
        fields.tail = b.type;
        arbs.tail = b.arb;
      }
      return { type: struct('R', fields), arb: fc.record(arbs) };
    }
    case 'ptr': {
      const b = build(d.to);
      if (d.kind === 'ref') return { type: ref(b.type), arb: b.arb.filter((v) => v !== null) };
      return { type: d.kind === 'unique' ? unique(b.type) : full(b.type), arb: fc.option(b.arb, { freq: 3, nil: null }) };
    }
    case 'fixed': {
      const b = build(d.elem);
      return { type: fixedArray(b.type, d.n), arb: fc.array(b.arb, { minLength: d.n, maxLength: d.n }) };
    }
    case 'varying': {
      const b = build(d.elem);
      return { type: varyingArray(b.type, d.n), arb: fc.array(b.arb, { maxLength: d.n }) };
    }
    case 'conf': {
      const b = build(d.elem);
      return { type: conformantArray(b.type), arb: fc.array(b.arb, { maxLength: 4 }) };
    }
    case 'cva': {
      const b = build(d.elem);
      return { type: conformantVaryingArray(b.type), arb: fc.array(b.arb, { maxLength: 4 }) };
    }
    case 'cstr':
      return { type: conformantString(d.width), arb: d.width === 1 ? latin1(8) : utf16(8) };
    case 'cbytes':
      return { type: conformantBytes(), arb: bytesArb(0, 8) };
    case 'cvbytes':
      return { type: conformantVaryingBytes(), arb: bytesArb(0, 8) };
    case 'union': {
      const arms: Record<number, NdrType<any> | null> = {};
      const values: fc.Arbitrary<any>[] = [];
      d.arms.forEach((a, i) => {
        if (a === null) {
          arms[i] = null;
          values.push(fc.constant({ tag: i, value: null }));
        } else {
          const b = build(a);
          arms[i] = b.type;
          values.push(b.arb.map((value) => ({ tag: i, value })));
        }
      });
      let opts = {};
      if (d.def !== undefined) {
        const tagArb = fc.integer({ min: 50, max: 200 });
        if (d.def === null) {
          opts = { default: null };
          values.push(tagArb.map((tag) => ({ tag, value: null })));
        } else {
          const b = build(d.def);
          opts = { default: b.type };
          values.push(fc.tuple(tagArb, b.arb).map(([tag, value]) => ({ tag, value })));
        }
      }
      const mk = d.enc ? encapsulatedUnion : union;
      return { type: mk('RU', DISCS[d.disc]!, arms, opts), arb: fc.oneof(...values) };
    }
  }
}

const topDesc: fc.Arbitrary<Desc | Conf> = fc.oneof({ weight: 4, arbitrary: descArb(3) }, { weight: 1, arbitrary: confArb(2) });
const typeAndValue = topDesc.chain((d) => {
  const b = build(d);
  return b.arb.map((v) => ({ d, type: b.type, v }));
});

// ---------------------------------------------------------------------------------------

describe('round trips by family', () => {
  it('primitives', () => {
    for (const name of PRIM_NAMES) {
      const { type, arb } = PRIMS[name]!;
      fc.assert(fc.property(arb, (v) => roundTrips(type, v)), { numRuns: 60 });
    }
  });

  it('structures of mixed primitives (alignment)', () => {
    const S = struct('S', { a: u8, b: i64, c: u16, d: f32, e: boolean8, f: GUID, g: i8, h: f64 });
    const arb = fc.record({
      a: PRIMS.u8!.arb, b: PRIMS.i64!.arb, c: PRIMS.u16!.arb, d: PRIMS.f32!.arb,
      e: fc.boolean(), f: guidArb, g: PRIMS.i8!.arb, h: fc.double(),
    });
    fc.assert(fc.property(arb, (v) => roundTrips(S, v)), { numRuns: 150 });
  });

  it('structures of pointers (unique, full, ref, nested, null)', () => {
    const B = struct('B', { q: unique(i32), r: ref(u16), s: full(cstring) });
    const A = struct('A', { p1: unique(B), x: u8, p2: full(i64), p3: ref(B), w: unique(wstring) });
    const bArb = fc.record({
      q: fc.option(PRIMS.i32!.arb, { nil: null }),
      r: PRIMS.u16!.arb,
      s: fc.option(latin1(10), { nil: null }),
    });
    const aArb = fc.record({
      p1: fc.option(bArb, { nil: null }),
      x: PRIMS.u8!.arb,
      p2: fc.option(PRIMS.i64!.arb, { nil: null }),
      p3: bArb,
      w: fc.option(utf16(10), { nil: null }),
    });
    fc.assert(fc.property(aArb, (v) => roundTrips(A, v)), { numRuns: 150 });
  });

  it('arrays of structures holding pointers (fixed, conformant, varying, conformant varying)', () => {
    const E = struct('E', { id: u16, p: unique(u32), s: unique(cstring) });
    const eArb = fc.record({
      id: PRIMS.u16!.arb,
      p: fc.option(PRIMS.u32!.arb, { nil: null }),
      s: fc.option(latin1(6), { nil: null }),
    });
    const S = struct('S', {
      fixed: fixedArray(E, 2),
      varying: varyingArray(E, 3),
      ptrs: unique(conformantArray(unique(E))),
      n: u32,
      tail: conformantVaryingArray(E, { sizeIs: (s) => s.n }),
    });
    const arb = fc
      .record({
        fixed: fc.array(eArb, { minLength: 2, maxLength: 2 }),
        varying: fc.array(eArb, { maxLength: 3 }),
        ptrs: fc.option(fc.array(fc.option(eArb, { nil: null }), { maxLength: 4 }), { nil: null }),
        extra: fc.integer({ min: 0, max: 3 }),
        tail: fc.array(eArb, { maxLength: 4 }),
      })
      .map(({ extra, ...v }) => ({ ...v, n: v.tail.length + extra }));
    fc.assert(fc.property(arb, (v) => roundTrips(S, v as any)), { numRuns: 150 });
  });

  it('conformant arrays correlated with a size_is member', () => {
    const S = struct('S', { n: u32, h: i64, arr: conformantArray(u16, { sizeIs: (s) => s.n }) });
    const arb = fc.array(PRIMS.u16!.arb, { maxLength: 20 }).chain((arr) =>
      PRIMS.i64!.arb.map((h) => ({ n: arr.length, h, arr })),
    );
    fc.assert(fc.property(arb, (v) => roundTrips(S, v)), { numRuns: 100 });
  });

  it('byte arrays', () => {
    fc.assert(fc.property(bytesArb(0, 40), (b) => roundTrips(conformantBytes(), b)), { numRuns: 60 });
    fc.assert(fc.property(bytesArb(0, 40), (b) => roundTrips(conformantVaryingBytes(), b)), { numRuns: 60 });
    fc.assert(fc.property(bytesArb(7, 7), (b) => roundTrips(fixedBytes(7), b)), { numRuns: 30 });
  });

  it('strings', () => {
    fc.assert(fc.property(latin1(30), (s) => roundTrips(unique(cstring), s)), { numRuns: 100 });
    fc.assert(fc.property(utf16(30), (s) => roundTrips(unique(wstring), s)), { numRuns: 100 });
    fc.assert(fc.property(latin1(63), (s) => roundTrips(varyingString(1, 64), s)), { numRuns: 60 });
    fc.assert(fc.property(utf16(15), (s) => roundTrips(varyingString(2, 16), s)), { numRuns: 60 });
    const S = struct('S', { a: u8, name: wstring });
    fc.assert(fc.property(fc.record({ a: PRIMS.u8!.arb, name: utf16(12) }), (v) => roundTrips(S, v)), { numRuns: 60 });
  });

  it('unions (non-encapsulated and encapsulated, with defaults)', () => {
    const arms = { 1: i32, 2: unique(wstring), 3: null, 4: u64 };
    const U = union('U', u16, arms, { default: u8 });
    const E = encapsulatedUnion('E', u32, arms);
    const armValue = fc.oneof(
      PRIMS.i32!.arb.map((value) => ({ tag: 1, value })),
      fc.option(utf16(8), { nil: null }).map((value) => ({ tag: 2, value })),
      fc.constant({ tag: 3, value: null }),
      PRIMS.u64!.arb.map((value) => ({ tag: 4, value })),
    );
    const uValue = fc.oneof(armValue, fc.tuple(fc.integer({ min: 5, max: 0xffff }), PRIMS.u8!.arb).map(([tag, value]) => ({ tag, value })));
    const S = struct('S', { a: u8, u: U, e: E, b: u8 });
    fc.assert(
      fc.property(fc.record({ a: PRIMS.u8!.arb, u: uValue, e: armValue, b: PRIMS.u8!.arb }), (v) => roundTrips(S, v as any)),
      { numRuns: 200 },
    );
  });

  it('top-level parameter lists', () => {
    const P = params('P', { a: unique(u32), b: u8, c: full(wstring), d: conformantVaryingBytes(), e: unique(u64) });
    const arb = fc.record({
      a: fc.option(PRIMS.u32!.arb, { nil: null }),
      b: PRIMS.u8!.arb,
      c: fc.option(utf16(6), { nil: null }),
      d: bytesArb(0, 9),
      e: fc.option(PRIMS.u64!.arb, { nil: null }),
    });
    fc.assert(fc.property(arb, (v) => roundTrips(P, v)), { numRuns: 100 });
  });

  it('type serialization', () => {
    const S = struct('S', { a: u8, p: unique(wstring), h: u64 });
    const arb = fc.record({ a: PRIMS.u8!.arb, p: fc.option(utf16(9), { nil: null }), h: PRIMS.u64!.arb });
    fc.assert(
      fc.property(arb, (v) => {
        const buf = serializeType1(S, v);
        expect(buf.length % 8).toBe(0);
        expect(buf.readUInt32LE(8)).toBe(buf.length - 16);
        expect(deserializeType1(S, buf)).toEqual({ value: v, size: buf.length });
      }),
      { numRuns: 100 },
    );
  });
});

describe('round trips of random type trees', () => {
  it('random structures of pointers, arrays of structures, unions, strings, conformant tails', () => {
    fc.assert(
      fc.property(typeAndValue, ({ type, v }) => roundTrips(type, v)),
      { numRuns: 600 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// Decoders never fail with anything but NdrError

interface LNode {
  item: { tag: number; value: unknown };
  next: LNode | null;
}
const LNodeT: NdrType<LNode> = struct('LNode', {
  item: union('Item', u32, { 1: unique(wstring), 2: conformantArray(u16) as NdrType<any>, 3: GUID }, { default: null }),
  next: unique(lazy('LNode', () => LNodeT)),
});

const FUZZ_TYPES: Array<[string, NdrType<any>]> = [
  [
    'conformant varying array of structures with pointers and strings',
    conformantVaryingArray(struct('E', { id: u16, p: unique(u32), s: unique(wstring), c: full(cstring) })),
  ],
  ['recursive linked list with union payload', LNodeT],
  [
    'structure with encapsulated union, varying string, GUID, full pointers',
    struct('T', {
      g: GUID,
      u: encapsulatedUnion('EU', u16, { 1: u64, 2: full(struct('B', { q: full(i32), r: ref(u8) })), 3: null }),
      annotation: varyingString(1, 64),
      f1: full(u32),
      f2: full(u32),
      e: enum16,
    }),
  ],
  [
    'conformant structure with hyper and array of structures',
    struct('CS', {
      n: range(u32, 0, 100),
      h: i64,
      arr: conformantArray(struct('X', { a: u8, p: unique(fixedArray(u16, 3)) }), { sizeIs: (s) => s.n }),
    }),
  ],
  [
    'parameter list with strings and byte arrays',
    params('P', {
      a: unique(cstring),
      b: conformantVaryingBytes(),
      c: full(conformantString(2)),
      d: varyingArray(unique(u64), 4),
      e: union('U', u8, { 1: f64, 2: f32 }),
    }),
  ],
];

describe('decoders raise only NdrError', () => {
  for (const [name, type] of FUZZ_TYPES) {
    it(`random bytes: ${name}`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 512 }), fc.boolean(), (bytes, le) => {
          onlyNdrErrors(() => ndrDecode(type, Buffer.from(bytes), le));
        }),
        { numRuns: 300 },
      );
    });
  }

  it('random bytes behind a plausible header: deserializeType1', () => {
    const T = FUZZ_TYPES[2]![1];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.boolean(), fc.integer({ min: 0, max: 600 }), (body, le, len) => {
        const hdr = Buffer.alloc(16);
        hdr[0] = 1;
        hdr[1] = le ? 0x10 : 0x00;
        if (le) hdr.writeUInt16LE(8, 2);
        else hdr.writeUInt16BE(8, 2);
        hdr.writeUInt32LE(0xcccccccc, 4);
        if (le) hdr.writeUInt32LE(len, 8);
        else hdr.writeUInt32BE(len, 8);
        onlyNdrErrors(() => deserializeType1(T, Buffer.concat([hdr, Buffer.from(body)])));
        onlyNdrErrors(() => deserializeType1(T, Buffer.from(body)));
      }),
      { numRuns: 300 },
    );
  });

  it('mutated valid encodings of random type trees', () => {
    const mutation = fc.array(
      fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      { minLength: 1, maxLength: 4 },
    );
    fc.assert(
      fc.property(typeAndValue, mutation, fc.nat(), fc.boolean(), ({ type, v }, muts, cut, le) => {
        const bytes = Buffer.from(ndrEncode(type, v));
        for (const m of muts) if (bytes.length > 0) bytes[m.at % bytes.length] = m.byte;
        onlyNdrErrors(() => ndrDecode(type, bytes, le));
        onlyNdrErrors(() => ndrDecode(type, bytes.subarray(0, bytes.length === 0 ? 0 : cut % bytes.length), le));
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes into random type trees', () => {
    fc.assert(
      fc.property(topDesc, fc.uint8Array({ maxLength: 256 }), fc.boolean(), (d, bytes, le) => {
        onlyNdrErrors(() => ndrDecode(build(d).type, Buffer.from(bytes), le));
      }),
      { numRuns: 500 },
    );
  });
});
