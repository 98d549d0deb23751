/**
 * The PDU layouts (src/dcerpc/pdu/layouts.ts) and the machinery they are declared with
 * (layout.ts, compile.ts): one declaration per PDU, read and written by the same code.
 *  - what is derived from the declarations agrees with the spec's constants;
 *  - every PTYPE round-trips, written in either byte order: bytes -> PDU -> the same bytes;
 *  - hand-written big-endian vectors of PDUs only a peer would send that way;
 *  - failures are PduErrors that name the PDU and the field; the declarations refuse
 *    what they cannot honour.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMON_HEADER_SIZE, PFC, PTYPE, SEC_TRAILER_SIZE } from '../../src/dcerpc/constants.js';
import { PduError } from '../../src/dcerpc/pdu/error.js';
import { filler, layout, reserved } from '../../src/dcerpc/pdu/layout.js';
import {
  AUTH_VERIFIER,
  COMMON_HEADER,
  FAULT_BODY,
  PDU_KINDS,
  p_cont_elem_t,
  p_result_t,
  p_syntax_id_t,
  REQUEST_BODY,
  RESPONSE_BODY,
} from '../../src/dcerpc/pdu/layouts.js';
import { isLittleEndian, parsePdu, readHeader } from '../../src/dcerpc/pdu/parser.js';
import { encodeBind, encodeBindNak, encodePdu, type OutAuth } from '../../src/dcerpc/pdu/serializer.js';
import type { Pdu, SyntaxId } from '../../src/dcerpc/pdu/types.js';
import { NdrReader, NdrWriter, u8 } from '../../src/ndr/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const NDR20: SyntaxId = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 };

describe('what the declarations say', () => {
  it('the common header and the sec_trailer have the sizes C706 and MS-RPCE give them', () => {
    const w = new NdrWriter(1);
    COMMON_HEADER.writeFrom(w, { rpcVersMinor: 0, ptype: 0, flags: 0, drep: 0x10, fragLength: 0, authLength: 0, callId: 0 });
    expect(w.offset).toBe(COMMON_HEADER_SIZE);
    const t = new NdrWriter(1);
    AUTH_VERIFIER.writeFrom(t, { authType: 0, authLevel: 0, authPadLength: 0, authReserved: 0, authContextId: 0, authValue: Buffer.alloc(0) });
    expect(t.offset).toBe(SEC_TRAILER_SIZE);
  });

  it('the fewest octets of each part, which bound list counts before allocation', () => {
    expect(p_syntax_id_t.minSize).toBe(20);
    expect(p_cont_elem_t.minSize).toBe(24);
    expect(p_result_t.minSize).toBe(24);
    expect(REQUEST_BODY.minSize).toBe(8);
    expect(RESPONSE_BODY.minSize).toBe(8);
    expect(FAULT_BODY.minSize).toBe(16);
  });

  it('the table knows exactly the connection-oriented PTYPEs (C706 12.6.4)', () => {
    const known = PDU_KINDS.flatMap((k, ptype) => (k ? [[ptype, k.type] as const] : []));
    expect(known).toEqual([
      [PTYPE.request, 'request'],
      [PTYPE.response, 'response'],
      [PTYPE.fault, 'fault'],
      [PTYPE.bind, 'bind'],
      [PTYPE.bind_ack, 'bind_ack'],
      [PTYPE.bind_nak, 'bind_nak'],
      [PTYPE.alter_context, 'alter_context'],
      [PTYPE.alter_context_resp, 'alter_context_resp'],
      [PTYPE.rpc_auth_3, 'auth3'],
      [PTYPE.shutdown, 'shutdown'],
      [PTYPE.co_cancel, 'co_cancel'],
      [PTYPE.orphaned, 'orphaned'],
    ]);
    expect(() => encodePdu(PTYPE.ping, 3, 1, {})).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------
// Every PTYPE, both byte orders, both directions.
// ---------------------------------------------------------------------------------------

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const octet = fc.integer({ min: 0, max: 0xff });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const syntax: fc.Arbitrary<SyntaxId> = fc.record({ uuid: fc.uuid().map((g) => g.toLowerCase()), major: u16, minor: u16 });

/** A body for each PTYPE, and the flags it needs (PFC_OBJECT_UUID follows the object). */
const bodies: Record<number, fc.Arbitrary<Record<string, unknown>>> = {
  [PTYPE.request]: fc.record({ allocHint: u32, contextId: u16, opnum: u16, object: fc.option(fc.uuid().map((g) => g.toLowerCase()), { nil: undefined }), stub: bytes(100) }),
  [PTYPE.response]: fc.record({ allocHint: u32, contextId: u16, cancelCount: octet, stub: bytes(100) }),
  [PTYPE.fault]: fc.record({ allocHint: u32, contextId: u16, cancelCount: octet, faultFlags: octet, status: u32, stub: bytes(40) }),
  [PTYPE.bind]: fc.record({
    maxXmitFrag: u16,
    maxRecvFrag: u16,
    assocGroupId: u32,
    contexts: fc.array(fc.record({ contextId: u16, abstractSyntax: syntax, transferSyntaxes: fc.array(syntax, { maxLength: 3 }) }), { maxLength: 3 }),
  }),
  [PTYPE.bind_ack]: fc.record({
    maxXmitFrag: u16,
    maxRecvFrag: u16,
    assocGroupId: u32,
    secondaryAddress: fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: 12 }).map((c) => String.fromCharCode(...c)),
    results: fc.array(fc.record({ result: u16, reason: u16, transferSyntax: syntax }), { maxLength: 3 }),
  }),
  [PTYPE.bind_nak]: fc.record({ reason: u16, versions: fc.array(fc.record({ major: octet, minor: octet }), { maxLength: 4 }) }),
  [PTYPE.rpc_auth_3]: fc.constant({}),
  [PTYPE.shutdown]: fc.constant({}),
  [PTYPE.co_cancel]: fc.constant({}),
  [PTYPE.orphaned]: fc.constant({}),
};
bodies[PTYPE.alter_context] = bodies[PTYPE.bind]!;
bodies[PTYPE.alter_context_resp] = bodies[PTYPE.bind_ack]!;

const outAuth: fc.Arbitrary<OutAuth> = fc.record({
  authType: octet,
  authLevel: octet,
  authContextId: u32,
  authValue: fc.uint8Array({ minLength: 1, maxLength: 40 }).map((a) => Buffer.from(a)),
  padTo: fc.constantFrom(4, 8, 16),
});

const anyPdu = fc
  .constantFrom(...Object.keys(bodies).map(Number))
  .chain((ptype) =>
    fc.record({
      ptype: fc.constant(ptype),
      flags: octet,
      callId: u32,
      body: bodies[ptype]!,
      // bind_nak carries no verifier; every other PDU may.
      auth: ptype === PTYPE.bind_nak ? fc.constant(undefined) : fc.option(outAuth, { nil: undefined }),
      bigEndian: fc.boolean(),
    }),
  )
  .map((c) => {
    const flags = c.ptype === PTYPE.request ? (c.body.object ? c.flags | PFC.OBJECT_UUID : c.flags & ~PFC.OBJECT_UUID) : c.flags;
    return { ...c, flags };
  });

/** A parsed PDU as the body value it was written from (what encodePdu takes). */
function bodyOf(p: Pdu): Record<string, unknown> {
  const { type: _t, header: _h, raw: _r, auth: _a, ...body } = p as Pdu & { auth?: unknown };
  return body;
}

describe('round trips of every PTYPE in either byte order', () => {
  it('bytes written from a value parse back to that value', () => {
    fc.assert(
      fc.property(anyPdu, ({ ptype, flags, callId, body, auth, bigEndian }) => {
        const buf = encodePdu(ptype, flags, callId, body as never, auth, bigEndian);
        const p = parsePdu(buf);
        expect(p.type).toBe(PDU_KINDS[ptype]!.type);
        expect(p.header).toStrictEqual({
          rpcVersMinor: 0,
          ptype,
          flags,
          drep: bigEndian ? 0x00 : 0x10,
          fragLength: buf.length,
          authLength: auth ? auth.authValue.length : 0,
          callId,
        });
        expect(isLittleEndian(p.header)).toBe(!bigEndian);
        expect(readHeader(buf)).toStrictEqual(p.header);
        const want = { ...body };
        if (ptype === PTYPE.request && want.object === undefined) delete want.object;
        const got = bodyOf(p);
        if (got.object === undefined) delete got.object;
        expect(got).toEqual(want);
        if (auth) expect(p.auth).toMatchObject({ authType: auth.authType, authLevel: auth.authLevel, authContextId: auth.authContextId, authValue: auth.authValue });
        else expect(p.auth).toBeUndefined();
      }),
      { numRuns: 1500 },
    );
  });

  it('a parsed PDU written again is the same bytes, in the order it came in', () => {
    fc.assert(
      fc.property(anyPdu, ({ ptype, flags, callId, body, auth, bigEndian }) => {
        const buf = encodePdu(ptype, flags, callId, body as never, auth, bigEndian);
        const p = parsePdu(buf);
        const again = encodePdu(p.header.ptype, p.header.flags, p.header.callId, bodyOf(p) as never, p.auth && { ...p.auth, padTo: auth!.padTo }, !isLittleEndian(p.header));
        expect(again.toString('hex')).toBe(buf.toString('hex'));
      }),
      { numRuns: 1500 },
    );
  });
});

describe('big-endian vectors, written out by hand', () => {
  /** fault nca_s_op_rng_error, context 1, call 3: every integer byte-swapped from pdu.test.ts's FAULT. */
  const FAULT_BE = hex(`
    05 00 03 03  00 00 00 00  00 20  00 00  00 00 00 03
    00 00 00 20  00 01  00  00
    1c 01 00 02  00 00 00 00
  `);
  /** bind_ack on port 135 (pdu.test.ts's BIND_ACK_135 with drep 00): GUID Data1-3 and if_version swapped. */
  const BIND_ACK_135_BE = hex(`
    05 00 0c 03  00 00 00 00  00 3c  00 00  00 00 00 01
    16 d0  16 d0  00 00 46 3d
    00 04  31 33 35 00  00 00
    01 00 00 00
    00 00 00 00  8a 88 5d 04 1c eb 11 c9 9f e8 08 00 2b 10 48 60  00 00 00 02
  `);

  it('writes and reads a big-endian fault', () => {
    const body = { allocHint: 32, contextId: 1, cancelCount: 0, faultFlags: 0, status: 0x1c010002, stub: Buffer.alloc(0) };
    expect(encodePdu(PTYPE.fault, 0x03, 3, body, undefined, true).toString('hex')).toBe(FAULT_BE.toString('hex'));
    expect(parsePdu(FAULT_BE)).toMatchObject({ type: 'fault', header: { drep: 0, fragLength: 32, callId: 3 }, ...body });
  });

  it('writes and reads a big-endian bind_ack', () => {
    const body = { maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0x463d, secondaryAddress: '135', results: [{ result: 0, reason: 0, transferSyntax: NDR20 }] };
    expect(encodePdu(PTYPE.bind_ack, 0x03, 1, body, undefined, true).toString('hex')).toBe(BIND_ACK_135_BE.toString('hex'));
    expect(parsePdu(BIND_ACK_135_BE)).toMatchObject({ type: 'bind_ack', header: { drep: 0, fragLength: 60 }, ...body });
  });
});

// ---------------------------------------------------------------------------------------
// Failures.
// ---------------------------------------------------------------------------------------

function failure(buf: Buffer): PduError {
  try {
    parsePdu(buf);
  } catch (e) {
    expect(e).toBeInstanceOf(PduError);
    return e as PduError;
  }
  throw new Error('parsed');
}

describe('failures name the PDU and the field', () => {
  const bind = encodeBind('bind', { callId: 1, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0, contexts: [{ contextId: 0, abstractSyntax: NDR20, transferSyntaxes: [NDR20] }] });

  it('a list count past the end: the PDU, the list, the element and its field', () => {
    const b = Buffer.from(bind);
    b[30] = 2; // n_transfer_syn of the first context: 2, one present
    expect(failure(b).message).toMatch(/^bind: p_cont_elem: p_cont_elem_t: transfer_syntaxes runs past the end of the PDU \(count 2 /);
    const c = Buffer.from(bind);
    c[24] = 9; // n_context_elem
    expect(failure(c).message).toMatch(/^bind: p_cont_elem runs past the end of the PDU/);
  });

  it('a truncated header, a wrong version, a short body, an auth pad longer than the stub', () => {
    expect(failure(Buffer.from('05000b03', 'hex')).message).toMatch(/^common header: .* runs past the end of the PDU/);
    const v = Buffer.from(bind);
    v[0] = 4;
    expect(failure(v).message).toBe('common header: rpc_vers: RPC version 4 is not 5');
    const short = hex('05 00 02 03 10 00 00 00 14 00 00 00 01 00 00 00  08 00 00 00');
    expect(failure(short).message).toMatch(/^response: p_cont_id runs past the end of the PDU/);
    const pad = hex('05 00 02 03 10 00 00 00 24 00 04 00 01 00 00 00  00 00 00 00 00 00 00 00  0a 05 09 00 00 00 00 00  aa bb cc dd');
    expect(failure(pad).message).toBe('response: stub: auth_pad_length exceeds the stub');
  });

  it('readHeader reads any rpc_vers (the connection answers the call_id of whatever came)', () => {
    const v = Buffer.from(bind);
    v[0] = 4;
    expect(readHeader(v)).toMatchObject({ ptype: PTYPE.bind, callId: 1 });
  });
});

describe('the declarations refuse what they cannot honour', () => {
  it('a count its type cannot hold is a RangeError, not a truncated count', () => {
    const contexts = Array.from({ length: 256 }, (_, i) => ({ contextId: i, abstractSyntax: NDR20, transferSyntaxes: [] }));
    expect(() => encodeBind('bind', { callId: 1, maxXmitFrag: 1, maxRecvFrag: 1, assocGroupId: 0, contexts })).toThrow(RangeError);
    expect(() => encodeBindNak(1, 4, Array.from({ length: 256 }, () => ({ major: 5, minor: 0 })))).toThrow(RangeError);
    expect(encodeBind('bind', { callId: 1, maxXmitFrag: 1, maxRecvFrag: 1, assocGroupId: 0, contexts: contexts.slice(0, 255) })[24]).toBe(255);
  });

  it('a list needs its count declared before it; a filler can only end a layout; keys are identifiers', () => {
    type L = { items: number[]; name: number };
    expect(() => layout<L>('x', ($) => [$.list('items', 'items', u8)])).toThrow(/no count/);
    expect(() => layout<L>('x', ($) => [filler('pad', { octets: 4 }), $.field('n', 'name', u8)])).toThrow(/filler/);
    expect(() => layout<Record<string, number>>('x', ($) => [$.field('bad', 'a-b', u8)])).toThrow(/key/);
    expect(() => layout<L>('x', ($) => [$.count('n', 'items', u8), $.count('n', 'items', u8)])).toThrow(/counted twice/);
  });

  it('a reserved field is written as its value and its octets are never seen', () => {
    const L = layout<{ a: number }>('x', ($) => [reserved('r', u8, 7), $.field('a', 'a', u8)]);
    const w = new NdrWriter(2);
    L.writeFrom(w, { a: 1 });
    expect(w.finish().toString('hex')).toBe('0701');
    expect(L.read(new NdrReader(hex('ff01')))).toStrictEqual({ a: 1 });
  });
});
