/**
 * NtlmPduProtection: NTLM message security over DCE/RPC request PDUs, one side protecting
 * and the other verifying, as the RPC client and server call them.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AUTH_LEVEL, AUTH_TYPE } from '../../src/dcerpc/constants.js';
import { encodeRequest } from '../../src/dcerpc/pdu/serializer.js';
import { Accounts, parseAccountSpec } from '../../src/security/accounts.js';
import { DEFAULT_HOST_NAMES } from '../../src/security/identity.js';
import { NtlmClientContext } from '../../src/security/ntlm/client.js';
import { NTLMSSP_NEGOTIATE as F } from '../../src/security/ntlm/constants.js';
import { NtlmPduProtection } from '../../src/security/ntlm/protection.js';
import { NtlmServerContext } from '../../src/security/ntlm/server.js';

const CLIENT_FLAGS =
  F.UNICODE | F.REQUEST_TARGET | F.SIGN | F.SEAL | F.NTLM | F.ALWAYS_SIGN | F.EXTENDED_SESSIONSECURITY | F.TARGET_INFO | F.VERSION | F.N128 | F.KEY_EXCH | F.N56;

/** A real NTLMv2 login; returns what both sides build their protection from. */
function login(flags = CLIENT_FLAGS): { flags: number; key: Buffer } {
  const accounts = new Accounts(DEFAULT_HOST_NAMES, [parseAccountSpec('alice:Wonder-Land-1:admin')]);
  const srv = new NtlmServerContext({ host: DEFAULT_HOST_NAMES, accounts, allowNtlmV1: false, allowAnonymous: false });
  const client = new NtlmClientContext({ user: 'alice', password: 'Wonder-Land-1', domain: 'FILESRV01' }, flags);
  const r = srv.authenticate(client.authenticate(srv.negotiate(client.negotiate())));
  expect(r.exportedSessionKey).toEqual(client.exportedSessionKey);
  expect(r.flags >>> 0).toBe(client.negotiatedFlags >>> 0);
  return { flags: r.flags, key: r.exportedSessionKey };
}

const pair = (s: { flags: number; key: Buffer }) => ({
  client: new NtlmPduProtection(s.flags, s.key, 'client'),
  server: new NtlmPduProtection(s.flags, s.key, 'server'),
});

/** The offsets the RPC runtime passes for a request without an object UUID. */
const BODY_START = 24;
interface Pdu {
  pdu: Buffer;
  stub: Buffer;
  bodyEnd: number;
  sigAt: number;
}
function request(level: number, stub: Buffer = randomBytes(37), callId = 1): Pdu {
  const pdu = encodeRequest(
    { callId, flags: 3, allocHint: stub.length, contextId: 0, opnum: 1, stub },
    { authType: AUTH_TYPE.winnt, authLevel: level, authContextId: 0, authValue: Buffer.alloc(16), padTo: 16 },
  );
  const sigAt = pdu.length - 16;
  // The sec_trailer starts 16-aligned from the stub, after auth_pad_length pad octets.
  expect((sigAt - 8 - BODY_START) % 16).toBe(0);
  expect(pdu[sigAt - 8 + 2]).toBe(sigAt - 8 - BODY_START - stub.length);
  return { pdu, stub, bodyEnd: sigAt - 8, sigAt };
}
const protect = (p: NtlmPduProtection, level: number, r: Pdu) => p.protect(level, r.pdu, BODY_START, r.bodyEnd, r.sigAt);
const verify = (p: NtlmPduProtection, level: number, r: Pdu, pdu: Buffer = r.pdu) => p.verify(level, pdu, BODY_START, r.bodyEnd, r.sigAt);

const SESSIONS = [
  ['ESS and key exchange', CLIENT_FLAGS],
  ['ESS without key exchange', CLIENT_FLAGS & ~F.KEY_EXCH],
  ['no ESS (CRC32 and one RC4 stream)', CLIENT_FLAGS & ~F.EXTENDED_SESSIONSECURITY],
] as const;
const LEVELS = [
  ['integrity', AUTH_LEVEL.pkt_integrity],
  ['privacy', AUTH_LEVEL.pkt_privacy],
] as const;

for (const [session, flags] of SESSIONS) {
  describe(`NtlmPduProtection, ${session}`, () => {
    const s = login(flags);

    for (const [name, level] of LEVELS) {
      it(`${name}: the client protects, the server verifies, call after call and both ways`, () => {
        const { client, server } = pair(s);
        for (let i = 0; i < 5; i++) {
          const req = request(level, randomBytes(8 + i * 29), i + 1);
          const header = Buffer.from(req.pdu.subarray(0, BODY_START));
          protect(client, level, req);
          expect(req.pdu.subarray(0, BODY_START)).toEqual(header);
          expect(req.pdu.readUInt32LE(req.sigAt)).toBe(1); // NTLMSSP_MESSAGE_SIGNATURE version
          const onWire = req.pdu.subarray(BODY_START, BODY_START + req.stub.length);
          if (level === AUTH_LEVEL.pkt_privacy) expect(Buffer.from(onWire)).not.toEqual(req.stub);
          else expect(Buffer.from(onWire)).toEqual(req.stub);
          expect(verify(server, level, req)).toBe(true);
          // verify restored the plaintext in place.
          expect(req.pdu.subarray(BODY_START, BODY_START + req.stub.length)).toEqual(req.stub);

          // And the answer, from server to client.
          const resp = request(level, randomBytes(8 + i), i + 1);
          protect(server, level, resp);
          expect(verify(client, level, resp)).toBe(true);
          expect(resp.pdu.subarray(BODY_START, BODY_START + resp.stub.length)).toEqual(resp.stub);
        }
      });

      it(`${name}: a flipped bit anywhere in the signed range or the signature fails verify`, () => {
        const { client } = pair(s);
        const req = request(level, randomBytes(20));
        protect(client, level, req);
        const wire = Buffer.from(req.pdu);
        for (let at = 0; at < wire.length; at++) {
          for (const bit of [0x01, 0x80]) {
            const tampered = Buffer.from(wire);
            tampered[at]! ^= bit;
            const fresh = new NtlmPduProtection(s.flags, s.key, 'server');
            expect(verify(fresh, level, req, tampered), `byte ${at} bit ${bit}`).toBe(false);
          }
        }
        // The untouched PDU verifies with a fresh server side.
        expect(verify(new NtlmPduProtection(s.flags, s.key, 'server'), level, req, Buffer.from(wire))).toBe(true);
      });

      it(`${name}: the same PDU a second time is refused (sequence numbers)`, () => {
        const { client, server } = pair(s);
        const req = request(level);
        protect(client, level, req);
        const wire = Buffer.from(req.pdu);
        expect(verify(server, level, req, Buffer.from(wire))).toBe(true);
        expect(verify(server, level, req, Buffer.from(wire))).toBe(false);
        // With ESS each direction has its own keys, so it is not accepted reflected back to a
        // client either. (Without ESS, MS-NLMP 3.4.5.3 gives both directions one key.)
        if (s.flags & F.EXTENDED_SESSIONSECURITY) {
          const { client: c2 } = pair(s);
          expect(verify(c2, level, req, Buffer.from(wire))).toBe(false);
        }
      });

      it(`${name}: PDUs out of order are refused`, () => {
        const { client, server } = pair(s);
        const first = request(level, randomBytes(16), 1);
        const second = request(level, randomBytes(16), 2);
        protect(client, level, first);
        protect(client, level, second);
        expect(verify(server, level, second)).toBe(false);
      });
    }

    it('a signature slot past the end of the PDU, or a body ending before it starts, fails verify without throwing', () => {
      const { client, server } = pair(s);
      const req = request(AUTH_LEVEL.pkt_integrity);
      protect(client, AUTH_LEVEL.pkt_integrity, req);
      expect(server.verify(AUTH_LEVEL.pkt_integrity, req.pdu, BODY_START, req.bodyEnd, req.pdu.length - 15)).toBe(false);
      expect(server.verify(AUTH_LEVEL.pkt_privacy, req.pdu, req.bodyEnd, BODY_START, req.sigAt)).toBe(false);
    });
  });
}

describe('canProtect', () => {
  const SIGN_SEAL = F.NTLM | F.EXTENDED_SESSIONSECURITY | F.N128;
  const key = randomBytes(16);
  const can = (flags: number, level: number) => new NtlmPduProtection(flags, key, 'server').canProtect(level);

  it('SIGN and SEAL: every level', () => {
    for (const level of [AUTH_LEVEL.none, AUTH_LEVEL.connect, AUTH_LEVEL.call, AUTH_LEVEL.pkt, AUTH_LEVEL.pkt_integrity, AUTH_LEVEL.pkt_privacy]) {
      expect(can(SIGN_SEAL | F.SIGN | F.SEAL, level)).toBe(true);
    }
  });

  it('no SIGN: connect only; no integrity, and no privacy even with SEAL', () => {
    for (const seal of [0, F.SEAL]) {
      const flags = SIGN_SEAL | seal;
      expect(can(flags, AUTH_LEVEL.connect)).toBe(true);
      for (const level of [AUTH_LEVEL.call, AUTH_LEVEL.pkt, AUTH_LEVEL.pkt_integrity, AUTH_LEVEL.pkt_privacy]) expect(can(flags, level)).toBe(false);
    }
  });

  it('SIGN without SEAL: integrity (and call, pkt), no privacy', () => {
    const flags = SIGN_SEAL | F.SIGN;
    for (const level of [AUTH_LEVEL.connect, AUTH_LEVEL.call, AUTH_LEVEL.pkt, AUTH_LEVEL.pkt_integrity]) expect(can(flags, level)).toBe(true);
    expect(can(flags, AUTH_LEVEL.pkt_privacy)).toBe(false);
  });

  it('a real login that negotiated signing away', () => {
    const s = login(CLIENT_FLAGS & ~(F.SIGN | F.SEAL));
    expect(s.flags & (F.SIGN | F.SEAL)).toBe(0);
    const p = new NtlmPduProtection(s.flags, s.key, 'client');
    expect(p.canProtect(AUTH_LEVEL.connect)).toBe(true);
    expect(p.canProtect(AUTH_LEVEL.pkt_integrity)).toBe(false);
    expect(p.canProtect(AUTH_LEVEL.pkt_privacy)).toBe(false);
  });
});

describe('getMic, verifyMic and reset', () => {
  const s = login();
  const data = Buffer.from('30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a'.replace(/ /g, ''), 'hex');

  it('a MIC from one side verifies on the other, once, and only over the same data', () => {
    const { client, server } = pair(s);
    const mic = client.getMic(data);
    expect(mic).toHaveLength(16);
    expect(mic.readUInt32LE(0)).toBe(1);
    expect(mic.readUInt32LE(12)).toBe(0); // sequence number 0
    expect(server.verifyMic(data, mic)).toBe(true);
    // The server's answer the other way.
    expect(client.verifyMic(data, server.getMic(data))).toBe(true);
    // Sequence 1 now on both sides; a replayed MIC is sequence 0.
    expect(server.verifyMic(data, mic)).toBe(false);

    const p2 = pair(s);
    expect(p2.server.verifyMic(Buffer.concat([data, Buffer.from([0])]), p2.client.getMic(data))).toBe(false);
    const p3 = pair(s);
    expect(p3.server.verifyMic(data, p3.client.getMic(data).subarray(0, 15))).toBe(false);
    expect(p3.server.verifyMic(data, Buffer.alloc(17))).toBe(false);
  });

  it('reset(true) returns both directions to sequence 0 and a fresh RC4 state', () => {
    const { client, server } = pair(s);
    // Some traffic: MICs and sealed PDUs both ways move sequence numbers and RC4 streams on.
    server.verifyMic(data, client.getMic(data));
    client.verifyMic(data, server.getMic(data));
    for (let i = 0; i < 3; i++) {
      const req = request(AUTH_LEVEL.pkt_privacy, randomBytes(30));
      protect(client, AUTH_LEVEL.pkt_privacy, req);
      expect(verify(server, AUTH_LEVEL.pkt_privacy, req)).toBe(true);
      const resp = request(AUTH_LEVEL.pkt_privacy, randomBytes(30));
      protect(server, AUTH_LEVEL.pkt_privacy, resp);
      expect(verify(client, AUTH_LEVEL.pkt_privacy, resp)).toBe(true);
    }
    expect(client.getMic(data).readUInt32LE(12)).toBe(4);

    client.reset(true);
    server.reset(true);
    const fresh = pair(s);

    // Send direction: exactly what a brand-new context produces, sequence 0 first.
    const mic = client.getMic(data);
    expect(mic).toEqual(fresh.client.getMic(data));
    expect(mic.readUInt32LE(12)).toBe(0);
    const stub = randomBytes(40);
    const a = request(AUTH_LEVEL.pkt_privacy, stub);
    const b = request(AUTH_LEVEL.pkt_privacy, stub);
    protect(client, AUTH_LEVEL.pkt_privacy, a);
    protect(fresh.client, AUTH_LEVEL.pkt_privacy, b);
    expect(a.pdu).toEqual(b.pdu);

    // Receive direction: the reset server takes what a brand-new client sends, in order.
    expect(server.verifyMic(data, mic)).toBe(true);
    expect(verify(server, AUTH_LEVEL.pkt_privacy, a)).toBe(true);
    expect(a.pdu.subarray(BODY_START, BODY_START + stub.length)).toEqual(stub);
    // And the server's send direction restarted too.
    expect(fresh.client.verifyMic(data, fresh.server.getMic(data))).toBe(true);
    expect(server.getMic(data).readUInt32LE(12)).toBe(0);
  });
  it('reset(false), as after a verified mechListMIC: fresh RC4 state, sequence numbers kept (the first PDU is sequence 1)', () => {
    const { client, server } = pair(s);
    // The SPNEGO mechListMIC exchange spends sequence 0 in each direction.
    expect(server.verifyMic(data, client.getMic(data))).toBe(true);
    expect(client.verifyMic(data, server.getMic(data))).toBe(true);
    client.reset(false);
    server.reset(false);

    // A brand-new context that spent sequence 0 without touching RC4 (a MIC sent with the
    // RC4 state then restarted) produces the same PDUs: so only the RC4 state was reset.
    const fresh = pair(s);
    fresh.client.getMic(data);
    fresh.client.reset(false);
    const stub = randomBytes(40);
    const a = request(AUTH_LEVEL.pkt_privacy, stub);
    const b = request(AUTH_LEVEL.pkt_privacy, stub);
    protect(client, AUTH_LEVEL.pkt_privacy, a);
    protect(fresh.client, AUTH_LEVEL.pkt_privacy, b);
    expect(a.pdu).toEqual(b.pdu);
    expect(a.pdu.readUInt32LE(a.pdu.length - 4)).toBe(1); // the verifier's SeqNum
    expect(verify(server, AUTH_LEVEL.pkt_privacy, a)).toBe(true);
    expect(a.pdu.subarray(BODY_START, BODY_START + stub.length)).toEqual(stub);

    // And the other way: the server's first protected reply is sequence 1 too.
    const resp = request(AUTH_LEVEL.pkt_integrity, randomBytes(24));
    protect(server, AUTH_LEVEL.pkt_integrity, resp);
    expect(resp.pdu.readUInt32LE(resp.pdu.length - 4)).toBe(1);
    expect(verify(client, AUTH_LEVEL.pkt_integrity, resp)).toBe(true);

    // A side that reset its sequence numbers too can no longer talk to it.
    const wrong = pair(s);
    wrong.client.getMic(data);
    wrong.client.reset(true);
    const c = request(AUTH_LEVEL.pkt_integrity, randomBytes(16));
    protect(wrong.client, AUTH_LEVEL.pkt_integrity, c);
    const srv2 = pair(s).server;
    srv2.verifyMic(data, pair(s).client.getMic(data));
    srv2.reset(false);
    expect(verify(srv2, AUTH_LEVEL.pkt_integrity, c)).toBe(false);
  });
});
