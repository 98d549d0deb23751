import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BindNakError, RpcClient, syntaxOf } from '../../src/client/rpc-client.js';
import { AUTH_LEVEL, BIND_NAK_REASON, FAULT } from '../../src/dcerpc/constants.js';
import { AuthorizationPolicy } from '../../src/security/policy.js';
import { NTLMSSP_NEGOTIATE as F } from '../../src/security/ntlm/constants.js';
import { SpnegoRpcClientContext } from '../../src/security/spnego/rpc.js';
import { OID_KRB5, OID_MS_KRB5, OID_NEGOEX, OID_NTLMSSP, decodeNegotiationToken } from '../../src/security/spnego/tokens.js';
import { echo, echoServer } from '../helpers/echo.js';
import { ADMIN, USER, ntlm, testSecurity } from '../helpers/security.js';
import { randomBytes } from 'node:crypto';
import { RawRpcClient } from '../helpers/raw-client.js';

const { sec, events } = testSecurity();
// The echo interface needs packet integrity here, so the policy has something to refuse.
const policy = new AuthorizationPolicy().set(echo.uuid, { minLevel: AUTH_LEVEL.pkt_integrity, admin: false });
let server: Awaited<ReturnType<typeof echoServer>>;
beforeAll(async () => {
  server = await echoServer({}, { security: sec, authorize: policy.authorize });
});
afterAll(() => server.close());

const open = () => RawRpcClient.connect(server.host, server.port);

describe('NTLM over DCE/RPC with our client', () => {
  for (const [name, level] of [
    ['integrity', AUTH_LEVEL.pkt_integrity],
    ['privacy', AUTH_LEVEL.pkt_privacy],
  ] as const) {
    test(`NTLM at ${name}: calls of every size, both directions protected`, async () => {
      const c = await open();
      await c.bindInterface(echo, { auth: { ctx: ntlm(), level } });
      expect((await c.call(0, echo.methods.add, { a: 2, b: 3 })).sum).toBe(5);
      const data = randomBytes(200_000);
      const r = await c.call(0, echo.methods.echo, { len: data.length, data });
      expect(r.data.equals(data)).toBe(true);
      expect(c.stats.fragments).toBeGreaterThan(30);
      await c.close();
    });
  }

  test('call and packet levels are accepted and every PDU is signed', async () => {
    const loose = new AuthorizationPolicy();
    const s2 = await echoServer({}, { security: sec, authorize: loose.authorize });
    for (const level of [AUTH_LEVEL.call, AUTH_LEVEL.pkt]) {
      const c = await RawRpcClient.connect(s2.host, s2.port);
      await c.bindInterface(echo, { auth: { ctx: ntlm(), level } });
      expect(await c.call(0, echo.methods.caller, {})).toEqual({ user: 'alice', level });
      let signed = false;
      await c.call(0, echo.methods.add, { a: 1, b: 2 }, { onFragment: (p) => void (signed = p.readUInt16LE(10) === 16) });
      expect(signed).toBe(true);
      await c.close();
    }
    await s2.close();
  });

  test('SPNEGO with NTLM at privacy, mechListMIC both ways', async () => {
    const c = await open();
    await c.bindInterface(echo, { auth: { ctx: new SpnegoRpcClientContext(ADMIN), level: AUTH_LEVEL.pkt_privacy } });
    expect((await c.call(0, echo.methods.add, { a: 40, b: 2 })).sum).toBe(42);
    await c.close();
  });

  test('SPNEGO as a domain-joined Windows client: Kerberos first with an optimistic token, NTLM chosen in three legs, then signed and sealed calls', async () => {
    const WINDOWS_MECHS = [OID_MS_KRB5, OID_KRB5, OID_NEGOEX, OID_NTLMSSP];
    // The GSS-API framing of a Kerberos AP-REQ: the server cannot use it and must not try.
    const optimisticToken = Buffer.from('6011060906' + '2a864886f712010202' + '0100' + '6e00', 'hex');
    for (const level of [AUTH_LEVEL.pkt_integrity, AUTH_LEVEL.pkt_privacy]) {
      const c = await open();
      const legs: string[] = [];
      const ctx = new SpnegoRpcClientContext(ADMIN, { mechTypes: WINDOWS_MECHS, optimisticToken });
      const step = ctx.step.bind(ctx);
      ctx.step = (input) => {
        if (input) {
          const t = decodeNegotiationToken(input);
          if (t.kind === 'resp') legs.push(`${t.token.negState}:${t.token.supportedMech ?? '-'}:${t.token.responseToken ? 'token' : '-'}:${t.token.mechListMIC ? 'mic' : '-'}`);
        }
        return step(input);
      };
      await c.bindInterface(echo, { auth: { ctx, level } });
      // accept-incomplete naming NTLMSSP with no token, then the CHALLENGE, then accept-completed with our MIC.
      expect(legs).toEqual([`1:${OID_NTLMSSP}:-:-`, '1:-:token:-', '0:-:-:mic']);
      expect((await c.call(0, echo.methods.add, { a: 40, b: 2 })).sum).toBe(42);
      expect(await c.call(0, echo.methods.caller, {})).toEqual({ user: 'alice', level });
      await c.close();
    }
  });

  test('NTLM chosen though not first: the mechListMIC is required (RFC 4178 section 5), even from a client whose NTLM has no MIC', async () => {
    // The same client with NTLM first is accepted without one (nothing asks for it then).
    const ok = await open();
    await ok.bindInterface(echo, { auth: { ctx: new SpnegoRpcClientContext(ADMIN, { sendMic: false, ntlm: { noMic: true } }), level: AUTH_LEVEL.pkt_integrity } });
    expect((await ok.call(0, echo.methods.add, { a: 1, b: 1 })).sum).toBe(2);
    await ok.close();

    const c = await open();
    const ctx = new SpnegoRpcClientContext(ADMIN, { mechTypes: [OID_MS_KRB5, OID_NTLMSSP], optimisticToken: Buffer.from([0x60, 0]), sendMic: false, ntlm: { noMic: true } });
    // The last leg is an alter_context: refused with access denied, then the connection closes.
    await expect(c.bindInterface(echo, { auth: { ctx, level: AUTH_LEVEL.pkt_integrity } })).rejects.toMatchObject({ status: FAULT.access_denied });
    expect(events.at(-1)).toMatchObject({ outcome: 'failure', reason: 'mechListMIC missing' });
    await c.close();
  });

  test('SPNEGO offering only Kerberos gets the SPNEGO rejection, not a hang', async () => {
    const c = await open();
    const e = await c
      .bindInterface(echo, { auth: { ctx: new SpnegoRpcClientContext(ADMIN, { mechTypes: [OID_MS_KRB5, OID_KRB5] }), level: AUTH_LEVEL.pkt_integrity } })
      .catch((x) => x);
    expect(String(e)).toMatch(/SPNEGO rejected/);
    await c.close();
  });

  test('connect level: authenticated once, calls below integrity are refused by the policy', async () => {
    const c = await open();
    await c.bindInterface(echo, { auth: { ctx: ntlm(), level: AUTH_LEVEL.connect } });
    const e = await c.call(0, echo.methods.add, { a: 1, b: 1 }).catch((x) => x);
    expect(e.status).toBe(FAULT.access_denied);
    await c.close();
  });

  test('wrong password and unknown user are refused at the bind, whatever domain they name', async () => {
    for (const creds of [
      { ...ADMIN, password: 'wrong' },
      { ...ADMIN, user: 'mallory' },
      { ...ADMIN, password: 'wrong', domain: 'WORKGROUP' },
      { ...ADMIN, user: 'mallory', domain: 'CONTOSO' },
    ]) {
      const c = await open();
      const before = events.length;
      await c.bindInterface(echo, { auth: { ctx: ntlm(creds), level: AUTH_LEVEL.pkt_integrity } });
      // The failure shows on the first request: access denied, then the connection closes.
      const e = await c.call(0, echo.methods.add, { a: 1, b: 1 }).catch((x) => x);
      expect(e.status).toBe(FAULT.access_denied);
      await c.closedPromise;
      expect(events.slice(before).some((ev) => ev.outcome === 'failure')).toBe(true);
    }
  });

  test('local accounts authenticate with the NetBIOS name, the DNS name, ".", no domain, and a domain the host does not know', async () => {
    for (const domain of ['FILESRV01', 'filesrv01.lab.local', '.', '', 'WORKGROUP', 'CONTOSO']) {
      const c = await open();
      await c.bindInterface(echo, { auth: { ctx: ntlm({ ...USER, domain }), level: AUTH_LEVEL.pkt_integrity } });
      expect((await c.call(0, echo.methods.add, { a: 1, b: 1 })).sum).toBe(2);
      // The audit keeps the domain as the client gave it.
      expect(events.at(-1)).toMatchObject({ outcome: 'success', user: USER.user, domain });
      await c.close();
    }
  });

  test('a client negotiating away signing cannot have integrity', async () => {
    const c = await open();
    const flags = F.UNICODE | F.NTLM | F.EXTENDED_SESSIONSECURITY | F.TARGET_INFO | F.N128 | F.KEY_EXCH;
    await c.bindInterface(echo, { auth: { ctx: ntlm(ADMIN, flags), level: AUTH_LEVEL.pkt_integrity } }).catch(() => {});
    const e = await c.request(0, echo.methods.add.opnum, Buffer.alloc(8)).catch((x) => x);
    expect(e).toBeTruthy();
    await c.closedPromise;
    expect(events.at(-1)).toMatchObject({ outcome: 'failure', reason: expect.stringMatching(/cannot protect/) });
  });

  test('an AUTHENTICATE whose MIC does not match is refused', async () => {
    const c = await open();
    await c.bindInterface(echo, { auth: { ctx: ntlm(ADMIN, undefined, { corruptMic: true }), level: AUTH_LEVEL.pkt_integrity } });
    const e = await c.call(0, echo.methods.add, { a: 1, b: 1 }).catch((x) => x);
    expect(e.status).toBe(FAULT.access_denied);
    expect(events.at(-1)).toMatchObject({ outcome: 'failure', reason: 'MIC mismatch', user: 'alice' });
  });

  test('an unknown auth type and an invalid level get bind_nak', async () => {
    const c = await open();
    const fake = { ...ntlm(), authType: 16 } as any;
    const e = await c.bindInterface(echo, { auth: { ctx: Object.assign(ntlm(), { authType: 16 }), level: AUTH_LEVEL.pkt_integrity } }).catch((x) => x);
    void fake;
    expect(e).toBeInstanceOf(BindNakError);
    expect(e.reason).toBe(BIND_NAK_REASON.authentication_type_not_recognized);
  });

  test('unauthenticated callers still reach what the policy leaves open', async () => {
    const c = await open();
    await c.bind([{ contextId: 0, abstractSyntax: syntaxOf(echo) }]);
    const e = await c.call(0, echo.methods.add, { a: 1, b: 1 }).catch((x) => x);
    expect(e.status).toBe(FAULT.access_denied);
    await c.close();
  });
});

describe('security contexts on one connection', () => {
  test('a second auth context added by alter_context is kept apart from the first', async () => {
    const c = await open();
    await c.bindInterface(echo, { auth: { ctx: ntlm(ADMIN), level: AUTH_LEVEL.pkt_integrity, contextId: 1 } });
    const first = c.auth!;
    expect(await c.call(0, echo.methods.caller, {})).toEqual({ user: 'alice', level: AUTH_LEVEL.pkt_integrity });
    // A second context, for another user at another level, on the same connection.
    const second = ntlm(USER);
    const { encodeBind, encodeAuth3 } = await import('../../src/dcerpc/pdu/serializer.js');
    const verifier = (token: Buffer) => ({ authType: 10, authLevel: AUTH_LEVEL.pkt_privacy, authContextId: 2, authValue: token, padTo: 4 });
    c.sendRaw(
      encodeBind('alter_context', { callId: 90, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0, contexts: [{ contextId: 0, abstractSyntax: syntaxOf(echo) , transferSyntaxes: [{ uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 }] }] }, verifier(second.step(undefined).token!)),
    );
    const resp = await c.nextPdu();
    expect(resp).toMatchObject({ type: 'alter_context_resp' });
    c.sendRaw(encodeAuth3(90, verifier(second.step(resp!.auth!.authValue).token!)));
    c.auth = { ctx: second, level: AUTH_LEVEL.pkt_privacy, contextId: 2 };
    expect(await c.call(0, echo.methods.caller, {})).toEqual({ user: 'bob', level: AUTH_LEVEL.pkt_privacy });
    // Back to the first: its own keys and sequence numbers carry on untouched.
    c.auth = first;
    expect(await c.call(0, echo.methods.caller, {})).toEqual({ user: 'alice', level: AUTH_LEVEL.pkt_integrity });
    c.auth = { ctx: second, level: AUTH_LEVEL.pkt_privacy, contextId: 2 };
    expect(await c.call(0, echo.methods.caller, {})).toEqual({ user: 'bob', level: AUTH_LEVEL.pkt_privacy });
    await c.close();
  });

  test('PFC_SUPPORT_HEADER_SIGN is echoed in bind_ack; the header is always inside the signature', async () => {
    const c = await open();
    const { encodeBind } = await import('../../src/dcerpc/pdu/serializer.js');
    const ctx = ntlm();
    c.sendRaw(
      encodeBind(
        'bind',
        { callId: 1, flags: 0x07, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0, contexts: [{ contextId: 0, abstractSyntax: syntaxOf(echo), transferSyntaxes: [{ uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 }] }] },
        { authType: 10, authLevel: AUTH_LEVEL.pkt_integrity, authContextId: 1, authValue: ctx.step(undefined).token!, padTo: 4 },
      ),
    );
    const ack = await c.nextPdu();
    expect(ack!.header.flags & 0x04).toBe(0x04);
    await c.close();
  });
});

describe('attacks', () => {
  const bound = async (level: number) => {
    const c = await open();
    await c.bindInterface(echo, { auth: { ctx: ntlm(), level } });
    return c;
  };
  const args = Buffer.from('0100000002000000', 'hex');

  test('one flipped bit in a signed request: access denied, close; others keep being served', async () => {
    const witness = await bound(AUTH_LEVEL.pkt_integrity);
    for (const at of [2, 20, 26, 33]) {
      const c = await bound(AUTH_LEVEL.pkt_integrity);
      const e = await c.request(0, echo.methods.add.opnum, args, { onFragment: (p) => void (p[at]! ^= 0x01) }).catch((x) => x);
      // A bit flipped in the header may make the PDU unreadable instead: a fault or a close either way.
      expect(e).toBeTruthy();
      await c.closedPromise;
      expect((await witness.call(0, echo.methods.add, { a: 1, b: 2 })).sum).toBe(3);
    }
    const c = await bound(AUTH_LEVEL.pkt_integrity);
    const e = await c.request(0, echo.methods.add.opnum, args, { onFragment: (p) => void (p[p.length - 20]! ^= 0x80) }).catch((x) => x);
    expect(e.status).toBe(FAULT.access_denied);
    await witness.close();
  });

  test('a changed byte in a sealed stub: access denied', async () => {
    const c = await bound(AUTH_LEVEL.pkt_privacy);
    const e = await c.request(0, echo.methods.add.opnum, args, { onFragment: (p) => void (p[25]! ^= 0xff) }).catch((x) => x);
    expect(e.status).toBe(FAULT.access_denied);
    await c.closedPromise;
  });

  test('a signed request replayed on another connection, or on its own, is refused', async () => {
    const a = await bound(AUTH_LEVEL.pkt_integrity);
    let captured: Buffer | undefined;
    await a.request(0, echo.methods.add.opnum, args, { onFragment: (p) => void (captured = Buffer.from(p)) });
    // Another connection, bound with its own NTLM session, sees a foreign signature.
    const b = await bound(AUTH_LEVEL.pkt_integrity);
    b.sendRaw(captured!);
    expect(await b.nextPdu()).toMatchObject({ type: 'fault', status: FAULT.access_denied });
    await b.closedPromise;
    // Its own connection has moved on to the next sequence number.
    a.sendRaw(captured!);
    expect(await a.nextPdu()).toMatchObject({ type: 'fault', status: FAULT.access_denied });
    await a.closedPromise;
  });

  test('a request without a verifier on an integrity connection, or naming another context, is refused', async () => {
    const c = await bound(AUTH_LEVEL.pkt_integrity);
    const { encodeRequest } = await import('../../src/dcerpc/pdu/serializer.js');
    c.sendRaw(encodeRequest({ callId: 77, flags: 3, allocHint: 8, contextId: 0, opnum: 1, stub: args }, { authType: 10, authLevel: 5, authContextId: 9, authValue: Buffer.alloc(16), padTo: 16 }));
    expect(await c.nextPdu()).toMatchObject({ type: 'fault', status: FAULT.access_denied });
    await c.closedPromise;
  });

  test('1,000 failed logins in a row; a valid client is served meanwhile', async () => {
    const witness = await bound(AUTH_LEVEL.pkt_privacy);
    const bad = { ...ADMIN, password: 'not-it' };
    let failures = 0;
    const N = 1000;
    let next = 0;
    const worker = async () => {
      while (next < N) {
        const i = ++next;
        const c = await open();
        await c.bindInterface(echo, { auth: { ctx: ntlm(bad), level: AUTH_LEVEL.pkt_integrity } });
        const e = await c.call(0, echo.methods.add, { a: 1, b: 1 }).catch((x) => x);
        if (e.status === FAULT.access_denied) failures++;
        await c.closedPromise;
        if (i % 100 === 0) expect((await witness.call(0, echo.methods.add, { a: i, b: 1 })).sum).toBe(i + 1);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(failures).toBe(N);
    expect((await witness.call(0, echo.methods.add, { a: 5, b: 5 })).sum).toBe(10);
    await witness.close();
  }, 120_000);
});
