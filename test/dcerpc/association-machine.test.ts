/**
 * The server's association machine driven without sockets: bytes in, PDUs out. Binds and
 * alter_contexts, every authentication path (NTLM in three legs, SPNEGO in four, SPNEGO
 * after a Kerberos first choice in five, connect level, anonymous, a failed leg), fragment
 * orders, faults, and the same conversation fed in any cut of its bytes.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AssociationGroups } from '../../src/dcerpc/association.js';
import type { ClientSecurityContext } from '../../src/dcerpc/auth.js';
import { AUTH_LEVEL, BIND_NAK_REASON, FAULT, NDR20_SYNTAX, PFC, RESULT } from '../../src/dcerpc/constants.js';
import { parsePdu } from '../../src/dcerpc/pdu/parser.js';
import { encodeAuth3, encodeBind, encodeRequest, type OutAuth } from '../../src/dcerpc/pdu/serializer.js';
import type { Pdu } from '../../src/dcerpc/pdu/types.js';
import { encodeFragments, verifyFragment } from '../../src/dcerpc/protection.js';
import { InterfaceRegistry, implement } from '../../src/dcerpc/registry.js';
import { ServerAssociation, type ConnectionHost } from '../../src/dcerpc/server-association.js';
import { DEFAULT_RPC_SETTINGS, type RpcSettings } from '../../src/dcerpc/settings.js';
import { ndrDecode, ndrEncode } from '../../src/ndr/index.js';
import { silentLogger } from '../../src/log.js';
import { SpnegoRpcClientContext } from '../../src/security/spnego/rpc.js';
import { OID_KRB5, OID_MS_KRB5, OID_NEGOEX, OID_NTLMSSP } from '../../src/security/spnego/tokens.js';
import { echo } from '../helpers/echo.js';
import { ADMIN, ntlm, testSecurity } from '../helpers/security.js';

const { sec, events } = testSecurity();

/** A machine with the echo interface, its output collected PDU by PDU. */
function machine(settings: Partial<RpcSettings> = {}) {
  const registry = new InterfaceRegistry().add(
    implement(echo, {
      echo: (a) => ({ len: a.len, data: a.data }),
      add: (a) => ({ sum: (a.a + a.b) >>> 0 }),
      slow: (a) => ({ tag: a.tag }),
      whoami: () => ({ object: '00000000-0000-0000-0000-000000000000' }),
      caller: (_a, call) => ({ user: call.auth ? call.auth.identity.user : null, level: call.auth?.level ?? 1 }),
      stubSize: (_a, call) => ({ stubLength: call.stubLength }),
    }),
  );
  const s = { ...DEFAULT_RPC_SETTINGS, ...settings };
  let closedByHost = false;
  const host: ConnectionHost = {
    settings: s,
    groups: new AssociationGroups(s.maxContextHandlesPerAssociation),
    log: silentLogger,
    stats: { callsIn: 0, callsOut: 0, pktsIn: 0, pktsOut: 0 },
    security: sec,
    connectionClosed: () => (closedByHost = true),
  };
  const out: Buffer[] = [];
  let ended = false;
  const m = new ServerAssociation(host, { name: 'test', registry }, { localAddress: '127.0.0.1', localPort: 135, remoteAddress: '127.0.0.1', remotePort: 50000 }, {
    write: (pdu) => out.push(pdu),
    end: () => (ended = true),
  });
  return {
    m,
    /** Feeds bytes and returns the PDUs the machine wrote in answer. */
    feed(...bufs: Buffer[]): Pdu[] {
      const from = out.length;
      for (const b of bufs) m.receive(b);
      return out.slice(from).map((b) => parsePdu(b));
    },
    out,
    get ended() {
      return ended;
    },
    get closedByHost() {
      return closedByHost;
    },
  };
}

const ECHO = { uuid: echo.uuid, major: echo.major, minor: echo.minor };
const NDR20 = { ...NDR20_SYNTAX };
const bindFields = (callId: number, contextId = 0, iface = ECHO) => ({
  callId,
  maxXmitFrag: 5840,
  maxRecvFrag: 5840,
  assocGroupId: 0,
  contexts: [{ contextId, abstractSyntax: iface, transferSyntaxes: [NDR20] }],
});
const verifier = (ctx: ClientSecurityContext, level: number, token: Buffer, id = 1): OutAuth => ({ authType: ctx.authType, authLevel: level, authContextId: id, authValue: token, padTo: 4 });
const addStub = (a: number, b: number) => ndrEncode(echo.methods.add.request, { a, b });

/** A request of `add`, protected with `ctx` at `level` when given; fragments of at most `maxFrag`. */
function addRequest(callId: number, a: number, b: number, auth?: { ctx: ClientSecurityContext; level: number; id?: number }, maxFrag = 5840) {
  const security = auth && auth.level >= AUTH_LEVEL.call ? { protection: auth.ctx, authType: auth.ctx.authType, level: auth.level, contextId: auth.id ?? 1 } : undefined;
  return encodeFragments(addStub(a, b), maxFrag, false, security, (f, v) =>
    encodeRequest({ callId, flags: f.flags, allocHint: f.allocHint, contextId: 0, opnum: echo.methods.add.opnum, stub: f.chunk }, v),
  );
}

function sumOf(p: Pdu, auth?: { ctx: ClientSecurityContext; level: number }): number {
  expect(p.type).toBe('response');
  if (p.type !== 'response') throw new Error(p.type);
  if (auth && auth.level >= AUTH_LEVEL.call) expect(verifyFragment(auth.ctx, auth.level, p)).toBe(true);
  return (ndrDecode(echo.methods.add.response, p.stub) as { sum: number }).sum;
}

describe('binds and alter_context', () => {
  test('bind: bind_ack with one result, the negotiated sizes, a new group and the port as secondary address; then calls', () => {
    const t = machine();
    const [ack] = t.feed(encodeBind('bind', { ...bindFields(1), maxXmitFrag: 4280, maxRecvFrag: 4280 }));
    expect(ack).toMatchObject({ type: 'bind_ack', maxXmitFrag: 4280, maxRecvFrag: 4280, secondaryAddress: '135', results: [{ result: RESULT.acceptance }] });
    expect(ack!.type === 'bind_ack' && ack.assocGroupId).toBeGreaterThan(0);
    const [r] = t.feed(...addRequest(2, 40, 2));
    expect(sumOf(r!)).toBe(42);
    expect(r!.header.callId).toBe(2);
  });

  test('alter_context adds a context; a second bind is refused and ends the association', () => {
    const t = machine();
    t.feed(encodeBind('bind', bindFields(1)));
    const [alt] = t.feed(encodeBind('alter_context', bindFields(2, 1)));
    expect(alt).toMatchObject({ type: 'alter_context_resp', results: [{ result: RESULT.acceptance }] });
    const [nak] = t.feed(encodeBind('bind', bindFields(3)));
    expect(nak).toMatchObject({ type: 'bind_nak', reason: BIND_NAK_REASON.reason_not_specified });
    expect(t.ended).toBe(true);
  });

  test('a request before any bind: bind_nak reason 4, then the end', () => {
    const t = machine();
    const [nak] = t.feed(...addRequest(1, 1, 1));
    expect(nak).toMatchObject({ type: 'bind_nak', reason: BIND_NAK_REASON.protocol_version_not_supported });
    expect(t.ended).toBe(true);
  });

  test('faults: unknown opnum and unknown context keep the association; the transport closing leaves the group', () => {
    const t = machine();
    t.feed(encodeBind('bind', bindFields(1)));
    const [op] = t.feed(encodeRequest({ callId: 2, flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, allocHint: 0, contextId: 0, opnum: 99, stub: Buffer.alloc(0) }));
    expect(op).toMatchObject({ type: 'fault', status: FAULT.nca_s_op_rng_error });
    expect(op!.header.flags & PFC.DID_NOT_EXECUTE).toBeTruthy();
    const [ctx] = t.feed(encodeRequest({ callId: 3, flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, allocHint: 0, contextId: 7, opnum: 1, stub: addStub(1, 1) }));
    expect(ctx).toMatchObject({ type: 'fault', status: FAULT.nca_s_unk_if, contextId: 0 });
    expect(t.ended).toBe(false);
    t.m.transportGone();
    expect(t.closedByHost).toBe(true);
  });
});

describe('authentication paths', () => {
  test('NTLM in three legs (bind, bind_ack, rpc_auth_3) at integrity and privacy: calls signed and sealed both ways', () => {
    for (const level of [AUTH_LEVEL.pkt_integrity, AUTH_LEVEL.pkt_privacy]) {
      const t = machine();
      const ctx = ntlm();
      const [ack] = t.feed(encodeBind('bind', bindFields(1), verifier(ctx, level, ctx.step(undefined).token!)));
      expect(ack!.type).toBe('bind_ack');
      const auth3 = ctx.step(ack!.auth!.authValue);
      expect(auth3.via).toBe('auth3');
      expect(t.feed(encodeAuth3(1, verifier(ctx, level, auth3.token!)))).toEqual([]);
      const [r] = t.feed(...addRequest(2, 20, 22, { ctx, level }));
      expect(sumOf(r!, { ctx, level })).toBe(42);
      expect(r!.auth).toMatchObject({ authLevel: level, authContextId: 1 });
    }
  });

  test('SPNEGO in four legs (bind, bind_ack, alter_context, alter_context_resp) at privacy', () => {
    const t = machine();
    const ctx = new SpnegoRpcClientContext(ADMIN);
    const level = AUTH_LEVEL.pkt_privacy;
    const [ack] = t.feed(encodeBind('bind', bindFields(1), verifier(ctx, level, ctx.step(undefined).token!)));
    const leg2 = ctx.step(ack!.auth!.authValue);
    expect(leg2.via).toBe('alter_context');
    const [resp] = t.feed(encodeBind('alter_context', bindFields(2), verifier(ctx, level, leg2.token!)));
    expect(resp!.type).toBe('alter_context_resp');
    expect(ctx.step(resp!.auth!.authValue).done).toBe(true);
    const [r] = t.feed(...addRequest(3, 1, 2, { ctx, level }));
    expect(sumOf(r!, { ctx, level })).toBe(3);
  });

  test('SPNEGO after a Kerberos first choice, in five legs: NTLM named with no token, then NEGOTIATE, AUTHENTICATE', () => {
    const t = machine();
    const ctx = new SpnegoRpcClientContext(ADMIN, { mechTypes: [OID_MS_KRB5, OID_KRB5, OID_NEGOEX, OID_NTLMSSP], optimisticToken: Buffer.from('6000', 'hex') });
    const level = AUTH_LEVEL.pkt_integrity;
    let pdus = t.feed(encodeBind('bind', bindFields(1), verifier(ctx, level, ctx.step(undefined).token!)));
    let callId = 2;
    let r = ctx.step(pdus[0]!.auth!.authValue);
    let legs = 2;
    while (r.token) {
      pdus = t.feed(encodeBind('alter_context', bindFields(callId++), verifier(ctx, level, r.token)));
      expect(pdus[0]!.type).toBe('alter_context_resp');
      r = ctx.step(pdus[0]!.auth!.authValue);
      legs += 2;
    }
    expect(r.done).toBe(true);
    expect(legs).toBe(6); // bind, ack, alter, resp, alter, resp: the last answer completes it
    const [res] = t.feed(...addRequest(callId, 5, 6, { ctx, level }));
    expect(sumOf(res!, { ctx, level })).toBe(11);
  });

  test('connect level: the connection is authenticated once; requests carry no verifier and are attributed to it', () => {
    const t = machine();
    const ctx = ntlm();
    const [ack] = t.feed(encodeBind('bind', bindFields(1), verifier(ctx, AUTH_LEVEL.connect, ctx.step(undefined).token!)));
    t.feed(encodeAuth3(1, verifier(ctx, AUTH_LEVEL.connect, ctx.step(ack!.auth!.authValue).token!)));
    const [r] = t.feed(encodeRequest({ callId: 2, flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, allocHint: 0, contextId: 0, opnum: echo.methods.caller.opnum, stub: Buffer.alloc(0) }));
    expect(r!.type).toBe('response');
    expect(ndrDecode(echo.methods.caller.response, (r as { stub: Buffer }).stub)).toEqual({ user: 'alice', level: AUTH_LEVEL.connect });
  });

  test('a wrong password: the failed rpc_auth_3 is answered at the next request, access denied, then the end', () => {
    const t = machine();
    const ctx = ntlm({ ...ADMIN, password: 'wrong' });
    const level = AUTH_LEVEL.pkt_integrity;
    const [ack] = t.feed(encodeBind('bind', bindFields(1), verifier(ctx, level, ctx.step(undefined).token!)));
    expect(t.feed(encodeAuth3(1, verifier(ctx, level, ctx.step(ack!.auth!.authValue).token!)))).toEqual([]);
    const [f] = t.feed(...addRequest(2, 1, 1, { ctx, level }));
    expect(f).toMatchObject({ type: 'fault', status: FAULT.access_denied });
    expect(t.ended).toBe(true);
    expect(events.at(-1)).toMatchObject({ outcome: 'failure', reason: 'wrong password' });
  });

  test('a tampered signature: access denied, then the end', () => {
    const t = machine();
    const ctx = ntlm();
    const level = AUTH_LEVEL.pkt_integrity;
    const [ack] = t.feed(encodeBind('bind', bindFields(1), verifier(ctx, level, ctx.step(undefined).token!)));
    t.feed(encodeAuth3(1, verifier(ctx, level, ctx.step(ack!.auth!.authValue).token!)));
    const [req] = addRequest(2, 1, 1, { ctx, level });
    req![req!.length - 1]! ^= 1;
    expect(t.feed(req!)[0]).toMatchObject({ type: 'fault', status: FAULT.access_denied });
    expect(t.ended).toBe(true);
  });
});

describe('fragments', () => {
  const big = (callId: number, flagsOf: (i: number, n: number) => number, chunks: Buffer[], contextId = 0) =>
    chunks.map((c, i) => encodeRequest({ callId, flags: flagsOf(i, chunks.length), allocHint: 0, contextId, opnum: echo.methods.echo.opnum, stub: c }));
  const echoStub = (n: number) => ndrEncode(echo.methods.echo.request, { len: n, data: Buffer.alloc(n, 7) });
  const split = (b: Buffer, at: number[]) => at.map((x, i) => b.subarray(x, at[i + 1] ?? b.length));
  const normal = (i: number, n: number) => (i === 0 ? PFC.FIRST_FRAG : 0) | (i === n - 1 ? PFC.LAST_FRAG : 0);

  test('a request in three fragments is reassembled; signed fragments each verified', () => {
    const t = machine();
    t.feed(encodeBind('bind', bindFields(1)));
    const stub = echoStub(100);
    const [r] = t.feed(...big(2, normal, split(stub, [0, 40, 80])));
    expect(r!.type).toBe('response');
    expect((ndrDecode(echo.methods.echo.response, (r as { stub: Buffer }).stub) as { data: Buffer }).data).toEqual(Buffer.alloc(100, 7));

    const s = machine();
    const ctx = ntlm();
    const level = AUTH_LEVEL.pkt_privacy;
    const [ack] = s.feed(encodeBind('bind', bindFields(1), verifier(ctx, level, ctx.step(undefined).token!)));
    s.feed(encodeAuth3(1, verifier(ctx, level, ctx.step(ack!.auth!.authValue).token!)));
    // A small fragment size forces the request into several sealed fragments of 16 octets.
    const security = { protection: ctx, authType: ctx.authType, level, contextId: 1 };
    const frags = encodeFragments(echoStub(100), 80, false, security, (f, v) =>
      encodeRequest({ callId: 2, flags: f.flags, allocHint: f.allocHint, contextId: 0, opnum: echo.methods.echo.opnum, stub: f.chunk }, v),
    );
    expect(frags.length).toBe(7);
    const [res] = s.feed(...frags);
    expect(res!.type === 'response' && verifyFragment(ctx, level, res)).toBe(true);
    expect((ndrDecode(echo.methods.echo.response, (res as { stub: Buffer }).stub) as { data: Buffer }).data).toEqual(Buffer.alloc(100, 7));
  });

  test('two calls interleaved: refused without PFC_CONC_MPX, reassembled with it', () => {
    const a = big(2, normal, split(echoStub(64), [0, 32]));
    const b = big(3, normal, split(echoStub(64), [0, 32]));
    const t = machine();
    t.feed(encodeBind('bind', bindFields(1)));
    const [err] = t.feed(a[0]!, b[0]!);
    expect(err).toMatchObject({ type: 'fault', status: FAULT.nca_s_proto_error });
    expect(t.ended).toBe(true);

    const u = machine();
    u.feed(encodeBind('bind', { ...bindFields(1), flags: PFC.FIRST_FRAG | PFC.LAST_FRAG | PFC.CONC_MPX }));
    const answers = u.feed(a[0]!, b[0]!, b[1]!, a[1]!);
    expect(answers.map((p) => [p.type, p.header.callId])).toEqual([
      ['response', 3],
      ['response', 2],
    ]);
  });

  test('a middle fragment of an unknown call, and a first fragment twice: protocol errors', () => {
    for (const frags of [
      big(2, () => 0, [echoStub(8)]),
      big(2, () => PFC.FIRST_FRAG, [echoStub(8), echoStub(8)]),
    ]) {
      const t = machine();
      t.feed(encodeBind('bind', bindFields(1)));
      const answers = t.feed(...frags);
      expect(answers.at(-1)).toMatchObject({ type: 'fault', status: FAULT.nca_s_proto_error });
      expect(t.ended).toBe(true);
    }
  });

  test('a request larger than maxRequestSize: access denied, then the end', () => {
    const t = machine({ maxRequestSize: 100 });
    t.feed(encodeBind('bind', bindFields(1)));
    const answers = t.feed(...big(2, normal, split(echoStub(200), [0, 64, 128])));
    expect(answers.at(-1)).toMatchObject({ type: 'fault', status: FAULT.access_denied });
    expect(t.ended).toBe(true);
  });

  test('the same conversation in any cut of its bytes gives the same answers', () => {
    const stream = Buffer.concat([
      encodeBind('bind', bindFields(1)),
      ...addRequest(2, 1, 2),
      ...big(3, normal, split(echoStub(100), [0, 48])),
      encodeBind('alter_context', bindFields(4, 1)),
      encodeRequest({ callId: 5, flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, allocHint: 0, contextId: 9, opnum: 1, stub: addStub(1, 1) }),
    ]);
    const whole = machine().feed(stream);
    const responses = (ps: Pdu[]) => ps.filter((p) => p.type === 'response' || p.type === 'fault').map((p) => p.raw.toString('hex'));
    expect(whole.map((p) => p.type)).toEqual(['bind_ack', 'response', 'response', 'alter_context_resp', 'fault']);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 20 }), (cuts) => {
        const points = [...new Set(cuts)].sort((x, y) => x - y);
        const pieces = [0, ...points].map((x, i, all) => stream.subarray(x, all[i + 1] ?? stream.length));
        const answers = machine().feed(...pieces);
        expect(answers.map((p) => p.type)).toEqual(whole.map((p) => p.type));
        expect(responses(answers)).toEqual(responses(whole));
      }),
      { numRuns: 100 },
    );
  });
});
