/**
 * Property tests of the PDU codec:
 *  - arbitrary bytes (plain, behind a plausible 16-byte header, or mutations of valid PDUs)
 *    fed to parsePdu either parse or throw PduError / NdrError, nothing else;
 *  - random valid PDUs of every kind round-trip serializer -> parser field for field.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PFC, PTYPE } from '../../src/dcerpc/constants.js';
import { PduError } from '../../src/dcerpc/pdu/error.js';
import { parsePdu } from '../../src/dcerpc/pdu/parser.js';
import {
  encodeAuth3,
  encodeBind,
  encodeBindAck,
  encodeBindNak,
  encodeBodiless,
  encodeFault,
  encodeRequest,
  encodeResponse,
  type OutAuth,
} from '../../src/dcerpc/pdu/serializer.js';
import type { ContextElem, ContextResult, Pdu, SyntaxId } from '../../src/dcerpc/pdu/types.js';
import { NdrError } from '../../src/ndr/error.js';

const RUNS = 400;

function parseOrCodecError(buf: Buffer): Pdu | undefined {
  try {
    const p = parsePdu(buf);
    expect(p.raw).toBe(buf);
    return p;
  } catch (e) {
    if (!(e instanceof PduError) && !(e instanceof NdrError)) throw e;
    return undefined;
  }
}

/** Anything parsed from `buf` must lie within it. */
function checkParsed(p: Pdu | undefined, buf: Buffer): void {
  if (!p) return;
  expect(p.header.fragLength).toBe(buf.length);
  if (p.auth) expect(p.auth.authValue.length).toBe(p.header.authLength);
  if ('stub' in p) expect(p.stub.length).toBeLessThanOrEqual(buf.length);
}

// ---------------------------------------------------------------------------------------
// Robustness.
// ---------------------------------------------------------------------------------------

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u8 = fc.integer({ min: 0, max: 0xff });

/** A header that passes the version and frag_length checks, with random everything else. */
const headerPrefixed = fc
  .record({
    ptype: fc.oneof(fc.integer({ min: 0, max: 20 }), u8),
    flags: u8,
    drep0: fc.oneof(fc.constantFrom(0x10, 0x00), u8),
    authLength: fc.oneof(fc.integer({ min: 0, max: 40 }), u16),
    callId: u32,
    body: fc.uint8Array({ maxLength: 284 }),
  })
  .map(({ ptype, flags, drep0, authLength, callId, body }) => {
    const buf = Buffer.alloc(16 + body.length);
    buf[0] = 5;
    buf[1] = 0;
    buf[2] = ptype;
    buf[3] = flags;
    buf[4] = drep0;
    const le = (drep0 & 0xf0) === 0x10;
    if (le) {
      buf.writeUInt16LE(buf.length, 8);
      buf.writeUInt16LE(authLength, 10);
      buf.writeUInt32LE(callId, 12);
    } else {
      buf.writeUInt16BE(buf.length, 8);
      buf.writeUInt16BE(authLength, 10);
      buf.writeUInt32BE(callId, 12);
    }
    Buffer.from(body).copy(buf, 16);
    return buf;
  });

describe('parsePdu on hostile input', () => {
  it('random bytes: parse or PduError / NdrError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const buf = Buffer.from(bytes);
        checkParsed(parseOrCodecError(buf), buf);
      }),
      { numRuns: 2000 },
    );
  });

  it('random bodies behind a valid-looking header (random ptype, frag_length = buffer length)', () => {
    fc.assert(
      fc.property(headerPrefixed, (buf) => {
        checkParsed(parseOrCodecError(buf), buf);
      }),
      { numRuns: 5000 },
    );
  });

  it('mutated valid PDUs (bytes overwritten, frag_length kept consistent)', () => {
    fc.assert(
      fc.property(
        validPdu,
        fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        ({ buf }, edits, keepHeader) => {
          const b = Buffer.from(buf);
          for (const [pos, val] of edits) {
            const at = keepHeader ? 10 + (pos % Math.max(1, b.length - 10)) : pos % b.length;
            if (at < b.length) b[at] = val;
          }
          b[0] = 5;
          if ((b[4]! & 0xf0) === 0x10) b.writeUInt16LE(b.length, 8);
          else b.writeUInt16BE(b.length, 8);
          checkParsed(parseOrCodecError(b), b);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// Round trips.
// ---------------------------------------------------------------------------------------

const guid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
});
const syntax: fc.Arbitrary<SyntaxId> = fc.record({ uuid: guid, major: u16, minor: u16 });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const outAuth: fc.Arbitrary<OutAuth> = fc.record(
  {
    authType: u8,
    authLevel: u8,
    authContextId: u32,
    // An empty auth_value would mean auth_length 0, i.e. no verifier at all.
    authValue: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => Buffer.from(a)),
    padTo: fc.constantFrom(4, 8, 16),
  },
  { requiredKeys: ['authType', 'authLevel', 'authContextId', 'authValue'] },
);
const maybeAuth = fc.option(outAuth, { nil: undefined });

interface Case {
  buf: Buffer;
  /** The fields parsePdu must return (header fields checked separately). */
  expected: Record<string, unknown>;
  ptype: number;
  flags: number;
  callId: number;
  bigEndian: boolean;
  auth?: OutAuth;
  /** Byte count from which auth padding is measured, and the length padded. */
  padBase: number;
  padded: number;
}

function pdu(
  ptype: number,
  callId: number,
  flags: number,
  buf: Buffer,
  expected: Record<string, unknown>,
  auth: OutAuth | undefined,
  padBase: number,
  padded: number,
  bigEndian = false,
): Case {
  return { buf, expected, ptype, flags, callId, bigEndian, auth, padBase, padded };
}

const bindCase = fc
  .record({
    type: fc.constantFrom('bind' as const, 'alter_context' as const),
    callId: u32,
    flags: u8,
    maxXmitFrag: u16,
    maxRecvFrag: u16,
    assocGroupId: u32,
    contexts: fc.array(
      fc.record({ contextId: u16, abstractSyntax: syntax, transferSyntaxes: fc.array(syntax, { maxLength: 3 }) }),
      { maxLength: 4 },
    ) as fc.Arbitrary<ContextElem[]>,
    auth: maybeAuth,
  })
  .map((f) => {
    const buf = encodeBind(f.type, f, f.auth);
    const { auth, callId, flags, ...rest } = f;
    const bodyLen = 12 + f.contexts.reduce((n, c) => n + 24 + 20 * c.transferSyntaxes.length, 0);
    return pdu(f.type === 'bind' ? PTYPE.bind : PTYPE.alter_context, callId, flags, buf, rest, auth, 16, bodyLen);
  });

const latin1 = fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: 24 }).map((c) => String.fromCharCode(...c));

const bindAckCase = fc
  .record({
    type: fc.constantFrom('bind_ack' as const, 'alter_context_resp' as const),
    callId: u32,
    flags: u8,
    maxXmitFrag: u16,
    maxRecvFrag: u16,
    assocGroupId: u32,
    secondaryAddress: latin1,
    results: fc.array(fc.record({ result: u16, reason: u16, transferSyntax: syntax }), { maxLength: 4 }) as fc.Arbitrary<ContextResult[]>,
    auth: maybeAuth,
  })
  .map((f) => {
    const buf = encodeBindAck(f.type, f, f.auth);
    const { auth, callId, flags, ...rest } = f;
    const a = f.secondaryAddress.length ? f.secondaryAddress.length + 1 : 0;
    const bodyLen = ((10 + a + 3) & ~3) + 4 + 24 * f.results.length;
    return pdu(f.type === 'bind_ack' ? PTYPE.bind_ack : PTYPE.alter_context_resp, callId, flags, buf, rest, auth, 16, bodyLen);
  });

const bindNakCase = fc
  .record({ callId: u32, reason: u16, versions: fc.array(fc.record({ major: u8, minor: u8 }), { maxLength: 5 }) })
  .map((f) => {
    const buf = encodeBindNak(f.callId, f.reason, f.versions);
    return pdu(PTYPE.bind_nak, f.callId, PFC.FIRST_FRAG | PFC.LAST_FRAG, buf, { type: 'bind_nak', reason: f.reason, versions: f.versions }, undefined, 0, 0);
  });

const requestCase = fc
  .record({
    callId: u32,
    flags: u8,
    allocHint: u32,
    contextId: u16,
    opnum: u16,
    object: fc.option(guid, { nil: undefined }),
    stub: bytes(200),
    bigEndian: fc.boolean(),
    auth: maybeAuth,
  })
  .map((f) => {
    const buf = encodeRequest(f, f.auth);
    const flags = f.object ? f.flags | PFC.OBJECT_UUID : f.flags & ~PFC.OBJECT_UUID;
    const expected: Record<string, unknown> = { type: 'request', allocHint: f.allocHint, contextId: f.contextId, opnum: f.opnum, stub: f.stub };
    if (f.object) expected.object = f.object;
    const hdrLen = f.object ? 24 : 8;
    return pdu(PTYPE.request, f.callId, flags, buf, expected, f.auth, 16 + hdrLen, f.stub.length, f.bigEndian);
  });

const responseCase = fc
  .record({ callId: u32, flags: u8, allocHint: u32, contextId: u16, cancelCount: u8, stub: bytes(200), auth: maybeAuth })
  .map((f) => {
    const buf = encodeResponse(f, f.auth);
    const expected = { type: 'response', allocHint: f.allocHint, contextId: f.contextId, cancelCount: f.cancelCount, stub: f.stub };
    return pdu(PTYPE.response, f.callId, f.flags, buf, expected, f.auth, 24, f.stub.length);
  });

const faultCase = fc
  .record({ callId: u32, flags: u8, contextId: u16, status: u32, cancelCount: u8, auth: maybeAuth })
  .map((f) => {
    const buf = encodeFault(f, f.auth);
    const expected = { type: 'fault', allocHint: 32, contextId: f.contextId, cancelCount: f.cancelCount, faultFlags: 0, status: f.status, stub: Buffer.alloc(0) };
    return pdu(PTYPE.fault, f.callId, f.flags, buf, expected, f.auth, 16, 16);
  });

const auth3Case = fc.record({ callId: u32, auth: outAuth }).map((f) => {
  const buf = encodeAuth3(f.callId, f.auth);
  // encodeAuth3 always aligns to 4, and its 4-byte pad body needs none.
  return pdu(PTYPE.rpc_auth_3, f.callId, PFC.FIRST_FRAG | PFC.LAST_FRAG, buf, { type: 'auth3' }, { ...f.auth, padTo: 4 }, 16, 4);
});

const bodilessCase = fc
  .record({ type: fc.constantFrom('shutdown' as const, 'co_cancel' as const, 'orphaned' as const), callId: u32, flags: u8 })
  .map((f) => {
    const ptype = f.type === 'shutdown' ? PTYPE.shutdown : f.type === 'co_cancel' ? PTYPE.co_cancel : PTYPE.orphaned;
    return pdu(ptype, f.callId, f.flags, encodeBodiless(f.type, f.callId, f.flags), { type: f.type }, undefined, 0, 0);
  });

const validPdu = fc.oneof(bindCase, bindAckCase, bindNakCase, requestCase, responseCase, faultCase, auth3Case, bodilessCase);

function checkRoundTrip(c: Case): void {
  const p = parsePdu(c.buf);
  expect(p.raw).toBe(c.buf);
  const authLen = c.auth ? c.auth.authValue.length : 0;
  expect(p.header).toStrictEqual({
    rpcVersMinor: 0,
    ptype: c.ptype,
    flags: c.flags,
    drep: c.bigEndian ? 0x00 : 0x10,
    fragLength: c.buf.length,
    authLength: authLen,
    callId: c.callId,
  });
  for (const [k, v] of Object.entries(c.expected)) expect((p as unknown as Record<string, unknown>)[k], k).toEqual(v);
  if (!('object' in c.expected) && p.type === 'request') expect(p.object).toBeUndefined();
  if (!c.auth) {
    expect(p.auth).toBeUndefined();
    return;
  }
  const padTo = c.auth.padTo ?? (c.ptype === PTYPE.request || c.ptype === PTYPE.response ? 16 : 4);
  const pad = (padTo - (c.padded % padTo)) % padTo;
  expect(p.auth).toBeDefined();
  expect({ ...p.auth!, authValue: p.auth!.authValue.toString('hex') }).toStrictEqual({
    authType: c.auth.authType,
    authLevel: c.auth.authLevel,
    authPadLength: pad,
    authReserved: 0,
    authContextId: c.auth.authContextId,
    authValue: c.auth.authValue.toString('hex'),
  });
  // The sec_trailer sits at frag_length - auth_length - 8, padTo-aligned from padBase.
  const trailer = c.buf.length - authLen - 8;
  expect(trailer).toBe(c.padBase + c.padded + pad);
  expect((trailer - c.padBase) % padTo).toBe(0);
  expect(c.buf.subarray(trailer - pad, trailer).every((x) => x === 0)).toBe(true);
}

describe('serializer -> parser round trips', () => {
  it.each([
    ['bind / alter_context', bindCase],
    ['bind_ack / alter_context_resp', bindAckCase],
    ['bind_nak', bindNakCase],
    ['request (LE and BE, optional object and verifier)', requestCase],
    ['response', responseCase],
    ['fault', faultCase],
    ['auth3', auth3Case],
    ['shutdown / co_cancel / orphaned', bodilessCase],
  ] as const)('%s', (_name, arb) => {
    fc.assert(fc.property(arb, checkRoundTrip), { numRuns: RUNS });
  });

  it('requests with a default-aligned verifier put the sec_trailer 16-aligned from the stub', () => {
    fc.assert(
      fc.property(bytes(100), fc.boolean(), fc.option(guid, { nil: undefined }), (stub, bigEndian, object) => {
        const buf = encodeRequest(
          { callId: 1, flags: 3, allocHint: stub.length, contextId: 0, opnum: 0, stub, object, bigEndian },
          { authType: 10, authLevel: 6, authContextId: 0, authValue: Buffer.alloc(16) },
        );
        const stubStart = 16 + (object ? 24 : 8);
        const trailer = buf.length - 16 - 8;
        expect((trailer - stubStart) % 16).toBe(0);
        const p = parsePdu(buf);
        expect(p.type === 'request' && p.stub.equals(stub)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
