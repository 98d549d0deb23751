/**
 * SPNEGO tokens (RFC 4178 section 4, MS-SPNG 2.2.1) over the DER subset beneath them
 * (X.690). Every hand-made vector below was assembled octet by octet from the DER rules
 * (the comments show the arithmetic), never produced by the encoder under test; the
 * captured vectors are copied from the public sources cited beside them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DerReader,
  MAX_DEPTH,
  TAG,
  decodeEnumerated,
  decodeOid,
  encodeEnumerated,
  encodeLength,
  encodeOid,
  enter,
} from '../../src/security/spnego/der.js';
import {
  NEG_STATE,
  OID_KRB5,
  OID_KRB5_U2U,
  OID_MS_KRB5,
  OID_NEGOEX,
  OID_NTLMSSP,
  OID_SPNEGO,
  SEC_E_INVALID_TOKEN,
  SpnegoError,
  decodeNegotiationToken,
  encodeMechTypeList,
  encodeNegTokenInit,
  encodeNegTokenResp,
  type NegState,
  type NegTokenInit,
  type NegTokenInitFields,
  type NegTokenResp,
} from '../../src/security/spnego/index.js';

/** A hex literal with optional whitespace (used to group fields) → bytes. */
function hex(s: string): Buffer {
  const clean = s.replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(clean)) throw new Error(`bad hex literal: ${s}`);
  return Buffer.from(clean, 'hex');
}

function expectSpnegoError(fn: () => unknown): SpnegoError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a SpnegoError').toBeInstanceOf(SpnegoError);
  expect((thrown as SpnegoError).status).toBe(SEC_E_INVALID_TOKEN);
  return thrown as SpnegoError;
}

/** Runs fn; anything thrown must be a SpnegoError. */
function onlySpnegoErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SpnegoError)) throw e;
  }
}

function decodeInit(buf: Buffer): NegTokenInit {
  const t = decodeNegotiationToken(buf);
  if (t.kind !== 'init') throw new Error(`expected init, got ${t.kind}`);
  return t.token;
}

function decodeResp(buf: Buffer): NegTokenResp {
  const t = decodeNegotiationToken(buf);
  if (t.kind !== 'resp') throw new Error(`expected resp, got ${t.kind}`);
  return t.token;
}

/** encode(decode(bytes)) gives the same bytes back. */
function reencode(buf: Buffer): Buffer {
  const t = decodeNegotiationToken(buf);
  return t.kind === 'init' ? encodeNegTokenInit(t.token) : encodeNegTokenResp(t.token);
}

// ---------------------------------------------------------------------------------------
// Hand-built vectors

const OID_VECTORS: Array<[string, string]> = [
  [OID_SPNEGO, '06 06 2b 06 01 05 05 02'], // 1*40+3 = 0x2b
  [OID_NTLMSSP, '06 0a 2b 06 01 04 01 82 37 02 02 0a'], // 311 = 2*128 + 55
  [OID_KRB5, '06 09 2a 86 48 86 f7 12 01 02 02'], // 840 = 6*128+72; 113554 = 6*128² + 119*128 + 18
  [OID_MS_KRB5, '06 09 2a 86 48 82 f7 12 01 02 02'], // 48018 = 2*128² + 119*128 + 18
  [OID_KRB5_U2U, '06 0a 2a 86 48 86 f7 12 01 02 02 03'],
  [OID_NEGOEX, '06 0a 2b 06 01 04 01 82 37 02 02 1e'],
  ['2.999.3', '06 03 88 37 03'], // X.690 8.19.5's example: 2*40+999 = 1079 = 8*128 + 55
  ['0.0', '06 01 00'],
  ['1.2.4294967296', '06 06 2a 90 80 80 80 00'], // 2^32 = 16 * 128^4
  // 2.25.(2^128-1): 2*40+25 = 0x69, then 19 groups of 7 bits: 0b11, then eighteen 0x7f.
  ['2.25.340282366920938463463374607431768211455', `06 14 69 83 ${'ff '.repeat(17)} 7f`],
];

/** NTLM NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1), 40 bytes: signature, type 1, flags, two empty fields, version 10.0.19041. */
const NTLM_NEGOTIATE = hex(`
  4e544c4d53535000 01000000 978208e2
  0000 0000 00000000   0000 0000 00000000
  0a00 614a 000000 0f`);

/** GSS-wrapped NegTokenInit offering [MS_KRB5, KRB5, NTLMSSP] with an optimistic NTLM NEGOTIATE. */
const INIT_THREE_MECHS = hex(`
  60 5e                                   -- [APPLICATION 0], 8 + 86 = 94
    06 06 2b 06 01 05 05 02               -- thisMech SPNEGO
    a0 54                                 -- negTokenInit [0], 84
      30 52                               -- SEQUENCE, 38 + 44 = 82
        a0 24                             -- mechTypes [0], 36
          30 22                           -- MechTypeList, 11 + 11 + 12 = 34
            06 09 2a 86 48 82 f7 12 01 02 02
            06 09 2a 86 48 86 f7 12 01 02 02
            06 0a 2b 06 01 04 01 82 37 02 02 0a
        a2 2a                             -- mechToken [2], 42
          04 28 ${NTLM_NEGOTIATE.toString('hex')}`.replace(/--[^\n]*/g, ''));

/** The server's first answer: accept_incomplete, supportedMech NTLMSSP, a 12-byte responseToken. */
const RESP_INCOMPLETE = hex(`
  a1 25 30 23                             -- 5 + 14 + 16 = 35
    a0 03 0a 01 01                        -- negState accept_incomplete
    a1 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a
    a2 0e 04 0c 4e544c4d53535000 02000000`.replace(/--[^\n]*/g, ''));

/** The server's last answer: accept_completed and a 16-byte NTLMSSP_MESSAGE_SIGNATURE as mechListMIC. */
const RESP_COMPLETED_MIC = hex(`
  a1 1b 30 19                             -- 5 + 20 = 25
    a0 03 0a 01 00
    a3 12 04 10 01000000 0102030405060708 00000000`.replace(/--[^\n]*/g, ''));

/** The client's second token: responseToken and mechListMIC, no negState, no supportedMech. */
const RESP_CLIENT_MIC = hex(`
  a1 26 30 24                             -- 16 + 20 = 36
    a2 0e 04 0c 4e544c4d53535000 03000000
    a3 12 04 10 01000000 a1a2a3a4a5a6a7a8 00000000`.replace(/--[^\n]*/g, ''));

const RESP_REJECT = hex('a1 07 30 05 a0 03 0a 01 02');
const RESP_REQUEST_MIC = hex('a1 07 30 05 a0 03 0a 01 03');
const RESP_EMPTY = hex('a1 02 30 00');

/** 200-byte responseToken: 04 81 c8 (203) → a2 81 cb (206) → +5 = 211 → 30 81 d3 (214) → a1 81 d6. */
const RESP_LONG_81 = hex(`a1 81 d6 30 81 d3 a0 03 0a 01 01 a2 81 cb 04 81 c8 ${'ab'.repeat(200)}`);

/** 300-byte responseToken: 04 82 01 2c (304) → a2 82 01 30 (308) → 30 82 01 34 (312) → a1 82 01 38. */
const RESP_LONG_82 = hex(`a1 82 01 38 30 82 01 34 a2 82 01 30 04 82 01 2c ${'cd'.repeat(300)}`);

/**
 * Outer length in long form, inner short: mechTypes [NTLMSSP] a0 0e (16), 100-byte
 * mechToken a2 66 (104) → 30 78 (122) → a0 7a (124) → 8 + 124 = 132 → 60 81 84.
 */
const INIT_LONG_OUTER = hex(`
  60 81 84 06 06 2b 06 01 05 05 02 a0 7a 30 78
    a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a
    a2 66 04 64 ${'5a'.repeat(100)}`);

/**
 * reqFlags mutual|replay|sequence|conf|integ = bits 1,2,3,5,6 → 0x76, bit 7 unused → 03 02 01 76;
 * mechListMIC [3] of 4 bytes: 16 + 6 + 8 = 30 → 30 1e → a0 20 → 60 2a.
 */
const INIT_FLAGS_MIC = hex(`
  60 2a 06 06 2b 06 01 05 05 02 a0 20 30 1e
    a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a
    a1 04 03 02 01 76
    a3 06 04 04 de ad be ef`);

// ---------------------------------------------------------------------------------------
// Captured vectors

/**
 * One NTLM-over-SPNEGO SMB session setup between an smbclient-like client (NTLM version
 * 6.1.0, domain SAMBA) and a Windows 10 1709 server (NTLM version 10.0.16299, VAGRANT-N89C1F3):
 * from arizvisa/syringe, template/protocol/spnego.py (the `data` list, entries 6 to 9).
 */
const CAP_SYRINGE = {
  init: hex('604806062b0601050502a03e303ca00e300c060a2b06010401823702020aa22a04284e544c4d53535000010000001582086200000000280000000000000028000000060100000000000f'),
  challenge: hex('a182010b30820107a0030a0101a10c060a2b06010401823702020aa281f10481ee4e544c4d53535000020000001e001e003800000015828a62bcae443094508191000000000000000098009800560000000a00ab3f0000000f560041004700520041004e0054002d004e0038003900430031004600330002001e00560041004700520041004e0054002d004e0038003900430031004600330001001e00560041004700520041004e0054002d004e0038003900430031004600330004001e00560041004700520041004e0054002d004e0038003900430031004600330003001e00560041004700520041004e0054002d004e0038003900430031004600330007000800c4dc356c911ad70100000000'),
  authenticate: hex('a18201f8308201f4a28201dc048201d84e544c4d535350000300000018001800580000003c013c01700000000a000a00ac01000008000800b60100000a000a00be01000010001000c801000015820862060100000000000f869edfa10f0714da527caa5da9caf5af000000000000000000000000000000000000000000000000f8e5942603c06bdd99642fb0413c97cc0101000000000000c4dc356c911ad70169f6d67314e243590000000002001e00560041004700520041004e0054002d004e0038003900430031004600330001001e00560041004700520041004e0054002d004e0038003900430031004600330004001e00560041004700520041004e0054002d004e0038003900430031004600330003001e00560041004700520041004e0054002d004e0038003900430031004600330007000800c4dc356c911ad70106000400020000000800300030000000000000000000000000000000b756d72e9ea5efcd0c3499af097b9a458e415a2100bf8f22c2ef4002c2f4a4770a001000000000000000000000000000000000000900240063006900660073002f003100370032002e00320032002e00320032002e0031003200380000000000530041004d0042004100750073006500720045003500350037003000025c542d1920ccaa153d4376c65949e5a3120410010000004ea6d81de60bbda700000000'),
  final: hex('a11b3019a0030a0100a3120410010000007c3cf99405b02f5500000000'),
};

/**
 * A Windows XP client (NTLM version 5.1.2600, PANELPC02\Administrator) against a server
 * of NTLM version 6.0.6002; no MIC anywhere. Plus a Kerberos acceptance and a server's
 * NegTokenInit2. From skelsec/Responder3, responder3/protocols/GSSAPI.py (the examples
 * in its closing comment).
 */
const CAP_RESPONDER3 = {
  init: hex('604806062b0601050502a03e303ca00e300c060a2b06010401823702020aa22a04284e544c4d5353500001000000078208a2000000000000000000000000000000000501280a0000000f'),
  challenge: hex('a181a63081a3a0030a0101a10c060a2b06010401823702020aa2818d04818a4e544c4d53535000020000000a000a003800000005828aa2257147965534292500000000000000004800480042000000060072170000000f4900410053003000310002000a004900410053003000310001000a004900410053003000310004000a004900410053003000310003000a004900410053003000310007000800607eb34ac5c0cd0100000000'),
  authenticate: hex('a181bf3081bca281b90481b64e544c4d53535000030000001800180086000000180018009e00000012001200480000001a001a005a000000120012007400000000000000b6000000058288a20501280a0000000f500041004e0045004c005000430030003200410064006d0069006e006900730074007200610074006f007200500041004e0045004c0050004300300032008a7c1617ec88d45400000000000000000000000000000000a836c8ffec8ef97c96c997908dec9ad665c93b3a7c188cf6'),
  final: hex('a1073005a0030a0100'),
  kerberosAccept: hex('a181b53081b2a0030a0100a10b06092a864882f712010202a2819d04819a60819706092a864886f71201020202006f8187308184a003020105a10302010fa2783076a003020112a26f046d1c984dccd970dac7b140ff6901ced969cb2979cd16aee5ded0c930c11f57fd1543dcdec2defb7f5f565c619d336ab86d4bd4a89c628dd871e8a9c9b2c31836bdd7565297bfd39ed11548d79b22db3c4cebf597df677e18fcaad58680b1258c8cf67a3d10a0c32d44344dedcfe6'),
  serverInit2: hex('605e06062b0601050502a0543052a024302206092a864882f71201020206092a864886f712010202060a2b06010401823702020aa32a3028a0261b246e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265'),
};

/**
 * A Windows 10 1703 client's NEGOTIATE (as a bare [0] NegTokenInit) and a Windows Server
 * 2019 DC's (WIN2019AD, test.corp) challenge and final answer: from skelsec/msldap,
 * msldap/authentication/spnego/native.py (`test()`).
 */
const CAP_MSLDAP = {
  bareInit: hex('a03e303ca00e300c060a2b06010401823702020aa22a04284e544c4d5353500001000000978208e2000000000000000000000000000000000a00d73a0000000f'),
  challenge: hex('a181ce3081cba0030a0101a10c060a2b06010401823702020aa281b50481b24e544c4d53535000020000000800080038000000158289e2a7314a557bdb11bf000000000000000072007200400000000a0063450000000f540045005300540002000800540045005300540001001200570049004e003200300031003900410044000400120074006500730074002e0063006f007200700003002600570049004e003200300031003900410044002e0074006500730074002e0063006f007200700007000800aec600bfc5fdd40100000000'),
  final: hex('a11b3019a0030a0100a3120410010000006b65125a00bb9ab400000000'),
};

/**
 * A NegTokenInit2 carrying a NEGOEX mechToken as well as negHints (0x82 length around a
 * 0x81 one). From arizvisa/syringe, template/protocol/spnego.py, whose author notes its
 * origin is unknown.
 */
const CAP_NEGOEX_INIT2 = hex('6082015d06062b0601050502a08201513082014da01a3018060a2b06010401823702021e060a2b06010401823702020aa28201010481fe4e45474f4558545301000000000000006000000070000000cffa11765e12599a347d766852bfce7097458710bb8242b4c7dfbad2da897aa311a7d868463430952562dc13c554f2010000000000000000600000000100000000000000000000005c33530deaf90d4db2ec4ae3786ec3084e45474f455854530300000001000000400000008e000000cffa11765e12599a347d766852bfce705c33530deaf90d4db2ec4ae3786ec308400000004e000000304ca04a3048302a80283026312430220603550403131b584d4c50726f766964657220496e7465726d656469617465204341301a80183016311430120603550403130b584d4c50726f7669646572a32a3028a0261b246e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265');

/** Every well-formed token above: each must round-trip and each must fail when cut short. */
const ALL_VECTORS: Array<[string, Buffer]> = [
  ['INIT_THREE_MECHS', INIT_THREE_MECHS],
  ['RESP_INCOMPLETE', RESP_INCOMPLETE],
  ['RESP_COMPLETED_MIC', RESP_COMPLETED_MIC],
  ['RESP_CLIENT_MIC', RESP_CLIENT_MIC],
  ['RESP_REJECT', RESP_REJECT],
  ['RESP_REQUEST_MIC', RESP_REQUEST_MIC],
  ['RESP_EMPTY', RESP_EMPTY],
  ['RESP_LONG_81', RESP_LONG_81],
  ['RESP_LONG_82', RESP_LONG_82],
  ['INIT_LONG_OUTER', INIT_LONG_OUTER],
  ['INIT_FLAGS_MIC', INIT_FLAGS_MIC],
  ...Object.entries(CAP_SYRINGE).map(([k, v]): [string, Buffer] => [`syringe.${k}`, v]),
  ...Object.entries(CAP_RESPONDER3).map(([k, v]): [string, Buffer] => [`responder3.${k}`, v]),
  ['msldap.challenge', CAP_MSLDAP.challenge],
  ['msldap.final', CAP_MSLDAP.final],
  ['negoexInit2', CAP_NEGOEX_INIT2],
];

const MIC_SIGNATURE_VERSION_1 = hex('01000000');

// ---------------------------------------------------------------------------------------

describe('DER primitives', () => {
  it.each(OID_VECTORS)('OBJECT IDENTIFIER %s', (dotted, der) => {
    expect(encodeOid(dotted).toString('hex')).toBe(hex(der).toString('hex'));
    const el = new DerReader(hex(der)).expect(TAG.OBJECT_IDENTIFIER, 'oid');
    expect(decodeOid(el.content)).toBe(dotted);
  });

  it('rejects malformed OBJECT IDENTIFIER contents', () => {
    expectSpnegoError(() => decodeOid(hex(''))); // no subidentifier at all
    expectSpnegoError(() => decodeOid(hex('2a 86'))); // ends inside a subidentifier
    expectSpnegoError(() => decodeOid(hex('2a 80 01'))); // 0x80 lead: a padded subidentifier
    expectSpnegoError(() => decodeOid(hex(`2a ${'ff'.repeat(20)} 7f`))); // a 21-octet arc
  });

  it('rejects dotted strings that are not canonical object identifiers', () => {
    for (const bad of ['', '1', '3.1', '1.40', '0.99', '1.02', '1..2', 'a.b', '1.2.', ' 1.2', '1.-2']) {
      expectSpnegoError(() => encodeOid(bad));
    }
  });

  it('writes lengths in the fewest octets (X.690 10.1)', () => {
    const cases: Array<[number, string]> = [
      [0, '00'],
      [127, '7f'],
      [128, '81 80'],
      [255, '81 ff'],
      [256, '82 01 00'],
      [65535, '82 ff ff'],
      [65536, '83 01 00 00'],
      [0xffffffff, '84 ff ff ff ff'],
    ];
    for (const [n, der] of cases) expect(encodeLength(n).toString('hex')).toBe(hex(der).toString('hex'));
    expectSpnegoError(() => encodeLength(2 ** 32));
    expectSpnegoError(() => encodeLength(-1));
  });

  it('reads short and long lengths and refuses every non-DER length', () => {
    expect(new DerReader(hex(`04 81 80 ${'00'.repeat(128)}`)).next('x').content.length).toBe(128);
    expect(new DerReader(hex(`04 82 01 00 ${'00'.repeat(256)}`)).next('x').content.length).toBe(256);
    const bad = [
      '04 80 00 00', // indefinite
      '04 81 7f', // long form for a short length
      '04 82 00 80', // leading zero length octet
      '04 85 00 00 00 00 01', // five length octets
      '04 84 ff ff ff ff', // 4 GiB claimed, nothing there
      '04 03 01 02', // one octet short
      '04 82 01', // length octets cut
      '04', // no length at all
      '1f 01 00', // high tag number form
    ];
    for (const b of bad) expectSpnegoError(() => new DerReader(hex(b)).next('x'));
  });

  it('ENUMERATED: minimal two\'s complement', () => {
    const cases: Array<[number, string]> = [
      [0, '0a 01 00'],
      [3, '0a 01 03'],
      [127, '0a 01 7f'],
      [128, '0a 02 00 80'],
      [256, '0a 02 01 00'],
    ];
    for (const [v, der] of cases) {
      expect(encodeEnumerated(v).toString('hex')).toBe(hex(der).toString('hex'));
      expect(decodeEnumerated(hex(der).subarray(2))).toBe(v);
    }
    expect(decodeEnumerated(hex('ff'))).toBe(-1);
    expectSpnegoError(() => decodeEnumerated(hex('')));
    expectSpnegoError(() => decodeEnumerated(hex('00 01')));
    expectSpnegoError(() => decodeEnumerated(hex('ff 80')));
    expectSpnegoError(() => decodeEnumerated(hex('01 00 00 00 00')));
  });

  it(`enters at most ${MAX_DEPTH} levels of constructed values`, () => {
    // MAX_DEPTH + 1 nested [0]s: a0 n a0 n-2 … a0 00, written out by its lengths.
    const levels = MAX_DEPTH + 1;
    const octets: number[] = [];
    for (let i = 0; i < levels; i++) octets.push(0xa0, 2 * (levels - 1 - i));
    let r = new DerReader(Buffer.from(octets));
    for (let i = 0; i < MAX_DEPTH; i++) r = enter(r.next('level'), 'level');
    expect(r.depth).toBe(MAX_DEPTH);
    const deepest = r.next('level');
    expectSpnegoError(() => enter(deepest, 'level'));
  });
});

describe('NegTokenInit', () => {
  it('decodes the GSS-wrapped token a client sends', () => {
    const t = decodeInit(INIT_THREE_MECHS);
    expect(t.mechTypes).toEqual([OID_MS_KRB5, OID_KRB5, OID_NTLMSSP]);
    expect(t.mechTypesDer.toString('hex')).toBe(
      hex(`30 22 06 09 2a 86 48 82 f7 12 01 02 02 06 09 2a 86 48 86 f7 12 01 02 02
           06 0a 2b 06 01 04 01 82 37 02 02 0a`).toString('hex'),
    );
    expect(t.mechToken).toEqual(NTLM_NEGOTIATE);
    expect(t.mechToken!.length).toBe(40);
    expect(t.reqFlags).toBeUndefined();
    expect(t.mechListMIC).toBeUndefined();
    expect(t.negHints).toBeUndefined();
  });

  it('encodes exactly as Windows clients wrap it', () => {
    const der = encodeNegTokenInit({ mechTypes: [OID_MS_KRB5, OID_KRB5, OID_NTLMSSP], mechToken: NTLM_NEGOTIATE });
    expect(der.toString('hex')).toBe(INIT_THREE_MECHS.toString('hex'));
  });

  it('encodeMechTypeList is the MechTypeList SEQUENCE mechListMIC covers', () => {
    expect(encodeMechTypeList([OID_MS_KRB5, OID_KRB5, OID_NTLMSSP])).toEqual(decodeInit(INIT_THREE_MECHS).mechTypesDer);
    expect(encodeMechTypeList([OID_NTLMSSP]).toString('hex')).toBe('300c060a2b06010401823702020a');
    expect(encodeMechTypeList([]).toString('hex')).toBe('3000');
  });

  it('reqFlags and an RFC 4178 mechListMIC at [3]', () => {
    const t = decodeInit(INIT_FLAGS_MIC);
    expect(t.mechTypes).toEqual([OID_NTLMSSP]);
    expect(t.reqFlags).toEqual(hex('01 76'));
    expect(t.mechListMIC).toEqual(hex('de ad be ef'));
    expect(encodeNegTokenInit(t)).toEqual(INIT_FLAGS_MIC);
  });

  it('outer length in long form', () => {
    const t = decodeInit(INIT_LONG_OUTER);
    expect(t.mechToken).toEqual(Buffer.alloc(100, 0x5a));
    expect(encodeNegTokenInit(t)).toEqual(INIT_LONG_OUTER);
  });

  it('a bare [0] NegTokenInit is accepted too (msldap capture)', () => {
    const t = decodeInit(CAP_MSLDAP.bareInit);
    expect(t.mechTypes).toEqual([OID_NTLMSSP]);
    expect(t.mechToken!.subarray(0, 12)).toEqual(hex('4e544c4d53535000 01000000'));
    // The encoder always wraps: the same inner bytes behind the GSS header.
    expect(encodeNegTokenInit(t).toString('hex')).toBe(`604806062b0601050502${CAP_MSLDAP.bareInit.toString('hex')}`);
  });

  it('an MS-SPNG NegTokenInit2 from a server: negHints at [3] (Responder3 capture)', () => {
    const t = decodeInit(CAP_RESPONDER3.serverInit2);
    expect(t.mechTypes).toEqual([OID_MS_KRB5, OID_KRB5, OID_NTLMSSP]);
    expect(t.negHints).toEqual({ hintName: 'not_defined_in_RFC4178@please_ignore' });
    expect(t.mechToken).toBeUndefined();
    expect(t.mechListMIC).toBeUndefined();
    expect(encodeNegTokenInit(t)).toEqual(CAP_RESPONDER3.serverInit2);
  });

  it('NegTokenInit2 carrying a NEGOEX mechToken and negHints', () => {
    const t = decodeInit(CAP_NEGOEX_INIT2);
    expect(t.mechTypes).toEqual([OID_NEGOEX, OID_NTLMSSP]);
    expect(t.mechToken!.subarray(0, 8).toString('latin1')).toBe('NEGOEXTS');
    expect(t.mechToken!.length).toBe(254);
    expect(t.negHints!.hintName).toBe('not_defined_in_RFC4178@please_ignore');
  });

  it('NegTokenInit2 mechListMIC at [4], with and without negHints', () => {
    // negHints [3] { [0] "x" } then [4] mic: a3 07 30 05 a0 03 1b 01 78 (9), a4 04 04 02 ca fe (6);
    // 16 + 9 + 6 = 31 → 30 1f → a0 21 → 60 2b.
    const withHints = hex(`60 2b 06 06 2b 06 01 05 05 02 a0 21 30 1f
      a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a
      a3 07 30 05 a0 03 1b 01 78
      a4 04 04 02 ca fe`);
    const t = decodeInit(withHints);
    expect(t.negHints).toEqual({ hintName: 'x' });
    expect(t.mechListMIC).toEqual(hex('ca fe'));
    expect(encodeNegTokenInit(t)).toEqual(withHints);
    // No [3] at all: [4] is still mechListMIC. 16 + 6 = 22 → 30 16 → a0 18 → 60 22.
    const noHints = hex(`60 22 06 06 2b 06 01 05 05 02 a0 18 30 16
      a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a
      a4 04 04 02 ca fe`);
    expect(decodeInit(noHints).mechListMIC).toEqual(hex('ca fe'));
  });

  it('hintAddress inside negHints', () => {
    // [3] { [0] "" [1] 01 02 }: 4 + 6 = 10 → 30 0a → a3 0c (14); 16 + 14 = 30 → 30 1e → a0 20 → 60 2a.
    const der = hex(`60 2a 06 06 2b 06 01 05 05 02 a0 20 30 1e
      a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a
      a3 0c 30 0a a0 02 1b 00 a1 04 04 02 01 02`);
    expect(decodeInit(der).negHints).toEqual({ hintName: '', hintAddress: hex('01 02') });
    expect(reencode(der)).toEqual(der);
  });

  it('an empty MechTypeList is syntax the negotiation layer, not the codec, must refuse', () => {
    const t = decodeInit(hex('a0 06 30 04 a0 02 30 00'));
    expect(t.mechTypes).toEqual([]);
    expect(t.mechTypesDer).toEqual(hex('30 00'));
  });

  it('tolerates context-tagged extensions after the known fields', () => {
    // [5] NULL after mechTypes: 16 + 4 = 20 → 30 14 → a0 16 → 60 20.
    const der = hex(`60 20 06 06 2b 06 01 05 05 02 a0 16 30 14
      a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a
      a5 02 05 00`);
    expect(decodeInit(der).mechTypes).toEqual([OID_NTLMSSP]);
  });

  it('mechTypesDer is a copy, not a view of the caller\'s buffer', () => {
    const buf = Buffer.from(INIT_THREE_MECHS);
    const t = decodeInit(buf);
    buf.fill(0);
    expect(t.mechTypesDer[0]).toBe(0x30);
    expect(t.mechToken![0]).toBe(0x4e);
  });
});

describe('NegTokenResp', () => {
  it('accept_incomplete with supportedMech and a responseToken', () => {
    const t = decodeResp(RESP_INCOMPLETE);
    expect(t).toEqual({
      negState: NEG_STATE.accept_incomplete,
      supportedMech: OID_NTLMSSP,
      responseToken: hex('4e544c4d53535000 02000000'),
    });
    expect(encodeNegTokenResp(t)).toEqual(RESP_INCOMPLETE);
  });

  it('accept_completed with a 16-byte mechListMIC', () => {
    const t = decodeResp(RESP_COMPLETED_MIC);
    expect(t).toEqual({ negState: NEG_STATE.accept_completed, mechListMIC: hex('01000000 0102030405060708 00000000') });
    expect(encodeNegTokenResp(t)).toEqual(RESP_COMPLETED_MIC);
  });

  it('a client token with only responseToken and mechListMIC', () => {
    const t = decodeResp(RESP_CLIENT_MIC);
    expect(t).toEqual({
      responseToken: hex('4e544c4d53535000 03000000'),
      mechListMIC: hex('01000000 a1a2a3a4a5a6a7a8 00000000'),
    });
    expect(t.negState).toBeUndefined();
    expect(encodeNegTokenResp(t)).toEqual(RESP_CLIENT_MIC);
  });

  it('reject, request_mic and the empty sequence', () => {
    expect(decodeResp(RESP_REJECT)).toEqual({ negState: NEG_STATE.reject });
    expect(decodeResp(RESP_REQUEST_MIC)).toEqual({ negState: NEG_STATE.request_mic });
    expect(decodeResp(RESP_EMPTY)).toEqual({});
    expect(encodeNegTokenResp({ negState: NEG_STATE.reject })).toEqual(RESP_REJECT);
    expect(encodeNegTokenResp({})).toEqual(RESP_EMPTY);
  });

  it('long-form lengths: one octet (> 127) and two octets (> 255)', () => {
    const a = decodeResp(RESP_LONG_81);
    expect(a.responseToken).toEqual(Buffer.alloc(200, 0xab));
    expect(encodeNegTokenResp(a)).toEqual(RESP_LONG_81);
    const b = decodeResp(RESP_LONG_82);
    expect(b).toEqual({ responseToken: Buffer.alloc(300, 0xcd) });
    expect(encodeNegTokenResp(b)).toEqual(RESP_LONG_82);
  });

  it('tolerates context-tagged extensions after mechListMIC\'s number', () => {
    // negState, then [4] { OCTET STRING 00 } and primitive [5] ff: 5 + 5 + 3 = 13 → 30 0d → a1 0f.
    expect(decodeResp(hex('a1 0f 30 0d a0 03 0a 01 00 a4 03 04 01 00 85 01 ff'))).toEqual({ negState: 0 });
  });
});

describe('captured exchanges', () => {
  it('Windows 10 server, NTLM with mechListMIC (syringe)', () => {
    const init = decodeInit(CAP_SYRINGE.init);
    expect(init.mechTypes).toEqual([OID_NTLMSSP]);
    expect(init.reqFlags).toBeUndefined();

    // First answer: negState and supportedMech, the CHALLENGE, no MIC.
    const challenge = decodeResp(CAP_SYRINGE.challenge);
    expect(challenge.negState).toBe(NEG_STATE.accept_incomplete);
    expect(challenge.supportedMech).toBe(OID_NTLMSSP);
    expect(challenge.responseToken!.subarray(0, 12)).toEqual(hex('4e544c4d53535000 02000000'));
    expect(challenge.responseToken!.length).toBe(238);
    expect(challenge.mechListMIC).toBeUndefined();

    // The client's AUTHENTICATE: no negState, no supportedMech, a mechListMIC.
    const auth = decodeResp(CAP_SYRINGE.authenticate);
    expect(auth.negState).toBeUndefined();
    expect(auth.supportedMech).toBeUndefined();
    expect(auth.responseToken!.subarray(0, 12)).toEqual(hex('4e544c4d53535000 03000000'));
    expect(auth.mechListMIC!.length).toBe(16);
    expect(auth.mechListMIC!.subarray(0, 4)).toEqual(MIC_SIGNATURE_VERSION_1);

    // Last answer: accept_completed and the server's own mechListMIC, no supportedMech.
    const final = decodeResp(CAP_SYRINGE.final);
    expect(Object.keys(final).sort()).toEqual(['mechListMIC', 'negState']);
    expect(final.negState).toBe(NEG_STATE.accept_completed);
    expect(final.mechListMIC!.subarray(0, 4)).toEqual(MIC_SIGNATURE_VERSION_1);
    expect(final.mechListMIC!.subarray(12)).toEqual(hex('00000000')); // SeqNum 0
  });

  it('Windows Server 2019 ends the same way (msldap)', () => {
    expect(decodeResp(CAP_MSLDAP.challenge)).toMatchObject({ negState: 1, supportedMech: OID_NTLMSSP });
    const final = decodeResp(CAP_MSLDAP.final);
    expect(Object.keys(final).sort()).toEqual(['mechListMIC', 'negState']);
    expect(final.negState).toBe(NEG_STATE.accept_completed);
  });

  it('Windows XP client without MIC: the final answer is negState alone (Responder3)', () => {
    expect(decodeInit(CAP_RESPONDER3.init).mechToken!.subarray(32)).toEqual(hex('0501280a0000000f'));
    expect(decodeResp(CAP_RESPONDER3.challenge)).toMatchObject({ negState: 1, supportedMech: OID_NTLMSSP });
    expect(Object.keys(decodeResp(CAP_RESPONDER3.authenticate))).toEqual(['responseToken']);
    expect(decodeResp(CAP_RESPONDER3.final)).toEqual({ negState: NEG_STATE.accept_completed });
  });

  it('Kerberos acceptance names the MS OID as supportedMech (Responder3)', () => {
    const t = decodeResp(CAP_RESPONDER3.kerberosAccept);
    expect(t.negState).toBe(NEG_STATE.accept_completed);
    expect(t.supportedMech).toBe(OID_MS_KRB5);
    // The AP-REP inside is framed with the standard Kerberos OID (RFC 1964 token id 02 00).
    expect(t.responseToken!.subarray(0, 16)).toEqual(hex('60 81 97 06 09 2a 86 48 86 f7 12 01 02 02 02 00'));
    expect(t.mechListMIC).toBeUndefined();
  });
});

describe('round trips', () => {
  it.each(ALL_VECTORS)('%s: encode(decode(bytes)) is the same bytes', (_name, der) => {
    expect(reencode(der).toString('hex')).toBe(der.toString('hex'));
  });
});

describe('malformed tokens', () => {
  it.each(ALL_VECTORS)('%s: every truncation throws SpnegoError', (_name, der) => {
    for (let n = 0; n < der.length; n++) expectSpnegoError(() => decodeNegotiationToken(der.subarray(0, n)));
  });

  it.each(ALL_VECTORS)('%s: a trailing octet throws SpnegoError', (_name, der) => {
    expectSpnegoError(() => decodeNegotiationToken(Buffer.concat([der, hex('00')])));
  });

  it('wrong outer tags', () => {
    for (const b of ['30 00', 'a2 00', '04 00', '61 00', '00 00', 'ff']) {
      expectSpnegoError(() => decodeNegotiationToken(hex(b)));
    }
    expectSpnegoError(() => decodeNegotiationToken(Buffer.alloc(0)));
  });

  it('a GSS wrapper for another mechanism, or around a NegTokenResp', () => {
    // thisMech KRB5 in place of SPNEGO: 11 + 4 = 15 → 60 0f.
    expectSpnegoError(() => decodeNegotiationToken(hex('60 0f 06 09 2a 86 48 86 f7 12 01 02 02 a0 02 30 00')));
    // [1] inside the wrapper: 8 + 9 = 17 → 60 11.
    expectSpnegoError(() => decodeNegotiationToken(hex('60 11 06 06 2b 06 01 05 05 02 a1 07 30 05 a0 03 0a 01 01')));
    // A wrapper with no inner token at all.
    expectSpnegoError(() => decodeNegotiationToken(hex('60 08 06 06 2b 06 01 05 05 02')));
  });

  it('lengths past the end, indefinite lengths and non-minimal lengths', () => {
    for (const b of [
      'a1 05 30 03', // outer claims more than there is
      'a1 84 ff ff ff ff 30 00', // 4 GiB claimed
      'a1 04 30 05 a0 03', // inner runs past its parent
      'a1 80 30 00 00 00', // indefinite
      'a1 04 30 80 00 00', // indefinite inside
      'a1 81 02 30 00', // long form for 2
      'a1 82 00 02 30 00', // leading zero
      'a1 85 00 00 00 00 02 30 00', // five length octets
    ]) {
      expectSpnegoError(() => decodeNegotiationToken(hex(b)));
    }
  });

  it('fields out of order, duplicated, of the wrong type, or doubled inside a tag', () => {
    for (const b of [
      'a1 0c 30 0a a2 03 04 01 00 a0 03 0a 01 00', // [2] before [0]
      'a1 0c 30 0a a0 03 0a 01 00 a0 03 0a 01 00', // [0] twice
      'a1 05 30 03 04 01 00', // universal element in the sequence
      'a1 05 30 03 82 01 00', // [2] primitive: a known number in the wrong form
      'a1 07 30 05 a0 03 02 01 00', // negState as INTEGER
      'a1 07 30 05 a0 03 0a 01 04', // negState 4 does not exist
      'a1 08 30 06 a0 04 0a 02 00 01', // negState not minimal
      'a1 0a 30 08 a0 06 0a 01 00 0a 01 00', // two values inside [0]
      'a1 0b 30 09 a2 07 24 05 04 03 01 02 03', // constructed OCTET STRING (BER only)
      'a1 06 30 04 a1 02 06 00', // empty OID
      'a1 08 30 06 a1 04 06 02 2a 86', // OID ends inside a subidentifier
      'a1 09 30 07 a1 05 06 03 2a 80 01', // OID subidentifier padded
      'a1 04 31 02 a0 00', // SET in place of SEQUENCE
      'a1 00', // no SEQUENCE at all
      'a0 02 30 00', // NegTokenInit without mechTypes
      'a0 08 30 06 a0 04 30 02 05 00', // a NULL among the mechTypes
      'a0 0b 30 09 a0 02 30 00 a1 03 03 01 08', // BIT STRING claiming 8 unused bits
      'a0 0c 30 0a a0 02 30 00 a1 04 03 02 01 77', // BIT STRING unused bit set
      'a0 0e 30 0c a0 02 30 00 a3 06 30 04 a2 02 1b 00', // negHints with a [2]
      'a0 10 30 0e a0 02 30 00 a3 03 04 01 00 a4 03 04 01 00', // RFC mechListMIC and MS one
    ]) {
      expectSpnegoError(() => decodeNegotiationToken(hex(b)));
    }
  });

  it('nesting bombs fail fast', () => {
    // 20,000 [0]s, each wrapping the next with a correct definite length.
    let bomb: Buffer = hex('30 00');
    for (let i = 0; i < 20_000; i++) bomb = Buffer.concat([Buffer.from([0xa0]), encodeLength(bomb.length), bomb]);
    const wrapped = Buffer.concat([hex('60'), encodeLength(bomb.length + 8), hex('06 06 2b 06 01 05 05 02'), bomb]);
    const inResp = Buffer.concat([hex('a1'), encodeLength(bomb.length + 4), hex('30'), encodeLength(bomb.length + 2), hex('a2'), encodeLength(bomb.length), bomb]);
    const started = performance.now();
    expectSpnegoError(() => decodeNegotiationToken(bomb));
    expectSpnegoError(() => decodeNegotiationToken(wrapped));
    expectSpnegoError(() => decodeNegotiationToken(inResp));
    // Indefinite-length nesting, and SEQUENCEs all the way down.
    expectSpnegoError(() => decodeNegotiationToken(Buffer.from('a080'.repeat(50_000), 'hex')));
    expectSpnegoError(() => decodeNegotiationToken(Buffer.from('6080'.repeat(50_000), 'hex')));
    expectSpnegoError(() => decodeNegotiationToken(Buffer.from('a0 81 ff 30 81 fc'.replace(/ /g, '').repeat(1000), 'hex')));
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('the encoders refuse values they cannot encode faithfully', () => {
    expectSpnegoError(() => encodeNegTokenResp({ negState: 7 as NegState }));
    expectSpnegoError(() => encodeNegTokenResp({ supportedMech: '1.2.03' }));
    expectSpnegoError(() => encodeNegTokenInit({ mechTypes: ['4.1'] }));
    expectSpnegoError(() => encodeNegTokenInit({ mechTypes: [], reqFlags: hex('08 00') }));
    expectSpnegoError(() => encodeNegTokenInit({ mechTypes: [], reqFlags: hex('') }));
    expectSpnegoError(() => encodeNegTokenInit({ mechTypes: [], negHints: { hintName: 'π' } }));
  });
});

// ---------------------------------------------------------------------------------------
// Properties

const bytesArb = (maxLength: number) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));

/** Any object identifier, arcs large and small (bigint arcs up to 2^100). */
const oidArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.integer({ min: 0, max: 2 }),
    fc.bigInt({ min: 0n, max: 2n ** 40n }),
    fc.array(fc.oneof(fc.nat(300), fc.bigInt({ min: 0n, max: 2n ** 100n })), { maxLength: 8 }),
  )
  .map(([a, b, rest]) => [a, a < 2 ? b % 40n : b, ...rest].join('.'));

const mechArb = fc.oneof(fc.constantFrom(OID_MS_KRB5, OID_KRB5, OID_NTLMSSP, OID_NEGOEX, OID_KRB5_U2U), oidArb);

/** ContextFlags contents: unused-bit count, then octets whose unused bits are zero. */
const reqFlagsArb = fc
  .tuple(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ minLength: 1, maxLength: 4 }))
  .map(([unused, bits]) => {
    bits[bits.length - 1]! &= 0xff << unused;
    return Buffer.from([unused, ...bits]);
  });

const latin1Arb = fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }).map((c) => String.fromCharCode(...c));

const initArb: fc.Arbitrary<NegTokenInitFields> = fc.record(
  {
    mechTypes: fc.array(mechArb, { maxLength: 6 }),
    reqFlags: reqFlagsArb,
    mechToken: bytesArb(400),
    negHints: fc.record({ hintName: latin1Arb, hintAddress: bytesArb(20) }, { requiredKeys: [] }),
    mechListMIC: bytesArb(40),
  },
  { requiredKeys: ['mechTypes'] },
);

const respArb: fc.Arbitrary<NegTokenResp> = fc.record(
  {
    negState: fc.constantFrom<NegState>(0, 1, 2, 3),
    supportedMech: mechArb,
    responseToken: bytesArb(700),
    mechListMIC: bytesArb(40),
  },
  { requiredKeys: [] },
);

/** Set, insert, delete or duplicate bytes of a valid token, or cut it. */
const mutatedArb = fc
  .tuple(
    fc.constantFrom(...ALL_VECTORS.map(([, v]) => v)),
    fc.array(
      fc.tuple(fc.constantFrom('set', 'insert', 'delete', 'dup', 'cut'), fc.nat(), fc.integer({ min: 0, max: 255 })),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([base, edits]) => {
    const b = [...base];
    for (const [op, at, value] of edits) {
      const i = b.length === 0 ? 0 : at % b.length;
      if (op === 'set') b[i] = value;
      else if (op === 'insert') b.splice(i, 0, value);
      else if (op === 'delete') b.splice(i, 1);
      else if (op === 'dup') b.splice(i, 0, ...b.slice(i, i + (value % 8) + 1));
      else b.length = i;
    }
    return Buffer.from(b);
  });

describe('properties', () => {
  it('random bytes never raise anything but SpnegoError', () => {
    const heads = fc.constantFrom('', '60', 'a0', 'a1', '6081', 'a130', '60 06 06 2b 06 01 05 05 02 a0');
    fc.assert(
      fc.property(heads, bytesArb(300), (head, tail) => {
        onlySpnegoErrors(() => decodeNegotiationToken(Buffer.concat([hex(head), tail])));
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated valid tokens never raise anything but SpnegoError, and what decodes re-encodes stably', () => {
    fc.assert(
      fc.property(mutatedArb, (buf) => {
        let decoded;
        try {
          decoded = decodeNegotiationToken(buf);
        } catch (e) {
          if (e instanceof SpnegoError) return;
          throw e;
        }
        const again = decodeNegotiationToken(reencode(buf));
        expect(again).toEqual(decoded);
      }),
      { numRuns: 3000 },
    );
  });

  it('random NegTokenInit values round-trip', () => {
    fc.assert(
      fc.property(initArb, (t) => {
        const der = encodeNegTokenInit(t);
        const back = decodeInit(der);
        expect(back).toEqual({ ...t, mechTypesDer: encodeMechTypeList(t.mechTypes) });
        expect(encodeNegTokenInit(back)).toEqual(der);
      }),
      { numRuns: 500 },
    );
  });

  it('random NegTokenResp values round-trip', () => {
    fc.assert(
      fc.property(respArb, (t) => {
        const der = encodeNegTokenResp(t);
        expect(decodeResp(der)).toEqual(t);
        expect(encodeNegTokenResp(decodeResp(der))).toEqual(der);
      }),
      { numRuns: 500 },
    );
  });

  it('random object identifiers round-trip through their DER', () => {
    fc.assert(
      fc.property(oidArb, (oid) => {
        const el = new DerReader(encodeOid(oid)).expect(TAG.OBJECT_IDENTIFIER, 'oid');
        expect(decodeOid(el.content)).toBe(oid);
      }),
      { numRuns: 1000 },
    );
  });
});
