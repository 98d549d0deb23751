/**
 * Byte vectors for the connection-oriented PDU codec. Every vector below is written out by
 * hand from the layouts of C706 chapter 12.6 and MS-RPCE 2.2.2 (and the Windows facts in
 * notes/facts-dcerpc.md); none is produced by the code under test. For each: the
 * serializer's output is exactly the vector, and the parser reads every field back.
 *
 * GUID wire forms used throughout (NDR: Data1 u32, Data2 u16, Data3 u16 in the sender's
 * byte order, Data4 as 8 plain bytes):
 *   EPM    e1af8308-5d1f-11c9-91a4-08002b14a0fa  LE 08 83 af e1 1f 5d c9 11 91 a4 08 00 2b 14 a0 fa
 *                                                BE e1 af 83 08 5d 1f 11 c9 91 a4 08 00 2b 14 a0 fa
 *   NDR20  8a885d04-1ceb-11c9-9fe8-08002b104860  LE 04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60
 *                                                BE 8a 88 5d 04 1c eb 11 c9 9f e8 08 00 2b 10 48 60
 *   NDR64  71710533-beba-4937-8319-b5dbef9ccc36  LE 33 05 71 71 ba be 37 49 83 19 b5 db ef 9c cc 36
 *                                                BE 71 71 05 33 be ba 49 37 83 19 b5 db ef 9c cc 36
 *   IOBJ   0b0a6584-9e0f-11cf-a3cf-00805f68cb1b  LE 84 65 0a 0b 0f 9e cf 11 a3 cf 00 80 5f 68 cb 1b
 *                                                BE 0b 0a 65 84 9e 0f 11 cf a3 cf 00 80 5f 68 cb 1b
 *   MGMT   afa8bd80-7d8a-11c9-bef4-08002b102989  LE 80 bd a8 af 8a 7d c9 11 be f4 08 00 2b 10 29 89
 *   BTFN   6cb71c2c-9812-4540-0300-000000000000  LE 2c 1c b7 6c 12 98 40 45 03 00 00 00 00 00 00 00
 *   OBJ    12345678-9abc-def0-0123-456789abcdef  LE 78 56 34 12 bc 9a f0 de 01 23 45 67 89 ab cd ef
 *                                                BE 12 34 56 78 9a bc de f0 01 23 45 67 89 ab cd ef
 * A p_syntax_id_t version is one u32 (major in the low half, minor in the high half), so
 * v3.0 is 03 00 00 00 little-endian and 00 00 00 03 big-endian; v1.1 is 01 00 01 00 / 00 01 00 01.
 */
import { describe, expect, it } from 'vitest';
import { PTYPE } from '../../src/dcerpc/constants.js';
import { PduError } from '../../src/dcerpc/pdu/error.js';
import { isLittleEndian, parsePdu, readHeader } from '../../src/dcerpc/pdu/parser.js';
import {
  encodeAuth3,
  encodeBind,
  encodeBindAck,
  encodeBindNak,
  encodeBodiless,
  encodeFault,
  encodeRequest,
  encodeResponse,
} from '../../src/dcerpc/pdu/serializer.js';
import type { Pdu, SyntaxId } from '../../src/dcerpc/pdu/types.js';
import { NdrError } from '../../src/ndr/error.js';

function hex(s: string): Buffer {
  const clean = s.replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(clean)) throw new Error(`bad hex literal: ${s}`);
  return Buffer.from(clean, 'hex');
}

const EPM: SyntaxId = { uuid: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa', major: 3, minor: 0 };
const NDR20: SyntaxId = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 };
const NDR64: SyntaxId = { uuid: '71710533-beba-4937-8319-b5dbef9ccc36', major: 1, minor: 0 };
const IOBJ: SyntaxId = { uuid: '0b0a6584-9e0f-11cf-a3cf-00805f68cb1b', major: 1, minor: 1 };
const MGMT: SyntaxId = { uuid: 'afa8bd80-7d8a-11c9-bef4-08002b102989', major: 1, minor: 0 };
const BTFN3: SyntaxId = { uuid: '6cb71c2c-9812-4540-0300-000000000000', major: 1, minor: 0 };
const ZERO_SYNTAX: SyntaxId = { uuid: '00000000-0000-0000-0000-000000000000', major: 0, minor: 0 };
const OBJ = '12345678-9abc-def0-0123-456789abcdef';

/** A parsed PDU as plain data: buffers as hex, `raw` left out, absent fields left out. */
function view(p: Pdu): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p) as Array<[string, unknown]>) {
    if (k === 'raw' || v === undefined) continue;
    if (Buffer.isBuffer(v)) out[k] = v.toString('hex');
    else if (k === 'auth') {
      const a = v as NonNullable<Pdu['auth']>;
      out[k] = { ...a, authValue: a.authValue.toString('hex') };
    } else out[k] = v;
  }
  return out;
}

function parsed(buf: Buffer): Record<string, unknown> {
  const p = parsePdu(buf);
  expect(p.raw).toBe(buf);
  return view(p);
}

function hdr(ptype: number, flags: number, fragLength: number, authLength: number, callId: number, drep = 0x10) {
  return { rpcVersMinor: 0, ptype, flags, drep, fragLength, authLength, callId };
}

// ---------------------------------------------------------------------------------------
// The vectors.
// ---------------------------------------------------------------------------------------

/** bind, call 1, two contexts: EPM v3.0 over [NDR20, NDR64], IOBJ v1.1 over [NDR20]. 136 bytes. */
const BIND = hex(`
  05 00 0b 03  10 00 00 00  88 00  00 00  01 00 00 00
  d0 16  d0 16  00 00 00 00  02 00 00 00
  00 00 02 00
    08 83 af e1 1f 5d c9 11 91 a4 08 00 2b 14 a0 fa  03 00 00 00
    04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60  02 00 00 00
    33 05 71 71 ba be 37 49 83 19 b5 db ef 9c cc 36  01 00 00 00
  01 00 01 00
    84 65 0a 0b 0f 9e cf 11 a3 cf 00 80 5f 68 cb 1b  01 00 01 00
    04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60  02 00 00 00
`);
/** The same bind with drep 00 (big-endian): every u16/u32 and GUID Data1-3 swapped. */
const BIND_BE = hex(`
  05 00 0b 03  00 00 00 00  00 88  00 00  00 00 00 01
  16 d0  16 d0  00 00 00 00  02 00 00 00
  00 00 02 00
    e1 af 83 08 5d 1f 11 c9 91 a4 08 00 2b 14 a0 fa  00 00 00 03
    8a 88 5d 04 1c eb 11 c9 9f e8 08 00 2b 10 48 60  00 00 00 02
    71 71 05 33 be ba 49 37 83 19 b5 db ef 9c cc 36  00 00 00 01
  00 01 01 00
    0b 0a 65 84 9e 0f 11 cf a3 cf 00 80 5f 68 cb 1b  00 01 00 01
    8a 88 5d 04 1c eb 11 c9 9f e8 08 00 2b 10 48 60  00 00 00 02
`);
const BIND_FIELDS = {
  type: 'bind',
  header: hdr(PTYPE.bind, 0x03, 136, 0, 1),
  maxXmitFrag: 5840,
  maxRecvFrag: 5840,
  assocGroupId: 0,
  contexts: [
    { contextId: 0, abstractSyntax: EPM, transferSyntaxes: [NDR20, NDR64] },
    { contextId: 1, abstractSyntax: IOBJ, transferSyntaxes: [NDR20] },
  ],
};

/** alter_context, call 2, assoc group 0x463d, context 2: MGMT v1.0 over [NDR20]. 72 bytes. */
const ALTER = hex(`
  05 00 0e 03  10 00 00 00  48 00  00 00  02 00 00 00
  d0 16  d0 16  3d 46 00 00  01 00 00 00
  02 00 01 00
    80 bd a8 af 8a 7d c9 11 be f4 08 00 2b 10 29 89  01 00 00 00
    04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60  02 00 00 00
`);

/** bind with bind-time feature negotiation (features 0x03) in context 1. 116 bytes. */
const BIND_BTFN = hex(`
  05 00 0b 03  10 00 00 00  74 00  00 00  09 00 00 00
  b8 10  b8 10  00 00 00 00  02 00 00 00
  00 00 01 00
    08 83 af e1 1f 5d c9 11 91 a4 08 00 2b 14 a0 fa  03 00 00 00
    04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60  02 00 00 00
  01 00 01 00
    08 83 af e1 1f 5d c9 11 91 a4 08 00 2b 14 a0 fa  03 00 00 00
    2c 1c b7 6c 12 98 40 45 03 00 00 00 00 00 00 00  01 00 00 00
`);

/**
 * bind_ack on port 135: sec_addr 04 00 "135\0", 2 pad bytes (body offset 2+4 -> 8), results
 * at body offset 20, one accepted NDR20 result: frag_length 16 + 20 + 24 = 60.
 */
const BIND_ACK_135 = hex(`
  05 00 0c 03  10 00 00 00  3c 00  00 00  01 00 00 00
  d0 16  d0 16  3d 46 00 00
  04 00  31 33 35 00  00 00
  01 00 00 00
  00 00 00 00  04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60  02 00 00 00
`);

/**
 * bind_ack from a dynamic port, shaped like the Windows capture (scapy dcerpc.uts):
 * sec_addr 06 00 "49676\0" (no pad), three results: (2,2,zero), (0,0,NDR64 v1), (3,3,zero).
 * frag_length 16 + 20 + 72 = 108.
 */
const BIND_ACK_49676 = hex(`
  05 00 0c 07  10 00 00 00  6c 00  00 00  02 00 00 00
  d0 16  d0 16  3d 46 00 00
  06 00  34 39 36 37 36 00
  03 00 00 00
  02 00 02 00  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  00 00 00 00
  00 00 00 00  33 05 71 71 ba be 37 49 83 19 b5 db ef 9c cc 36  01 00 00 00
  03 00 03 00  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  00 00 00 00
`);
const BIND_ACK_49676_RESULTS = [
  { result: 2, reason: 2, transferSyntax: ZERO_SYNTAX },
  { result: 0, reason: 0, transferSyntax: NDR64 },
  { result: 3, reason: 3, transferSyntax: ZERO_SYNTAX },
];

/**
 * The same with a netlogon verifier, as in the Windows capture: auth_length 12, sec_trailer
 * 44 06 00 00 00000000 at 128 - 12 - 8 = 108, then 12 bytes of auth_value (placeholder bytes).
 */
const BIND_ACK_49676_AUTH = hex(`
  05 00 0c 07  10 00 00 00  80 00  0c 00  02 00 00 00
  d0 16  d0 16  3d 46 00 00
  06 00  34 39 36 37 36 00
  03 00 00 00
  02 00 02 00  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  00 00 00 00
  00 00 00 00  33 05 71 71 ba be 37 49 83 19 b5 db ef 9c cc 36  01 00 00 00
  03 00 03 00  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  00 00 00 00
  44 06 00 00  00 00 00 00
  01 02 03 04 05 06 07 08 09 0a 0b 0c
`);

/** alter_context_resp: sec_addr length 0 + 2 pad, n_results at +28, results at +32: 56 bytes. */
const ALTER_RESP = hex(`
  05 00 0f 03  10 00 00 00  38 00  00 00  02 00 00 00
  d0 16  d0 16  3d 46 00 00
  00 00  00 00
  01 00 00 00
  00 00 00 00  04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60  02 00 00 00
`);

/** bind_nak reason 4, one version {5,0}, three pad bytes: 24 bytes. */
const BIND_NAK = hex(`
  05 00 0d 03  10 00 00 00  18 00  00 00  01 00 00 00
  04 00  01  05 00  00 00 00
`);

/** request, call 3, alloc_hint 4, context 0, opnum 3, stub de ad be ef: 28 bytes. */
const REQUEST = hex(`
  05 00 00 03  10 00 00 00  1c 00  00 00  03 00 00 00
  04 00 00 00  00 00  03 00
  de ad be ef
`);

/** request with PFC_OBJECT_UUID (0x80), call 4, alloc 8, context 1, opnum 2, object OBJ: 48 bytes. */
const REQUEST_OBJ = hex(`
  05 00 00 83  10 00 00 00  30 00  00 00  04 00 00 00
  08 00 00 00  01 00  02 00
  78 56 34 12 bc 9a f0 de 01 23 45 67 89 ab cd ef
  11 22 33 44 55 66 77 88
`);
const REQUEST_OBJ_BE = hex(`
  05 00 00 83  00 00 00 00  00 30  00 00  00 00 00 04
  00 00 00 08  00 01  00 02
  12 34 56 78 9a bc de f0 01 23 45 67 89 ab cd ef
  11 22 33 44 55 66 77 88
`);

/**
 * request with an auth verifier: 5 stub bytes, 11 bytes of auth pad (the sec_trailer is
 * 16-aligned from the start of the stub, MS-RPCE 2.2.2.11), sec_trailer
 * (NTLM 0x0a, integrity 5, pad 0x0b, reserved 0, context 0x11223344) at 64 - 16 - 8 = 40,
 * 16 bytes of auth_value. 64 bytes.
 */
const REQUEST_AUTH = hex(`
  05 00 00 03  10 00 00 00  40 00  10 00  08 00 00 00
  05 00 00 00  01 00  02 00
  01 02 03 04 05
  00 00 00 00 00 00 00 00 00 00 00
  0a 05 0b 00  44 33 22 11
  01 00 00 00 a1 a2 a3 a4 a5 a6 a7 a8 00 00 00 00
`);
const REQUEST_AUTH_BE = hex(`
  05 00 00 03  00 00 00 00  00 40  00 10  00 00 00 08
  00 00 00 05  00 01  00 02
  01 02 03 04 05
  00 00 00 00 00 00 00 00 00 00 00
  0a 05 0b 00  11 22 33 44
  01 00 00 00 a1 a2 a3 a4 a5 a6 a7 a8 00 00 00 00
`);
const AUTH_VALUE = hex('01 00 00 00 a1 a2 a3 a4 a5 a6 a7 a8 00 00 00 00');

/** response, call 3, alloc 8, context 1, cancel_count 0, 8 stub bytes: 32 bytes. */
const RESPONSE = hex(`
  05 00 02 03  10 00 00 00  20 00  00 00  03 00 00 00
  08 00 00 00  01 00  00  00
  01 00 00 00 00 00 00 00
`);

/** response with a verifier: 8 stub bytes + 8 pad (16-aligned from the stub), trailer at 40. */
const RESPONSE_AUTH = hex(`
  05 00 02 03  10 00 00 00  40 00  10 00  08 00 00 00
  08 00 00 00  01 00  00  00
  01 00 00 00 00 00 00 00
  00 00 00 00 00 00 00 00
  0a 05 08 00  44 33 22 11
  01 00 00 00 a1 a2 a3 a4 a5 a6 a7 a8 00 00 00 00
`);

/** fault nca_s_op_rng_error, flags 0x23, context 1, alloc_hint 32, status at +24: 32 bytes. */
const FAULT = hex(`
  05 00 03 23  10 00 00 00  20 00  00 00  03 00 00 00
  20 00 00 00  01 00  00  00
  02 00 01 1c  00 00 00 00
`);

/** rpc_auth_3: 4 pad bytes then sec_trailer (NTLM, connect, ctx 0x01020304), 4-byte value. */
const AUTH3 = hex(`
  05 00 10 03  10 00 00 00  20 00  04 00  05 00 00 00
  00 00 00 00
  0a 02 00 00  04 03 02 01
  aa bb cc dd
`);
/** The same as a Windows client sends it: the pad holds d0 16 d0 16 (MS-RPCE: ignored). */
const AUTH3_WIN_PAD = hex(`
  05 00 10 03  10 00 00 00  20 00  04 00  05 00 00 00
  d0 16 d0 16
  0a 02 00 00  04 03 02 01
  aa bb cc dd
`);

const SHUTDOWN = hex('05 00 11 03  10 00 00 00  10 00  00 00  06 00 00 00');
const CO_CANCEL = hex('05 00 12 03  10 00 00 00  10 00  00 00  07 00 00 00');
const ORPHANED = hex('05 00 13 03  10 00 00 00  10 00  00 00  08 00 00 00');

// ---------------------------------------------------------------------------------------

describe('bind / alter_context', () => {
  const bindFields = {
    callId: 1,
    maxXmitFrag: 5840,
    maxRecvFrag: 5840,
    assocGroupId: 0,
    contexts: [
      { contextId: 0, abstractSyntax: EPM, transferSyntaxes: [NDR20, NDR64] },
      { contextId: 1, abstractSyntax: IOBJ, transferSyntaxes: [NDR20] },
    ],
  };

  it('encodes a bind with two contexts, the first with two transfer syntaxes', () => {
    expect(BIND.length).toBe(136);
    expect(encodeBind('bind', bindFields).toString('hex')).toBe(BIND.toString('hex'));
  });

  it('parses every field of the bind', () => {
    expect(parsed(BIND)).toStrictEqual(BIND_FIELDS);
  });

  it('parses the big-endian bind to the same fields', () => {
    const p = parsePdu(BIND_BE);
    expect(isLittleEndian(p.header)).toBe(false);
    expect(p.header.drep).toBe(0x00);
    expect(view(p)).toStrictEqual({ ...BIND_FIELDS, header: { ...BIND_FIELDS.header, drep: 0x00 } });
  });

  it('encodes and parses alter_context', () => {
    const enc = encodeBind('alter_context', {
      callId: 2,
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0x463d,
      contexts: [{ contextId: 2, abstractSyntax: MGMT, transferSyntaxes: [NDR20] }],
    });
    expect(enc.toString('hex')).toBe(ALTER.toString('hex'));
    expect(parsed(ALTER)).toStrictEqual({
      type: 'alter_context',
      header: hdr(PTYPE.alter_context, 0x03, 72, 0, 2),
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0x463d,
      contexts: [{ contextId: 2, abstractSyntax: MGMT, transferSyntaxes: [NDR20] }],
    });
  });

  it('carries the bind-time feature negotiation syntax 6cb71c2c-9812-4540-0300-000000000000 v1.0', () => {
    const contexts = [
      { contextId: 0, abstractSyntax: EPM, transferSyntaxes: [NDR20] },
      { contextId: 1, abstractSyntax: EPM, transferSyntaxes: [BTFN3] },
    ];
    const enc = encodeBind('bind', { callId: 9, maxXmitFrag: 4280, maxRecvFrag: 4280, assocGroupId: 0, contexts });
    expect(enc.toString('hex')).toBe(BIND_BTFN.toString('hex'));
    // The bitmask is wire bytes 8..15 of the UUID: byte 8 = 0x03.
    expect(BIND_BTFN.subarray(96, 116).toString('hex')).toBe('2c1cb76c129840450300000000000000' + '01000000');
    expect(parsed(BIND_BTFN)).toStrictEqual({
      type: 'bind',
      header: hdr(PTYPE.bind, 0x03, 116, 0, 9),
      maxXmitFrag: 4280,
      maxRecvFrag: 4280,
      assocGroupId: 0,
      contexts,
    });
  });

  it('keeps caller flags (e.g. SUPPORT_HEADER_SIGN | CONC_MPX) in the header', () => {
    const enc = encodeBind('bind', { ...bindFields, flags: 0x17 });
    expect(enc[3]).toBe(0x17);
    expect(parsePdu(enc).header.flags).toBe(0x17);
  });

  it('parses a bind with zero contexts', () => {
    const buf = hex('05 00 0b 03 10 00 00 00 1c 00 00 00 01 00 00 00  d0 16 d0 16 00 00 00 00 00 00 00 00');
    expect(encodeBind('bind', { callId: 1, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0, contexts: [] }).toString('hex')).toBe(
      buf.toString('hex'),
    );
    expect(parsePdu(buf)).toMatchObject({ type: 'bind', contexts: [] });
  });

  it('parses a context with zero transfer syntaxes', () => {
    const buf = hex(`
      05 00 0b 03 10 00 00 00 34 00 00 00 01 00 00 00
      d0 16 d0 16 00 00 00 00 01 00 00 00
      07 00 00 00  08 83 af e1 1f 5d c9 11 91 a4 08 00 2b 14 a0 fa 03 00 00 00
    `);
    expect(parsePdu(buf)).toMatchObject({ contexts: [{ contextId: 7, abstractSyntax: EPM, transferSyntaxes: [] }] });
  });
});

describe('bind_ack / alter_context_resp', () => {
  it('encodes the port-135 bind_ack: sec_addr "135\\0" + 2 pad, results at body offset 20, 60 bytes', () => {
    const enc = encodeBindAck('bind_ack', {
      callId: 1,
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0x463d,
      secondaryAddress: '135',
      results: [{ result: 0, reason: 0, transferSyntax: NDR20 }],
    });
    expect(enc.length).toBe(60);
    expect(enc.toString('hex')).toBe(BIND_ACK_135.toString('hex'));
  });

  it('parses every field of the port-135 bind_ack', () => {
    expect(parsed(BIND_ACK_135)).toStrictEqual({
      type: 'bind_ack',
      header: hdr(PTYPE.bind_ack, 0x03, 60, 0, 1),
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0x463d,
      secondaryAddress: '135',
      results: [{ result: 0, reason: 0, transferSyntax: NDR20 }],
    });
  });

  it('encodes and parses a 6-character address "49676\\0" with no pad and three results', () => {
    const fields = {
      callId: 2,
      flags: 0x07,
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0x463d,
      secondaryAddress: '49676',
      results: BIND_ACK_49676_RESULTS,
    };
    expect(encodeBindAck('bind_ack', fields).toString('hex')).toBe(BIND_ACK_49676.toString('hex'));
    expect(parsed(BIND_ACK_49676)).toStrictEqual({
      type: 'bind_ack',
      header: hdr(PTYPE.bind_ack, 0x07, 108, 0, 2),
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0x463d,
      secondaryAddress: '49676',
      results: BIND_ACK_49676_RESULTS,
    });
  });

  it('encodes and parses a bind_ack with an auth verifier (Windows netlogon capture shape)', () => {
    const fields = {
      callId: 2,
      flags: 0x07,
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0x463d,
      secondaryAddress: '49676',
      results: BIND_ACK_49676_RESULTS,
    };
    const authValue = hex('01 02 03 04 05 06 07 08 09 0a 0b 0c');
    const enc = encodeBindAck('bind_ack', fields, { authType: 0x44, authLevel: 6, authContextId: 0, authValue });
    expect(enc.toString('hex')).toBe(BIND_ACK_49676_AUTH.toString('hex'));
    expect(parsed(BIND_ACK_49676_AUTH)).toStrictEqual({
      type: 'bind_ack',
      header: hdr(PTYPE.bind_ack, 0x07, 128, 12, 2),
      auth: { authType: 0x44, authLevel: 6, authPadLength: 0, authReserved: 0, authContextId: 0, authValue: '0102030405060708090a0b0c' },
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0x463d,
      secondaryAddress: '49676',
      results: BIND_ACK_49676_RESULTS,
    });
  });

  it('encodes alter_context_resp: sec_addr length 0 + 2 pad, 56 bytes', () => {
    const enc = encodeBindAck('alter_context_resp', {
      callId: 2,
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0x463d,
      secondaryAddress: '',
      results: [{ result: 0, reason: 0, transferSyntax: NDR20 }],
    });
    expect(enc.length).toBe(56);
    expect(enc.toString('hex')).toBe(ALTER_RESP.toString('hex'));
    expect(parsed(ALTER_RESP)).toStrictEqual({
      type: 'alter_context_resp',
      header: hdr(PTYPE.alter_context_resp, 0x03, 56, 0, 2),
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0x463d,
      secondaryAddress: '',
      results: [{ result: 0, reason: 0, transferSyntax: NDR20 }],
    });
  });

  it('pads sec_addr so the result list starts 4-aligned for every address length', () => {
    // body offset of n_results = 8 + align4(2 + len(addr)+1)
    const cases: Array<[string, number]> = [
      ['', 12],
      ['1', 12],
      ['13', 16],
      ['135', 16],
      ['4967', 16],
      ['49676', 16],
      ['496760', 20],
    ];
    for (const [addr, at] of cases) {
      const enc = encodeBindAck('bind_ack', { callId: 1, maxXmitFrag: 1, maxRecvFrag: 2, assocGroupId: 3, secondaryAddress: addr, results: [] });
      expect(enc.length, addr).toBe(16 + at + 4);
      expect(enc.readUInt16LE(24), addr).toBe(addr.length === 0 ? 0 : addr.length + 1);
      expect(parsePdu(enc)).toMatchObject({ secondaryAddress: addr, results: [] });
    }
  });
});

describe('bind_nak', () => {
  it('encodes reason, one version {5,0} and 3 zero pad bytes: 24 bytes', () => {
    expect(encodeBindNak(1, 4).toString('hex')).toBe(BIND_NAK.toString('hex'));
  });

  it('parses every field', () => {
    expect(parsed(BIND_NAK)).toStrictEqual({
      type: 'bind_nak',
      header: hdr(PTYPE.bind_nak, 0x03, 24, 0, 1),
      reason: 4,
      versions: [{ major: 5, minor: 0 }],
    });
  });

  it('parses a bind_nak that stops after the reason, and one with non-zero (Windows garbage) pad', () => {
    expect(parsePdu(hex('05 00 0d 03 10 00 00 00 12 00 00 00 01 00 00 00 00 00'))).toMatchObject({ reason: 0, versions: [] });
    expect(parsePdu(hex('05 00 0d 03 10 00 00 00 18 00 00 00 01 00 00 00 04 00 01 05 00 ab cd ef'))).toMatchObject({
      reason: 4,
      versions: [{ major: 5, minor: 0 }],
    });
  });
});

describe('request', () => {
  it('encodes and parses a request without an object UUID', () => {
    const enc = encodeRequest({ callId: 3, flags: 0x03, allocHint: 4, contextId: 0, opnum: 3, stub: hex('deadbeef') });
    expect(enc.toString('hex')).toBe(REQUEST.toString('hex'));
    expect(parsed(REQUEST)).toStrictEqual({
      type: 'request',
      header: hdr(PTYPE.request, 0x03, 28, 0, 3),
      allocHint: 4,
      contextId: 0,
      opnum: 3,
      stub: 'deadbeef',
    });
  });

  it('clears a stray PFC_OBJECT_UUID when there is no object', () => {
    const enc = encodeRequest({ callId: 3, flags: 0x83, allocHint: 4, contextId: 0, opnum: 3, stub: hex('deadbeef') });
    expect(enc.toString('hex')).toBe(REQUEST.toString('hex'));
  });

  it('encodes and parses a request with an object UUID (PFC_OBJECT_UUID 0x80)', () => {
    const f = { callId: 4, allocHint: 8, contextId: 1, opnum: 2, object: OBJ, stub: hex('1122334455667788') };
    expect(encodeRequest({ ...f, flags: 0x03 }).toString('hex')).toBe(REQUEST_OBJ.toString('hex'));
    expect(encodeRequest({ ...f, flags: 0x83 }).toString('hex')).toBe(REQUEST_OBJ.toString('hex'));
    expect(parsed(REQUEST_OBJ)).toStrictEqual({
      type: 'request',
      header: hdr(PTYPE.request, 0x83, 48, 0, 4),
      allocHint: 8,
      contextId: 1,
      opnum: 2,
      object: OBJ,
      stub: '1122334455667788',
    });
  });

  it('parses the big-endian request with object UUID to the same fields', () => {
    const le = view(parsePdu(REQUEST_OBJ));
    const be = view(parsePdu(REQUEST_OBJ_BE));
    expect(be).toStrictEqual({ ...le, header: { ...(le.header as object), drep: 0x00 } });
  });

  it('encodes a big-endian request (bigEndian: true)', () => {
    const enc = encodeRequest({
      callId: 4,
      flags: 0x03,
      allocHint: 8,
      contextId: 1,
      opnum: 2,
      object: OBJ,
      stub: hex('1122334455667788'),
      bigEndian: true,
    });
    expect(enc.toString('hex')).toBe(REQUEST_OBJ_BE.toString('hex'));
    const noObj = encodeRequest({ callId: 3, flags: 0x03, allocHint: 4, contextId: 0, opnum: 3, stub: hex('deadbeef'), bigEndian: true });
    expect(noObj.toString('hex')).toBe(hex('05 00 00 03 00 00 00 00 00 1c 00 00 00 00 00 03  00 00 00 04 00 00 00 03  de ad be ef').toString('hex'));
  });

  it('encodes and parses a request with an auth verifier; auth_pad_length is stripped from the stub', () => {
    const auth = { authType: 10, authLevel: 5, authContextId: 0x11223344, authValue: AUTH_VALUE };
    const f = { callId: 8, flags: 0x03, allocHint: 5, contextId: 1, opnum: 2, stub: hex('0102030405') };
    expect(encodeRequest(f, { ...auth, padTo: 16 }).toString('hex')).toBe(REQUEST_AUTH.toString('hex'));
    // MS-RPCE 2.2.2.11: 16-byte alignment is the default for request/response verifiers.
    expect(encodeRequest(f, auth).toString('hex')).toBe(REQUEST_AUTH.toString('hex'));
    const fields = {
      type: 'request',
      header: hdr(PTYPE.request, 0x03, 64, 16, 8),
      auth: { authType: 10, authLevel: 5, authPadLength: 11, authReserved: 0, authContextId: 0x11223344, authValue: AUTH_VALUE.toString('hex') },
      allocHint: 5,
      contextId: 1,
      opnum: 2,
      stub: '0102030405',
    };
    expect(parsed(REQUEST_AUTH)).toStrictEqual(fields);
    // sec_trailer at frag_length - auth_length - 8
    expect(REQUEST_AUTH.subarray(64 - 16 - 8, 64 - 16).toString('hex')).toBe('0a050b0044332211');
    // big-endian: auth_context_id (and the header) byte-swapped, the rest identical
    expect(parsed(REQUEST_AUTH_BE)).toStrictEqual({ ...fields, header: { ...fields.header, drep: 0x00 } });
    expect(encodeRequest({ ...f, bigEndian: true }, auth).toString('hex')).toBe(REQUEST_AUTH_BE.toString('hex'));
  });

  it('honours an explicit padTo of 4 (C706 alignment)', () => {
    const enc = encodeRequest(
      { callId: 8, flags: 0x03, allocHint: 5, contextId: 1, opnum: 2, stub: hex('0102030405') },
      { authType: 10, authLevel: 5, authContextId: 0x11223344, authValue: AUTH_VALUE, padTo: 4 },
    );
    expect(enc.toString('hex')).toBe(
      hex(`
        05 00 00 03 10 00 00 00 38 00 10 00 08 00 00 00
        05 00 00 00 01 00 02 00
        01 02 03 04 05  00 00 00
        0a 05 03 00 44 33 22 11
        01 00 00 00 a1 a2 a3 a4 a5 a6 a7 a8 00 00 00 00
      `).toString('hex'),
    );
    expect(parsePdu(enc)).toMatchObject({ stub: hex('0102030405'), auth: { authPadLength: 3 } });
  });
});

describe('response / fault', () => {
  it('encodes and parses a response', () => {
    const enc = encodeResponse({ callId: 3, flags: 0x03, allocHint: 8, contextId: 1, stub: hex('0100000000000000') });
    expect(enc.toString('hex')).toBe(RESPONSE.toString('hex'));
    expect(parsed(RESPONSE)).toStrictEqual({
      type: 'response',
      header: hdr(PTYPE.response, 0x03, 32, 0, 3),
      allocHint: 8,
      contextId: 1,
      cancelCount: 0,
      stub: '0100000000000000',
    });
  });

  it('encodes and parses a response with an auth verifier (pad 8 to a 16 boundary of the stub)', () => {
    const enc = encodeResponse(
      { callId: 8, flags: 0x03, allocHint: 8, contextId: 1, stub: hex('0100000000000000') },
      { authType: 10, authLevel: 5, authContextId: 0x11223344, authValue: AUTH_VALUE },
    );
    expect(enc.toString('hex')).toBe(RESPONSE_AUTH.toString('hex'));
    expect(parsed(RESPONSE_AUTH)).toStrictEqual({
      type: 'response',
      header: hdr(PTYPE.response, 0x03, 64, 16, 8),
      auth: { authType: 10, authLevel: 5, authPadLength: 8, authReserved: 0, authContextId: 0x11223344, authValue: AUTH_VALUE.toString('hex') },
      allocHint: 8,
      contextId: 1,
      cancelCount: 0,
      stub: '0100000000000000',
    });
  });

  it('writes cancel_count', () => {
    const enc = encodeResponse({ callId: 3, flags: 0x03, allocHint: 0, contextId: 0, cancelCount: 2, stub: Buffer.alloc(0) });
    expect(enc.toString('hex')).toBe(hex('05 00 02 03 10 00 00 00 18 00 00 00 03 00 00 00 00 00 00 00 00 00 02 00').toString('hex'));
    expect(parsePdu(enc)).toMatchObject({ cancelCount: 2, stub: Buffer.alloc(0) });
  });

  it('encodes and parses a fault: frag_length 32, alloc_hint 32, status at offset 24', () => {
    const enc = encodeFault({ callId: 3, flags: 0x23, contextId: 1, status: 0x1c010002 });
    expect(enc.toString('hex')).toBe(FAULT.toString('hex'));
    expect(enc.readUInt32LE(24)).toBe(0x1c010002);
    expect(parsed(FAULT)).toStrictEqual({
      type: 'fault',
      header: hdr(PTYPE.fault, 0x23, 32, 0, 3),
      allocHint: 32,
      contextId: 1,
      cancelCount: 0,
      faultFlags: 0,
      status: 0x1c010002,
      stub: '',
    });
  });

  it('defaults fault flags to FIRST|LAST', () => {
    const enc = encodeFault({ callId: 7, contextId: 0, status: 5 });
    expect(enc.toString('hex')).toBe(hex('05 00 03 03 10 00 00 00 20 00 00 00 07 00 00 00 20 00 00 00 00 00 00 00 05 00 00 00 00 00 00 00').toString('hex'));
  });

  it('parses a fault with the extended-error flag and trailing data', () => {
    const buf = hex('05 00 03 03 10 00 00 00 24 00 00 00 07 00 00 00 24 00 00 00 00 00 00 01 05 00 00 00 00 00 00 00 aa bb cc dd');
    expect(parsePdu(buf)).toMatchObject({ faultFlags: 1, status: 5, stub: hex('aabbccdd') });
  });
});

describe('auth3 and the bodiless PDUs', () => {
  it('encodes rpc_auth_3: 4 pad bytes then the sec_trailer', () => {
    const enc = encodeAuth3(5, { authType: 10, authLevel: 2, authContextId: 0x01020304, authValue: hex('aabbccdd') });
    expect(enc.toString('hex')).toBe(AUTH3.toString('hex'));
  });

  it('parses rpc_auth_3 and ignores the pad contents', () => {
    const fields = {
      type: 'auth3',
      header: hdr(PTYPE.rpc_auth_3, 0x03, 32, 4, 5),
      auth: { authType: 10, authLevel: 2, authPadLength: 0, authReserved: 0, authContextId: 0x01020304, authValue: 'aabbccdd' },
    };
    expect(parsed(AUTH3)).toStrictEqual(fields);
    expect(parsed(AUTH3_WIN_PAD)).toStrictEqual(fields);
  });

  it.each([
    ['shutdown', SHUTDOWN, PTYPE.shutdown, 6],
    ['co_cancel', CO_CANCEL, PTYPE.co_cancel, 7],
    ['orphaned', ORPHANED, PTYPE.orphaned, 8],
  ] as const)('encodes and parses %s', (type, vec, ptype, callId) => {
    expect(encodeBodiless(type, callId).toString('hex')).toBe(vec.toString('hex'));
    expect(parsed(vec)).toStrictEqual({ type, header: hdr(ptype, 0x03, 16, 0, callId) });
  });

  it('passes custom flags through for bodiless PDUs', () => {
    expect(encodeBodiless('orphaned', 1, 0x02)[3]).toBe(0x02);
  });
});

describe('readHeader', () => {
  it('reads the common header in either byte order', () => {
    expect(readHeader(BIND)).toStrictEqual(hdr(PTYPE.bind, 0x03, 136, 0, 1));
    expect(readHeader(BIND_BE)).toStrictEqual(hdr(PTYPE.bind, 0x03, 136, 0, 1, 0x00));
    expect(readHeader(REQUEST_AUTH_BE)).toStrictEqual(hdr(PTYPE.request, 0x03, 64, 16, 8, 0x00));
  });

  it('keeps drep byte 1 (float format) and the character nibble', () => {
    const b = Buffer.from(REQUEST);
    b[4] = 0x11;
    b[5] = 0x01;
    expect(readHeader(b).drep).toBe(0x0111);
    expect(isLittleEndian(readHeader(b))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------
// Malformed PDUs.
// ---------------------------------------------------------------------------------------

const ALL: Array<[string, Buffer]> = [
  ['bind', BIND],
  ['bind BE', BIND_BE],
  ['alter_context', ALTER],
  ['bind btfn', BIND_BTFN],
  ['bind_ack 135', BIND_ACK_135],
  ['bind_ack 49676', BIND_ACK_49676],
  ['bind_ack 49676 auth', BIND_ACK_49676_AUTH],
  ['alter_context_resp', ALTER_RESP],
  ['bind_nak', BIND_NAK],
  ['request', REQUEST],
  ['request obj', REQUEST_OBJ],
  ['request obj BE', REQUEST_OBJ_BE],
  ['request auth', REQUEST_AUTH],
  ['request auth BE', REQUEST_AUTH_BE],
  ['response', RESPONSE],
  ['response auth', RESPONSE_AUTH],
  ['fault', FAULT],
  ['auth3', AUTH3],
  ['shutdown', SHUTDOWN],
  ['co_cancel', CO_CANCEL],
  ['orphaned', ORPHANED],
];

/** PDUs whose every body byte is needed, so a shorter (consistent) frag_length must fail. */
const RIGID = new Set(['bind', 'bind BE', 'alter_context', 'bind btfn', 'bind_ack 135', 'bind_ack 49676', 'bind_ack 49676 auth', 'alter_context_resp', 'fault']);

function withFragLength(buf: Buffer, n: number): Buffer {
  const b = Buffer.from(buf.subarray(0, n));
  if ((b[4]! & 0xf0) === 0x10) b.writeUInt16LE(n, 8);
  else b.writeUInt16BE(n, 8);
  return b;
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('parser errors', () => {
  it('every vector is exactly its frag_length', () => {
    for (const [name, v] of ALL) expect(readHeader(v).fragLength, name).toBe(v.length);
  });

  it.each(ALL)('every prefix of %s throws PduError', (_name, v) => {
    for (let n = 0; n < v.length; n++) {
      const e = thrown(() => parsePdu(v.subarray(0, n)));
      expect(e, `prefix ${n}`).toBeInstanceOf(PduError);
    }
  });

  it.each(ALL)('every prefix of %s with frag_length patched to match throws only PduError', (name, v) => {
    for (let n = 16; n < v.length; n++) {
      const e = thrown(() => parsePdu(withFragLength(v, n)));
      if (RIGID.has(name)) expect(e, `prefix ${n}`).toBeInstanceOf(PduError);
      else if (e !== undefined) expect(e, `prefix ${n}`).toBeInstanceOf(PduError);
    }
  });

  it('rejects a frag_length that disagrees with the buffer', () => {
    for (const [name, v] of ALL) {
      const longer = Buffer.concat([v, Buffer.alloc(1)]);
      expect(() => parsePdu(longer), name).toThrow(PduError);
      const b = Buffer.from(v);
      if ((b[4]! & 0xf0) === 0x10) b.writeUInt16LE(v.length + 1, 8);
      else b.writeUInt16BE(v.length + 1, 8);
      expect(() => parsePdu(b), name).toThrow(PduError);
      if ((b[4]! & 0xf0) === 0x10) b.writeUInt16LE(v.length - 1, 8);
      else b.writeUInt16BE(v.length - 1, 8);
      expect(() => parsePdu(b), name).toThrow(PduError);
    }
  });

  it('rejects rpc_vers other than 5', () => {
    for (const vers of [0, 4, 6, 0xff]) {
      const b = Buffer.from(REQUEST);
      b[0] = vers;
      expect(() => parsePdu(b), String(vers)).toThrow(PduError);
    }
  });

  it('rejects connectionless and unknown PTYPEs', () => {
    for (const ptype of [1, 4, 5, 6, 7, 8, 9, 10, 20, 99, 0xff]) {
      const b = Buffer.from(SHUTDOWN);
      b[2] = ptype;
      expect(() => parsePdu(b), String(ptype)).toThrow(PduError);
    }
  });

  it('rejects an auth_length too large for the PDU', () => {
    for (const [name, v] of ALL) {
      // bind_nak carries no verifier (C706 12.6.4.6); its auth_length is not consulted.
      if (name.endsWith('BE') || name === 'bind_nak') continue;
      for (const authLength of [v.length - 8 - 15, v.length, 0xffff]) {
        if (authLength <= 0) continue;
        const b = Buffer.from(v);
        b.writeUInt16LE(authLength, 10);
        expect(() => parsePdu(b), `${name} auth_length ${authLength}`).toThrow(PduError);
      }
    }
    // A request with object UUID: the trailer may not overlap the 24-byte request header.
    const b = Buffer.from(REQUEST_OBJ);
    b.writeUInt16LE(1, 10); // trailer at 48 - 1 - 8 = 39, inside the object UUID
    expect(() => parsePdu(b)).toThrow(PduError);
    // ...whereas a trailer right after the 24-byte request header is accepted (empty stub).
    const ok = hex(`
      05 00 00 83 10 00 00 00 31 00 01 00 04 00 00 00
      00 00 00 00 01 00 02 00  78 56 34 12 bc 9a f0 de 01 23 45 67 89 ab cd ef
      0a 02 00 00 00 00 00 00  ee
    `);
    expect(parsePdu(ok)).toMatchObject({ object: OBJ, stub: Buffer.alloc(0), auth: { authValue: hex('ee') } });
  });

  it('rejects an auth_pad_length larger than the stub', () => {
    // request: stub + pad = 16 bytes before the trailer at 40.
    const b = Buffer.from(REQUEST_AUTH);
    b[42] = 16;
    expect(parsePdu(b)).toMatchObject({ stub: Buffer.alloc(0), auth: { authPadLength: 16 } });
    b[42] = 17;
    expect(() => parsePdu(b)).toThrow(PduError);
    b[42] = 0xff;
    expect(() => parsePdu(b)).toThrow(PduError);
    const r = Buffer.from(RESPONSE_AUTH);
    r[42] = 17;
    expect(() => parsePdu(r)).toThrow(PduError);
    const be = Buffer.from(REQUEST_AUTH_BE);
    be[42] = 17;
    expect(() => parsePdu(be)).toThrow(PduError);
  });

  it('rejects a bind whose n_context_elem claims more contexts than present', () => {
    for (const v of [BIND, BIND_BE]) {
      const b = Buffer.from(v);
      b[24] = 3;
      expect(() => parsePdu(b)).toThrow(PduError);
      b[24] = 0xff;
      expect(() => parsePdu(b)).toThrow(PduError);
    }
    const a = Buffer.from(ALTER);
    a[24] = 2;
    expect(() => parsePdu(a)).toThrow(PduError);
  });

  it('rejects a bind whose n_transfer_syn runs past the end', () => {
    const b = Buffer.from(BIND);
    b[94] = 2; // second context claims two transfer syntaxes, has one
    expect(() => parsePdu(b)).toThrow(PduError);
    const a = Buffer.from(ALTER);
    a[30] = 0xff;
    expect(() => parsePdu(a)).toThrow(PduError);
  });

  it('rejects a bind_ack whose sec_addr length runs past the end', () => {
    for (const v of [BIND_ACK_135, ALTER_RESP, BIND_ACK_49676]) {
      for (const len of [v.length - 26 + 1, 0x100, 0xffff]) {
        const b = Buffer.from(v);
        b.writeUInt16LE(len, 24);
        expect(() => parsePdu(b), String(len)).toThrow(PduError);
      }
    }
  });

  it('rejects a bind_ack whose n_results runs past the end', () => {
    const b = Buffer.from(BIND_ACK_135);
    b[32] = 2;
    expect(() => parsePdu(b)).toThrow(PduError);
  });

  it('rejects a bind_nak whose n_protocols runs past the end', () => {
    const b = Buffer.from(BIND_NAK);
    b[18] = 3; // needs 6 bytes from 19, has 5
    expect(() => parsePdu(b)).toThrow(PduError);
  });

  it('never raises NdrError or a RangeError for these malformations', () => {
    // Sanity check of the error type on a few hand-picked cases.
    const cases = [Buffer.alloc(0), Buffer.alloc(15), hex('05 00 00 83 10 00 00 00 20 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 78 56 34 12 bc 9a f0 de')];
    for (const c of cases) {
      const e = thrown(() => parsePdu(c));
      expect(e).toBeInstanceOf(PduError);
      expect(e).not.toBeInstanceOf(NdrError);
    }
  });
});
