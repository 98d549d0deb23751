/**
 * The verification trailer (MS-RPCE 2.2.2.13): its codec on byte vectors (one of them sent by
 * Samba's client), the search a server does for it, and the checks over TCP: our client
 * appends one as Windows does, the server checks it, faults a mismatch with access denied,
 * and hands the method the stub without it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RpcClient, syntaxOf } from '../../src/client/rpc-client.js';
import { AUTH_LEVEL, FAULT, NDR20_SYNTAX } from '../../src/dcerpc/constants.js';
import {
  CLIENT_SUPPORT_HEADER_SIGNING,
  SEC_VT_COMMAND,
  SEC_VT_SEARCH_WINDOW,
  checkVerificationTrailer,
  encodeVerificationTrailer,
  findVerificationTrailer,
  header2Of,
  type SecVtCommand,
  type SecVtExpected,
} from '../../src/dcerpc/pdu/verification-trailer.js';
import { epm } from '../../src/interfaces/epm/idl.js';
import { echo, echoServer } from '../helpers/echo.js';
import { ntlm, testSecurity } from '../helpers/security.js';
import { RawRpcClient } from '../helpers/raw-client.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const EPM = syntaxOf(epm);
const NDR20 = { ...NDR20_SYNTAX };

/**
 * The stub of an ept_lookup (opnum 2, call 2, context 0) that smbtorture sent at
 * [sign,spnego]: 40 octets of arguments, then BITMASK_1 claiming header signing and PCONTEXT
 * marked END, as captured from the wire.
 */
const SAMBA_EPT_LOOKUP_STUB = hex(`
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 0a000000
  8ae31371 02f43671
  0100 0400 01000000
  0240 2800 0883afe1 1f5dc911 91a40800 2b14a0fa 03000000 045d888a eb1cc911 9fe80800 2b104860 02000000`);

describe('codec', () => {
  test("Samba's trailer: found after the 40 octets of arguments, both commands read", () => {
    const vt = findVerificationTrailer(SAMBA_EPT_LOOKUP_STUB)!;
    expect(vt.offset).toBe(40);
    expect(vt.commands).toEqual([
      { command: SEC_VT_COMMAND.BITMASK_1, mustProcess: false, bits: CLIENT_SUPPORT_HEADER_SIGNING },
      { command: SEC_VT_COMMAND.PCONTEXT, mustProcess: false, interfaceId: EPM, transferSyntax: NDR20 },
    ]);
    // Our encoder writes the same octets from the same commands.
    expect(Buffer.concat([SAMBA_EPT_LOOKUP_STUB.subarray(0, 40), encodeVerificationTrailer(40, vt.commands)])).toEqual(SAMBA_EPT_LOOKUP_STUB);
  });

  test('encoding: zero pad to 4, the signature, commands with END on the last and MUST_PROCESS where asked', () => {
    const commands: SecVtCommand[] = [
      { command: SEC_VT_COMMAND.BITMASK_1, mustProcess: false, bits: 0 },
      { command: SEC_VT_COMMAND.HEADER2, mustProcess: true, ...header2Of({ drep: 0x10, callId: 7, contextId: 1, opnum: 3 }) },
    ];
    expect(encodeVerificationTrailer(6, commands)).toEqual(
      hex(`0000 8ae3137102f43671
           0100 0400 00000000
           03c0 1000 00000000 10000000 07000000 0100 0300`),
    );
    expect(encodeVerificationTrailer(8, commands).subarray(0, 8)).toEqual(hex('8ae3137102f43671'));
    expect(() => encodeVerificationTrailer(0, [])).toThrow(RangeError);
  });

  test('round trip for any commands and stub length; unknown commands keep their octets', () => {
    const syntax = fc.record({ uuid: fc.uuid(), major: fc.integer({ min: 0, max: 0xffff }), minor: fc.integer({ min: 0, max: 0xffff }) });
    const cmd: fc.Arbitrary<SecVtCommand> = fc.oneof(
      fc.record({ command: fc.constant(SEC_VT_COMMAND.BITMASK_1), mustProcess: fc.boolean(), bits: fc.nat() }),
      fc.record({ command: fc.constant(SEC_VT_COMMAND.PCONTEXT), mustProcess: fc.boolean(), interfaceId: syntax, transferSyntax: syntax }),
      fc.record({
        command: fc.constant(SEC_VT_COMMAND.HEADER2),
        mustProcess: fc.boolean(),
        ptype: fc.constant(0),
        drep: fc.constant(0x10),
        callId: fc.nat(),
        contextId: fc.integer({ min: 0, max: 0xffff }),
        opnum: fc.integer({ min: 0, max: 0xffff }),
      }),
      fc.record({ command: fc.integer({ min: 4, max: 0x3fff }), mustProcess: fc.boolean(), data: fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a)) }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(cmd, { minLength: 1, maxLength: 5 }), (args, commands) => {
        // Arguments that contain no signature of their own.
        const stub = Buffer.from(args).fill(0x11);
        const vt = findVerificationTrailer(Buffer.concat([stub, encodeVerificationTrailer(stub.length, commands)]));
        expect(vt?.offset).toBe((stub.length + 3) & ~3);
        expect(vt?.commands).toEqual(commands);
      }),
    );
  });

  test('up to 16 octets of padding after the last command are allowed, more are not a trailer', () => {
    const t = Buffer.concat([Buffer.alloc(8, 1), encodeVerificationTrailer(8, [{ command: 1, mustProcess: false, bits: 0 }])]);
    expect(findVerificationTrailer(Buffer.concat([t, Buffer.alloc(16)]))?.offset).toBe(8);
    expect(findVerificationTrailer(Buffer.concat([t, Buffer.alloc(17)]))).toBeUndefined();
  });

  test('not a trailer: no signature, a signature off the 4-octet grid, no END, a command running past the end, a known command of the wrong size', () => {
    const sig = '8ae3137102f43671';
    expect(findVerificationTrailer(Buffer.alloc(64))).toBeUndefined();
    expect(findVerificationTrailer(Buffer.alloc(3))).toBeUndefined();
    expect(findVerificationTrailer(hex(`00 ${sig} 0140 0400 00000000 000000`))).toBeUndefined(); // at offset 1
    expect(findVerificationTrailer(hex(`${sig} 0100 0400 00000000`))).toBeUndefined(); // no END
    expect(findVerificationTrailer(hex(`${sig} 0140 0800 00000000`))).toBeUndefined(); // 8 announced, 4 there
    expect(findVerificationTrailer(hex(`${sig} 0140 0800 00000000 00000000`))).toBeUndefined(); // BITMASK_1 of 8
    expect(findVerificationTrailer(hex(`${sig} 0140 0400 00000000`))?.offset).toBe(0);
  });

  test('the signature is searched in the last 1024 octets only, at 4-aligned offsets', () => {
    const t = encodeVerificationTrailer(0, [{ command: 1, mustProcess: false, bits: 0 }]);
    const within = Buffer.concat([Buffer.alloc(4), t]);
    expect(findVerificationTrailer(within)?.offset).toBe(4);
    // A trailer followed by more than the window of other octets is stub data.
    const far = Buffer.concat([t, Buffer.alloc(SEC_VT_SEARCH_WINDOW + 64)]);
    expect(findVerificationTrailer(far)).toBeUndefined();
  });

  test("a big-endian PCONTEXT: if_version is one u32 (major in the low half), as Samba's ndr_syntax_id reads it", () => {
    const sig = '8ae3137102f43671';
    // e1af8308-5d1f-11c9-91a4-08002b14a0fa version 3.1, NDR20 2.0, all big-endian.
    const vt = findVerificationTrailer(
      hex(`${sig} 4002 0028 e1af8308 5d1f 11c9 91a408002b14a0fa 00010003 8a885d04 1ceb 11c9 9fe808002b104860 00000002`),
      false,
    )!;
    expect(vt.commands).toEqual([
      {
        command: SEC_VT_COMMAND.PCONTEXT,
        mustProcess: false,
        interfaceId: { ...EPM, minor: 1 },
        transferSyntax: NDR20,
      },
    ]);
  });

  test('a big-endian call carries a big-endian trailer; drep octets stand as sent', () => {
    const sig = '8ae3137102f43671';
    const vt = findVerificationTrailer(hex(`${sig} 4003 0010 00000000 00000000 00000007 0001 0003`), false)!;
    expect(vt.commands).toEqual([{ command: SEC_VT_COMMAND.HEADER2, mustProcess: false, ptype: 0, drep: 0, callId: 7, contextId: 1, opnum: 3 }]);
  });
});

describe('checks', () => {
  const want: SecVtExpected = {
    headerSigning: false,
    interfaceId: EPM,
    transferSyntax: NDR20,
    header2: header2Of({ drep: 0x10, callId: 2, contextId: 0, opnum: 2 }),
  };
  const pctx: SecVtCommand = { command: SEC_VT_COMMAND.PCONTEXT, mustProcess: false, interfaceId: EPM, transferSyntax: NDR20 };
  const hdr2: SecVtCommand = { command: SEC_VT_COMMAND.HEADER2, mustProcess: false, ...want.header2 };
  const check = (commands: SecVtCommand[], w: Partial<SecVtExpected> = {}) => checkVerificationTrailer({ offset: 0, commands }, { ...want, ...w });

  test("Samba's trailer passes when its bind offered header signing, and fails when it did not (a downgrade)", () => {
    const vt = findVerificationTrailer(SAMBA_EPT_LOOKUP_STUB)!;
    expect(checkVerificationTrailer(vt, { ...want, headerSigning: true })).toBeUndefined();
    expect(checkVerificationTrailer(vt, want)).toMatch(/header signing/);
  });

  test('PCONTEXT and HEADER2 must match the call; each field counts', () => {
    expect(check([pctx, hdr2])).toBeUndefined();
    expect(check([{ ...pctx, interfaceId: { ...EPM, minor: 1 } } as SecVtCommand])).toMatch(/interface/);
    expect(check([{ ...pctx, transferSyntax: { ...NDR20, major: 1 } } as SecVtCommand])).toMatch(/transfer syntax/);
    for (const k of ['ptype', 'drep', 'callId', 'contextId', 'opnum'] as const) {
      expect(check([{ ...hdr2, [k]: (hdr2 as any)[k] + 1 } as SecVtCommand]), k).toMatch(/HEADER2/);
    }
  });

  test('a command twice fails; unknown commands pass unless marked must-process or of a length not a multiple of 4', () => {
    expect(check([pctx, pctx])).toMatch(/repeated/);
    expect(check([{ command: 9, mustProcess: false, data: Buffer.alloc(8) }])).toBeUndefined();
    expect(check([{ command: 9, mustProcess: true, data: Buffer.alloc(8) }])).toMatch(/must-process/);
    expect(check([{ command: 9, mustProcess: false, data: Buffer.alloc(6) }])).toMatch(/length/);
  });
});

describe('over TCP', () => {
  const { sec } = testSecurity();
  let server: Awaited<ReturnType<typeof echoServer>>;
  beforeAll(async () => {
    server = await echoServer({}, { security: sec });
  });
  afterAll(() => server.close());

  async function signed(): Promise<RawRpcClient> {
    const c = await RawRpcClient.connect(server.host, server.port);
    await c.bindInterface(echo, { auth: { ctx: ntlm(), level: AUTH_LEVEL.pkt_integrity } });
    return c;
  }
  const data = Buffer.from('twelve bytes');
  const args = { len: data.length, data };

  test('our client appends PCONTEXT and HEADER2 by default; the method sees the stub without them', async () => {
    const c = await signed();
    const sent: Buffer[] = [];
    const r = await c.call(0, echo.methods.stubSize, args, { onFragment: (p) => sent.push(Buffer.from(p)) });
    // 4 (len) + 4 (conformance) + 12 octets of arguments; the trailer was on the wire.
    expect(r.stubLength).toBe(20);
    expect(sent[0]!.includes(hex('8ae3137102f43671'))).toBe(true);
    expect((await c.call(0, echo.methods.stubSize, args, { trailer: 'none' })).stubLength).toBe(20);
    await c.close();
  });

  test('a mismatched trailer is refused with access denied; the connection stays usable', async () => {
    const c = await signed();
    const call = (trailer: SecVtCommand[]) => c.call(0, echo.methods.stubSize, args, { trailer });
    const bad: SecVtCommand[][] = [
      [{ command: SEC_VT_COMMAND.PCONTEXT, mustProcess: false, interfaceId: EPM, transferSyntax: NDR20 }],
      [{ command: SEC_VT_COMMAND.HEADER2, mustProcess: false, ...header2Of({ drep: 0x10, callId: 999, contextId: 0, opnum: 5 }) }],
      [{ command: SEC_VT_COMMAND.BITMASK_1, mustProcess: false, bits: CLIENT_SUPPORT_HEADER_SIGNING }],
      [{ command: 77, mustProcess: true, data: Buffer.alloc(4) }],
    ];
    for (const t of bad) await expect(call(t), JSON.stringify(t)).rejects.toMatchObject({ status: FAULT.access_denied });
    // A right PCONTEXT of our own choosing passes, and the default trailer still works after the refusals.
    expect((await call([{ command: SEC_VT_COMMAND.PCONTEXT, mustProcess: true, interfaceId: syntaxOf(echo), transferSyntax: NDR20 }])).stubLength).toBe(20);
    expect((await c.call(0, echo.methods.add, { a: 2, b: 3 })).sum).toBe(5);
    await c.close();
  });

  test('an unauthenticated call is checked too (Samba checks every request)', async () => {
    const c = await RawRpcClient.connect(server.host, server.port);
    await c.bindInterface(echo);
    const wrong: SecVtCommand[] = [{ command: SEC_VT_COMMAND.PCONTEXT, mustProcess: false, interfaceId: EPM, transferSyntax: NDR20 }];
    await expect(c.call(0, echo.methods.stubSize, args, { trailer: wrong })).rejects.toMatchObject({ status: FAULT.access_denied });
    const right: SecVtCommand[] = [{ command: SEC_VT_COMMAND.PCONTEXT, mustProcess: false, interfaceId: syntaxOf(echo), transferSyntax: NDR20 }];
    expect((await c.call(0, echo.methods.stubSize, args, { trailer: right })).stubLength).toBe(20);
    await c.close();
  });
});
