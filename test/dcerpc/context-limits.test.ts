/**
 * Presentation and security contexts at their limits. A client that opens a new context of
 * each kind at every change of interface (impacket's way) goes on for ever in bounded
 * memory: the least recently used idle context makes room. When every context is busy the
 * answer is the refusal alone, with no security leg attached. And whatever a client sends,
 * every bind, alter_context and request is answered, or the connection is closed: no path
 * leaves a call unanswered on an open connection.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RpcClient, syntaxOf } from '../../src/client/rpc-client.js';
import { AUTH_LEVEL, AUTH_TYPE, PROVIDER_REASON, RESULT } from '../../src/dcerpc/constants.js';
import { encodeAuth3, encodeBind, encodeRequest } from '../../src/dcerpc/pdu/serializer.js';
import type { Pdu } from '../../src/dcerpc/pdu/types.js';
import { mgmt } from '../../src/interfaces/mgmt/idl.js';
import { echo, echoServer } from '../helpers/echo.js';
import { ntlm, testSecurity } from '../helpers/security.js';
import { RawRpcClient } from '../helpers/raw-client.js';

const LIMITS = { maxContextsPerConnection: 3, maxAuthContextsPerConnection: 2, maxCallsInFlight: 4 };
const { sec } = testSecurity();
let server: Awaited<ReturnType<typeof echoServer>>;
beforeAll(async () => {
  server = await echoServer(LIMITS, { security: sec });
});
afterAll(() => server.close());

const open = () => RawRpcClient.connect(server.host, server.port);
const ifaces = [echo, mgmt];
const states = () => server.rpc.connectionStates();

describe('switching interface for ever', () => {
  test('200 switches, each with a new presentation context and a new NTLM context: every call answered, contexts stay within the limits', async () => {
    const c = await open();
    await c.bindInterface(echo, { auth: { ctx: ntlm(), level: AUTH_LEVEL.pkt_privacy, contextId: 1 } });
    for (let i = 1; i <= 200; i++) {
      const iface = ifaces[i % 2]!;
      const [r] = await c.alterContext([{ contextId: i, abstractSyntax: syntaxOf(iface) }], {
        auth: { ctx: ntlm(), level: AUTH_LEVEL.pkt_privacy, contextId: 1 + i },
      });
      expect(r!.result, `switch ${i}`).toBe(RESULT.acceptance);
      if (iface === echo) expect((await c.call(i, echo.methods.add, { a: i, b: 1 })).sum).toBe(i + 1);
      else expect((await c.call(i, mgmt.methods.is_server_listening, {})).result).toBe(1);
      const [s] = states();
      expect(s!.presentationContexts).toBeLessThanOrEqual(LIMITS.maxContextsPerConnection);
      expect(s!.securityContexts).toBeLessThanOrEqual(LIMITS.maxAuthContextsPerConnection);
    }
    await c.close();
  });

  test('the most recently used contexts are the ones kept: an older one still answers while it is among them', async () => {
    const c = await open();
    await c.bindInterface(echo);
    await c.alterContext([{ contextId: 1, abstractSyntax: syntaxOf(mgmt) }]);
    await c.call(0, echo.methods.add, { a: 1, b: 1 }); // context 0 used last
    await c.alterContext([{ contextId: 2, abstractSyntax: syntaxOf(echo) }]);
    await c.alterContext([{ contextId: 3, abstractSyntax: syntaxOf(echo) }]); // context 1 is forgotten
    expect((await c.call(0, echo.methods.add, { a: 2, b: 2 })).sum).toBe(4);
    await expect(c.call(1, mgmt.methods.is_server_listening, {})).rejects.toMatchObject({ status: 0x1c010003 }); // nca_s_unk_if
    await c.close();
  });
});

describe('every context busy', () => {
  test('a new presentation context is refused local_limit_exceeded with no security token; once a call ends, it is admitted', async () => {
    const c = await open();
    await c.bindInterface(echo, { auth: { ctx: ntlm(), level: AUTH_LEVEL.pkt_integrity, contextId: 1 } });
    await c.alterContext([{ contextId: 1, abstractSyntax: syntaxOf(echo) }]);
    await c.alterContext([{ contextId: 2, abstractSyntax: syntaxOf(echo) }]);
    const slow = [0, 1, 2].map((ctx) => c.call(ctx, echo.methods.slow, { ms: 300, tag: ctx }));
    const refused = await c.alterContext([{ contextId: 3, abstractSyntax: syntaxOf(mgmt) }]);
    expect(refused).toEqual([{ result: RESULT.provider_rejection, reason: PROVIDER_REASON.local_limit_exceeded, transferSyntax: expect.anything() }]);
    expect((await Promise.all(slow)).map((r) => r.tag)).toEqual([0, 1, 2]);
    const [ok] = await c.alterContext([{ contextId: 3, abstractSyntax: syntaxOf(mgmt) }]);
    expect(ok!.result).toBe(RESULT.acceptance);
    await c.close();
  });

  test('a new security context while every one carries a call: refused with no NTLM CHALLENGE; admitted once one is idle', async () => {
    const c = await open();
    await c.bindInterface(echo, { auth: { ctx: ntlm(), level: AUTH_LEVEL.pkt_integrity, contextId: 1 } });
    const first = c.auth!;
    await c.alterContext([{ contextId: 1, abstractSyntax: syntaxOf(mgmt) }], { auth: { ctx: ntlm(), level: AUTH_LEVEL.pkt_integrity, contextId: 2 } });
    // Both security contexts hold a call.
    const slow = [c.call(0, echo.methods.slow, { ms: 400, tag: 1 }, { auth: first }), c.call(0, echo.methods.slow, { ms: 400, tag: 2 })];
    // impacket's sequence from the issue: refused, then the same NEGOTIATE again on the same
    // auth_context_id. Each time: the refusal alone, no CHALLENGE, and the connection open.
    for (const callId of [900, 901]) {
      const negotiate = ntlm().step(undefined).token!;
      c.sendRaw(
        encodeBind(
          'alter_context',
          { callId, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0, contexts: [{ contextId: 2, abstractSyntax: syntaxOf(echo), transferSyntaxes: [NDR20] }] },
          { authType: AUTH_TYPE.winnt, authLevel: AUTH_LEVEL.pkt_integrity, authContextId: 3, authValue: negotiate, padTo: 4 },
        ),
      );
      const resp = (await c.nextPdu(3000)) as Extract<Pdu, { type: 'alter_context_resp' }>;
      expect(resp.type).toBe('alter_context_resp');
      expect(resp.header.callId).toBe(callId);
      expect(resp.results.map((r) => [r.result, r.reason])).toEqual([[RESULT.provider_rejection, PROVIDER_REASON.local_limit_exceeded]]);
      expect(resp.auth).toBeUndefined();
    }
    expect((await Promise.all(slow)).map((r) => r.tag)).toEqual([1, 2]);
    // Both idle now: the same request is admitted (the least recently used is forgotten).
    const [ok] = await c.alterContext([{ contextId: 2, abstractSyntax: syntaxOf(echo) }], { auth: { ctx: ntlm(), level: AUTH_LEVEL.pkt_integrity, contextId: 3 } });
    expect(ok!.result).toBe(RESULT.acceptance);
    expect((await c.call(2, echo.methods.add, { a: 4, b: 5 })).sum).toBe(9);
    await c.close();
  });
});

/**
 * What a client may send, good and bad, in any order: binds and alter_contexts with and
 * without NTLM legs (right ones, a NEGOTIATE where an AUTHENTICATE belongs, garbage), auth3,
 * requests on known and unknown contexts, signed or not, with a bad verifier. Each answer
 * that is due must come, unless the server closes the connection.
 */
type Step =
  | { kind: 'alter'; ctx: number; iface: number; auth: 'none' | 'new' | 'same' | 'garbage'; authId: number }
  | { kind: 'auth3'; authId: number; token: 'negotiate' | 'garbage' }
  | { kind: 'request'; ctx: number; signed: boolean; slow: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('alter' as const),
    ctx: fc.integer({ min: 0, max: 5 }),
    iface: fc.integer({ min: 0, max: 2 }),
    auth: fc.constantFrom('none' as const, 'new' as const, 'same' as const, 'garbage' as const),
    authId: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({ kind: fc.constant('auth3' as const), authId: fc.integer({ min: 1, max: 4 }), token: fc.constantFrom('negotiate' as const, 'garbage' as const) }),
  fc.record({ kind: fc.constant('request' as const), ctx: fc.integer({ min: 0, max: 5 }), signed: fc.boolean(), slow: fc.boolean() }),
);

const NDR20 = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 };
const UNKNOWN = { uuid: '12345678-1234-abcd-ef00-0123456789ab', major: 1, minor: 0 };

/** Waits for a PDU answering `callId`, or the connection's end; 'hang' if neither comes. */
async function answered(c: RawRpcClient, callId: number, closed: { v: boolean }): Promise<'answer' | 'closed' | 'hang'> {
  const deadline = Date.now() + 3000;
  for (;;) {
    if (closed.v) return 'closed';
    const left = deadline - Date.now();
    if (left <= 0) return 'hang';
    const p = await c.nextPdu(left);
    // No PDU: either the wait ran out or the connection closed (which settles at once).
    if (!p) return Promise.race([c.closedPromise.then(() => 'closed' as const), new Promise<'hang'>((r) => setTimeout(() => r('hang'), 100))]);
    if (p.header.callId === callId) return 'answer';
  }
}

describe('no call left unanswered on an open connection', () => {
  test('random sequences of good and bad PDUs at tiny limits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const c = await open();
        const closed = { v: false };
        void c.closedPromise.then(() => (closed.v = true));
        await c.bindInterface(echo, { auth: { ctx: ntlm(), level: AUTH_LEVEL.pkt_integrity, contextId: 1 } });
        const tokens = new Map<number, ReturnType<typeof ntlm>>();
        let callId = 1000;
        for (const s of steps) {
          if (closed.v) break;
          const id = ++callId;
          if (s.kind === 'alter') {
            const abstractSyntax = s.iface === 2 ? UNKNOWN : syntaxOf(ifaces[s.iface]!);
            let auth;
            if (s.auth !== 'none') {
              const ctx = s.auth === 'same' && tokens.has(s.authId) ? tokens.get(s.authId)! : ntlm();
              tokens.set(s.authId, ctx);
              const value = s.auth === 'garbage' ? Buffer.from('not a token at all') : ntlm().step(undefined).token!;
              auth = { authType: AUTH_TYPE.winnt, authLevel: AUTH_LEVEL.pkt_integrity, authContextId: s.authId, authValue: value, padTo: 4 };
              void ctx;
            }
            c.sendRaw(encodeBind('alter_context', { callId: id, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0, contexts: [{ contextId: s.ctx, abstractSyntax, transferSyntaxes: [NDR20] }] }, auth));
            expect(await answered(c, id, closed), JSON.stringify(s)).not.toBe('hang');
          } else if (s.kind === 'auth3') {
            const value = s.token === 'garbage' ? Buffer.from([1, 2, 3]) : ntlm().step(undefined).token!;
            c.sendRaw(encodeAuth3(id, { authType: AUTH_TYPE.winnt, authLevel: AUTH_LEVEL.pkt_integrity, authContextId: s.authId, authValue: value, padTo: 4 }));
          } else {
            const stub = Buffer.from([s.slow ? 50 : 0, 0, 0, 0, 7, 0, 0, 0]);
            const fields = { callId: id, flags: 3, allocHint: stub.length, contextId: s.ctx, opnum: s.slow ? 2 : 1, stub };
            c.sendRaw(
              s.signed
                ? encodeRequest(fields, { authType: AUTH_TYPE.winnt, authLevel: AUTH_LEVEL.pkt_integrity, authContextId: 1, authValue: Buffer.alloc(16, 0xee), padTo: 16 })
                : encodeRequest(fields),
            );
            expect(await answered(c, id, closed), JSON.stringify(s)).not.toBe('hang');
          }
        }
        await c.close();
      }),
      { numRuns: 60 },
    );
  });
});
