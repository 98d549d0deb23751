/**
 * NtlmServerContext (MS-NLMP 3.2.5) against our own NtlmClientContext and against messages
 * built by hand: the CHALLENGE it answers with, the logins it accepts, and the many ways
 * it must refuse one, always with an NtlmAuthError.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Accounts, parseAccountSpec } from '../../src/security/accounts.js';
import { rc4 } from '../../src/security/crypto/rc4.js';
import { ANONYMOUS, DEFAULT_HOST_NAMES } from '../../src/security/identity.js';
import { NtlmClientContext, type NtlmCredentials } from '../../src/security/ntlm/client.js';
import { MESSAGE_TYPE, MSV_AV, NTLMSSP_NEGOTIATE as F, SERVER_VERSION } from '../../src/security/ntlm/constants.js';
import { KXKEY, LMOWFv1, NTOWFv1, NTOWFv2, computeV1, computeV2, sessionKeys, type SessionKeys } from '../../src/security/ntlm/crypto.js';
import { encodeAuthenticate, encodeNegotiate, parseAuthenticate, parseAvPairs, parseChallenge } from '../../src/security/ntlm/messages.js';
import { NtlmAuthError, NtlmServerContext, type NtlmServerOptions } from '../../src/security/ntlm/server.js';

const ALICE = { user: 'alice', password: 'Wonder-Land-1', domain: 'FILESRV01' };
const BOB = { user: 'bob', password: 'Builder-2', domain: 'FILESRV01' };
const accounts = new Accounts(DEFAULT_HOST_NAMES, [parseAccountSpec(`${ALICE.user}:${ALICE.password}:admin`), parseAccountSpec(`${BOB.user}:${BOB.password}:user`)]);

const CLIENT_FLAGS =
  F.UNICODE | F.REQUEST_TARGET | F.SIGN | F.SEAL | F.NTLM | F.ALWAYS_SIGN | F.EXTENDED_SESSIONSECURITY | F.TARGET_INFO | F.VERSION | F.N128 | F.KEY_EXCH | F.N56;

function server(over: Partial<NtlmServerOptions> = {}): NtlmServerContext {
  return new NtlmServerContext({ host: DEFAULT_HOST_NAMES, accounts, allowNtlmV1: false, allowAnonymous: false, ...over });
}

/** Runs `f`, which must throw an NtlmAuthError (and nothing else); returns it. */
function refused(f: () => unknown, reason?: string | RegExp): NtlmAuthError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an NtlmAuthError').toBeInstanceOf(NtlmAuthError);
  const e = err as NtlmAuthError;
  expect(e.reason.length).toBeGreaterThan(0);
  expect(e.message).toBe(e.reason);
  if (typeof reason === 'string') expect(e.reason).toBe(reason);
  else if (reason) expect(e.reason).toMatch(reason);
  return e;
}

/** NEGOTIATE and CHALLENGE done; returns the AUTHENTICATE the client would send. */
function challenged(creds: NtlmCredentials = ALICE, opts: Partial<NtlmServerOptions> = {}, flags?: number) {
  const srv = server(opts);
  const client = new NtlmClientContext(creds, flags);
  const challenge = srv.negotiate(client.negotiate());
  return { srv, client, challenge };
}

/** Signs a few messages each way and checks the other side verifies them. */
function signaturesWork(client: SessionKeys, srv: SessionKeys): void {
  for (let i = 0; i < 4; i++) {
    const m = randomBytes(1 + i * 37);
    expect(srv.recv.mac(m)).toEqual(client.send.mac(m));
    const r = randomBytes(5 + i * 11);
    expect(client.recv.mac(r)).toEqual(srv.send.mac(r));
  }
  // And a wrong message does not verify.
  const sig = client.send.mac(Buffer.from('one'));
  expect(srv.recv.mac(Buffer.from('two'))).not.toEqual(sig);
}

// ---------------------------------------------------------------------------------------------

describe('CHALLENGE', () => {
  const ANSWERABLE = [F.SIGN, F.SEAL, F.EXTENDED_SESSIONSECURITY, F.KEY_EXCH, F.N128, F.N56];
  const flagsOf = (asked: number, opts: Partial<NtlmServerOptions> = {}) => parseChallenge(server(opts).negotiate(encodeNegotiate(asked))).flags;

  it('answers what the client asked for: Unicode, signing, sealing, ESS, key exchange, 128 and 56', () => {
    const ch = parseChallenge(server().negotiate(encodeNegotiate(CLIENT_FLAGS)));
    for (const f of [F.UNICODE, ...ANSWERABLE, F.NTLM, F.TARGET_INFO, F.VERSION]) expect((ch.flags & f) >>> 0, `flag ${f.toString(16)}`).toBe(f);
    expect(ch.flags & F.OEM).toBe(0);
    expect(ch.targetName).toBe('FILESRV01');
    expect(ch.version).toEqual(SERVER_VERSION);
    expect(ch.serverChallenge).toHaveLength(8);
  });

  it('a client that asks for nothing gets OEM, NTLM, TARGET_INFO and VERSION, nothing optional', () => {
    const raw = server().negotiate(encodeNegotiate(0));
    const ch = parseChallenge(raw);
    expect(ch.flags & F.OEM).toBe(F.OEM);
    expect(ch.flags & F.UNICODE).toBe(0);
    for (const f of [F.NTLM, F.TARGET_INFO, F.VERSION]) expect(ch.flags & f).toBe(f);
    for (const f of [...ANSWERABLE, F.LM_KEY]) expect(ch.flags & f).toBe(0);
    // OEM: the target name goes out in 8-bit characters.
    expect(ch.targetName).toBe('FILESRV01');
    expect(raw.readUInt16LE(12)).toBe('FILESRV01'.length);
  });

  it('for any flags asked: each optional flag is answered exactly when asked; NTLM, TARGET_INFO, VERSION always; one of UNICODE / OEM', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.boolean(), (asked, v1) => {
        const got = flagsOf(asked, { allowNtlmV1: v1 });
        for (const f of ANSWERABLE) expect((got & f) >>> 0).toBe(asked & f ? f : 0);
        for (const f of [F.NTLM, F.TARGET_INFO, F.VERSION]) expect(got & f).toBe(f);
        expect(got & (F.UNICODE | F.OEM)).toBe(asked & F.UNICODE ? F.UNICODE : F.OEM);
        // Nothing the server cannot do: no datagram, no LM session key (it keeps no LM hash), no anonymous.
        expect(got & (F.DATAGRAM | F.LM_KEY | F.ANONYMOUS)).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('ESS and LM_KEY asked together: ESS alone (MS-NLMP 2.2.2.5)', () => {
    const got = flagsOf(F.UNICODE | F.EXTENDED_SESSIONSECURITY | F.LM_KEY, { allowNtlmV1: true });
    expect(got & F.EXTENDED_SESSIONSECURITY).toBe(F.EXTENDED_SESSIONSECURITY);
    expect(got & F.LM_KEY).toBe(0);
  });

  it('target info: NbDomainName, NbComputerName, DnsDomainName, DnsComputerName and a Timestamp of now', () => {
    const before = Date.now();
    for (const asked of [CLIENT_FLAGS, F.OEM]) {
      const ch = parseChallenge(server().negotiate(encodeNegotiate(asked)));
      expect(ch.flags & F.TARGET_INFO).toBe(F.TARGET_INFO);
      const av = parseAvPairs(ch.targetInfo);
      const u = (id: number) => av.get(id)?.toString('utf16le');
      // AV pairs are always Unicode, whatever the negotiated character set.
      expect(u(MSV_AV.NbDomainName)).toBe(DEFAULT_HOST_NAMES.netbiosDomain);
      expect(u(MSV_AV.NbComputerName)).toBe(DEFAULT_HOST_NAMES.netbiosName);
      expect(u(MSV_AV.DnsDomainName)).toBe(DEFAULT_HOST_NAMES.dnsDomain);
      expect(u(MSV_AV.DnsComputerName)).toBe(DEFAULT_HOST_NAMES.dnsName);
      const ts = av.get(MSV_AV.Timestamp)!;
      expect(ts).toHaveLength(8);
      const ms = Number((ts.readBigUInt64LE(0) - 116444736000000000n) / 10000n);
      expect(ms).toBeGreaterThanOrEqual(before - 1000);
      expect(ms).toBeLessThanOrEqual(Date.now() + 1000);
      // No MsvAvFlags from the server.
      expect(av.has(MSV_AV.Flags)).toBe(false);
    }
  });

  it('every CHALLENGE has a fresh server challenge', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) seen.add(parseChallenge(server().negotiate(encodeNegotiate(CLIENT_FLAGS))).serverChallenge.toString('hex'));
    expect(seen.size).toBe(50);
  });

  it('an old client sending only the first 16 bytes of NEGOTIATE is answered', () => {
    const ch = parseChallenge(server().negotiate(encodeNegotiate(F.UNICODE | F.NTLM).subarray(0, 16)));
    expect(ch.flags & F.UNICODE).toBe(F.UNICODE);
  });
});

// ---------------------------------------------------------------------------------------------

describe('NTLMv2 login', () => {
  for (const [who, creds, admin] of [
    ['an administrator', ALICE, true],
    ['a user', BOB, false],
  ] as const) {
    it(`${who}: identity, role, the same session key both sides, signatures both ways`, () => {
      const { srv, client, challenge } = challenged(creds);
      const r = srv.authenticate(client.authenticate(challenge));
      expect(r.identity).toEqual({ anonymous: false, user: creds.user, domain: DEFAULT_HOST_NAMES.netbiosName, logonDomain: creds.domain, admin });
      expect(r.micPresent).toBe(true);
      expect(r.exportedSessionKey).toEqual(client.exportedSessionKey);
      expect(r.flags >>> 0).toBe(client.negotiatedFlags >>> 0);
      signaturesWork(client.keys!, r.keys);
    });
  }

  it('user names compare case-insensitively; the identity carries the stored name', () => {
    const { srv, client, challenge } = challenged({ ...ALICE, user: 'ALICE' });
    expect(srv.authenticate(client.authenticate(challenge)).identity.user).toBe('alice');
  });

  it('every local domain spelling and pass-the-hash', () => {
    for (const domain of ['FILESRV01', 'filesrv01.lab.local', '.', '']) {
      const { srv, client, challenge } = challenged({ ...BOB, domain });
      expect(srv.authenticate(client.authenticate(challenge)).identity.user).toBe('bob');
    }
    const { srv, client, challenge } = challenged({ user: 'bob', domain: 'FILESRV01', ntHash: NTOWFv1(BOB.password) });
    expect(srv.authenticate(client.authenticate(challenge)).identity.user).toBe('bob');
  });

  it('without KEY_EXCH the session key is the session base key; without ESS signing still agrees', () => {
    for (const flags of [CLIENT_FLAGS & ~F.KEY_EXCH, CLIENT_FLAGS & ~F.EXTENDED_SESSIONSECURITY, CLIENT_FLAGS & ~(F.KEY_EXCH | F.EXTENDED_SESSIONSECURITY)]) {
      const { srv, client, challenge } = challenged(ALICE, {}, flags);
      const r = srv.authenticate(client.authenticate(challenge));
      expect(r.exportedSessionKey).toEqual(client.exportedSessionKey);
      signaturesWork(client.keys!, r.keys);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('anonymous', () => {
  const anonymousAuthenticate = (challenge: Buffer, lm: Buffer = Buffer.from([0])) =>
    encodeAuthenticate({
      flags: (parseChallenge(challenge).flags & ~F.KEY_EXCH) | F.ANONYMOUS,
      lmChallengeResponse: lm,
      ntChallengeResponse: Buffer.alloc(0),
      domain: '',
      user: '',
      workstation: 'WS',
      encryptedRandomSessionKey: Buffer.alloc(0),
      withMic: false,
    });

  it('empty user, empty NT response and an LM response of one zero byte: ANONYMOUS when allowed', () => {
    const { srv, challenge } = challenged(ALICE, { allowAnonymous: true });
    const r = srv.authenticate(anonymousAuthenticate(challenge));
    expect(r.identity).toEqual(ANONYMOUS);
    expect(r.identity.admin).toBe(false);
    expect(r.exportedSessionKey).toEqual(Buffer.alloc(16));
    expect(r.micPresent).toBe(false);
  });

  it('refused with an NtlmAuthError when not allowed', () => {
    const { srv, challenge } = challenged(ALICE, { allowAnonymous: false });
    refused(() => srv.authenticate(anonymousAuthenticate(challenge)), 'anonymous logon refused');
  });

  it('an empty LM response is anonymous too; a non-zero one-byte LM response is not', () => {
    const a = challenged(ALICE, { allowAnonymous: true });
    expect(a.srv.authenticate(anonymousAuthenticate(a.challenge, Buffer.alloc(0))).identity).toEqual(ANONYMOUS);
    const b = challenged(ALICE, { allowAnonymous: true });
    refused(() => b.srv.authenticate(anonymousAuthenticate(b.challenge, Buffer.from([1]))));
  });
});

// ---------------------------------------------------------------------------------------------

describe('NTLMv1', () => {
  const V1_FLAGS = F.UNICODE | F.REQUEST_TARGET | F.NTLM | F.SIGN | F.SEAL | F.ALWAYS_SIGN | F.N128 | F.N56;

  /** A v1 client by hand (MS-NLMP 3.1.5.1.2, 3.3.1) following the flags the CHALLENGE granted. */
  function v1Login(opts: { password: string; asked: number; allowNtlmV1: boolean; user?: string }) {
    const srv = server({ allowNtlmV1: opts.allowNtlmV1 });
    const ch = parseChallenge(srv.negotiate(encodeNegotiate(opts.asked)));
    const flags = (opts.asked & ch.flags) | F.NTLM;
    const ntowf = NTOWFv1(opts.password);
    const lmowf = LMOWFv1(opts.password);
    const v1 = computeV1(flags, ntowf, lmowf, ch.serverChallenge, randomBytes(8));
    const kxkey = KXKEY(flags, v1.sessionBaseKey, v1.lm, ch.serverChallenge, lmowf, false);
    let exported: Buffer = kxkey;
    let encryptedRandomSessionKey: Buffer = Buffer.alloc(0);
    if (flags & F.KEY_EXCH) {
      exported = randomBytes(16);
      encryptedRandomSessionKey = rc4(kxkey, exported);
    }
    const msg = encodeAuthenticate({
      flags,
      lmChallengeResponse: v1.lm,
      ntChallengeResponse: v1.nt,
      domain: 'FILESRV01',
      user: opts.user ?? 'alice',
      workstation: 'OLDBOX',
      encryptedRandomSessionKey,
      withMic: false,
    });
    expect(v1.nt).toHaveLength(24);
    return { run: () => srv.authenticate(msg), flags, exported };
  }

  const variants = [
    ['without extended session security', V1_FLAGS],
    ['with extended session security', V1_FLAGS | F.EXTENDED_SESSIONSECURITY],
    ['with extended session security and key exchange', V1_FLAGS | F.EXTENDED_SESSIONSECURITY | F.KEY_EXCH],
    ['without ESS, with key exchange', V1_FLAGS | F.KEY_EXCH],
  ] as const;

  for (const [name, asked] of variants) {
    it(`${name}: refused unless allowed; with the right password when allowed; not with a wrong one`, () => {
      refused(v1Login({ password: ALICE.password, asked, allowNtlmV1: false }).run, 'NTLMv1 refused');
      // Refused before the password is even looked at.
      refused(v1Login({ password: 'wrong', asked, allowNtlmV1: false }).run, 'NTLMv1 refused');

      const ok = v1Login({ password: ALICE.password, asked, allowNtlmV1: true });
      const r = ok.run();
      expect(r.identity).toEqual({ anonymous: false, user: 'alice', domain: 'FILESRV01', logonDomain: 'FILESRV01', admin: true });
      expect(r.micPresent).toBe(false);
      expect(r.exportedSessionKey).toEqual(ok.exported);
      signaturesWork(sessionKeys(ok.flags, ok.exported, 'client'), r.keys);

      const e = refused(v1Login({ password: 'not-it', asked, allowNtlmV1: true }).run, 'wrong password');
      expect([e.user, e.domain]).toEqual(['alice', 'FILESRV01']);
    });
  }

  it('a client asking for LM_KEY still agrees on the session key (the server keeps no LM hash, so never grants it)', () => {
    for (const extra of [F.LM_KEY, F.LM_KEY | F.KEY_EXCH]) {
      const ok = v1Login({ password: ALICE.password, asked: V1_FLAGS | extra, allowNtlmV1: true });
      expect(ok.flags & F.LM_KEY).toBe(0);
      const r = ok.run();
      expect(r.exportedSessionKey).toEqual(ok.exported);
      signaturesWork(sessionKeys(ok.flags, ok.exported, 'client'), r.keys);
    }
  });

  it('an unknown user is refused before the NTLMv1 check', () => {
    refused(v1Login({ password: 'x', asked: V1_FLAGS, allowNtlmV1: false, user: 'mallory' }).run, 'unknown user');
  });
});

// ---------------------------------------------------------------------------------------------

describe('refusals', () => {
  /** The client's AUTHENTICATE re-encoded with some fields changed (MIC left zero). */
  function rebuilt(auth: Buffer, over: Partial<Parameters<typeof encodeAuthenticate>[0]> = {}): Buffer {
    const m = parseAuthenticate(auth);
    return encodeAuthenticate({
      flags: m.flags,
      lmChallengeResponse: m.lmChallengeResponse,
      ntChallengeResponse: m.ntChallengeResponse,
      domain: m.domain,
      user: m.user,
      workstation: m.workstation,
      encryptedRandomSessionKey: m.encryptedRandomSessionKey,
      version: m.version,
      withMic: true,
      ...over,
    });
  }

  it('a wrong password and a tampered NTProofStr', () => {
    const a = challenged({ ...ALICE, password: 'wrong' });
    const e = refused(() => a.srv.authenticate(a.client.authenticate(a.challenge)), 'wrong password');
    expect([e.user, e.domain]).toEqual(['alice', 'FILESRV01']);

    const b = challenged(ALICE);
    const auth = b.client.authenticate(b.challenge);
    const m = parseAuthenticate(auth);
    const ntAt = auth.readUInt32LE(24);
    expect(auth.subarray(ntAt, ntAt + 16)).toEqual(m.ntChallengeResponse.subarray(0, 16));
    auth[ntAt + 3]! ^= 0x10;
    refused(() => b.srv.authenticate(auth), 'wrong password');
  });

  it('a tampered client blob (the NTProofStr covers it)', () => {
    const { srv, client, challenge } = challenged(ALICE);
    const auth = client.authenticate(challenge);
    const ntAt = auth.readUInt32LE(24);
    auth[ntAt + 16 + 10]! ^= 0x01; // inside the timestamp of the blob
    refused(() => srv.authenticate(auth), 'wrong password');
  });

  it('an unknown user', () => {
    const { srv, client, challenge } = challenged({ ...ALICE, user: 'mallory' });
    const e = refused(() => srv.authenticate(client.authenticate(challenge)), 'unknown user');
    expect(e.user).toBe('mallory');
  });

  it('a domain the standalone host does not know is its own: the right password logs on, a wrong one or an unknown user does not', () => {
    for (const domain of ['WORKGROUP', 'CONTOSO', 'lab', 'filesrv01.contoso.com']) {
      const ok = challenged({ ...ALICE, domain });
      const r = ok.srv.authenticate(ok.client.authenticate(ok.challenge));
      expect([r.identity.user, r.identity.domain, r.identity.logonDomain, r.identity.admin]).toEqual(['alice', 'FILESRV01', domain, true]);
      const bad = challenged({ ...ALICE, domain, password: 'wrong' });
      expect([refused(() => bad.srv.authenticate(bad.client.authenticate(bad.challenge)), 'wrong password').domain]).toEqual([domain]);
      const who = challenged({ ...ALICE, domain, user: 'mallory' });
      refused(() => who.srv.authenticate(who.client.authenticate(who.challenge)), 'unknown user');
    }
  });

  it('a corrupted MIC', () => {
    const { srv, client, challenge } = challenged(ALICE);
    refused(() => srv.authenticate(client.authenticate(challenge, { corruptMic: true })), 'MIC mismatch');
  });

  it('a MIC covering other messages than the ones exchanged (here: another NEGOTIATE)', () => {
    const { srv, challenge } = challenged(ALICE);
    const other = new NtlmClientContext(ALICE, CLIENT_FLAGS & ~F.N56);
    other.negotiate();
    refused(() => srv.authenticate(other.authenticate(challenge)), 'MIC mismatch');
  });

  it('any changed byte outside the NT response breaks the MIC', () => {
    for (const at of [60, 64, 72, 87]) {
      const c = challenged(ALICE);
      const auth = c.client.authenticate(c.challenge);
      auth[at]! ^= 0x40;
      refused(() => c.srv.authenticate(auth));
    }
    // The workstation name, which nothing but the MIC covers.
    const c = challenged({ ...ALICE, workstation: 'GOODBOX' });
    const auth = c.client.authenticate(c.challenge);
    const wsAt = auth.readUInt32LE(48);
    auth[wsAt]! ^= 0x01;
    refused(() => c.srv.authenticate(auth), 'MIC mismatch');
  });

  it('a MIC announced in MsvAvFlags but cut off (header shorter than 88)', () => {
    const { srv, client, challenge } = challenged(ALICE);
    const short = rebuilt(client.authenticate(challenge), { withMic: false });
    expect(parseAuthenticate(short).micOffset).toBeUndefined();
    refused(() => srv.authenticate(short), 'MIC announced but absent');
  });

  it('KEY_EXCH without an EncryptedRandomSessionKey, or with one of the wrong size', () => {
    for (const key of [Buffer.alloc(0), Buffer.alloc(8, 1), Buffer.alloc(17, 1)]) {
      const { srv, client, challenge } = challenged(ALICE);
      const auth = rebuilt(client.authenticate(challenge), { encryptedRandomSessionKey: key });
      expect(parseAuthenticate(auth).flags & F.KEY_EXCH).toBe(F.KEY_EXCH);
      refused(() => srv.authenticate(auth), 'missing EncryptedRandomSessionKey');
    }
  });

  it('NT responses of no recognised length', () => {
    for (const [len, reason] of [
      [0, 'LM-only response refused'],
      [1, 'malformed NT response'],
      [16, 'malformed NT response'],
      [23, 'malformed NT response'],
      [25, 'NTLMv2 response too short'],
      [47, 'NTLMv2 response too short'],
    ] as const) {
      const { srv, client, challenge } = challenged(ALICE);
      const auth = client.authenticate(challenge);
      const nt = parseAuthenticate(auth).ntChallengeResponse;
      refused(() => srv.authenticate(rebuilt(auth, { ntChallengeResponse: nt.subarray(0, len) })), reason);
    }
  });

  it('NEGOTIATE after CHALLENGE, AUTHENTICATE before NEGOTIATE, and a second AUTHENTICATE', () => {
    const { srv, client, challenge } = challenged(ALICE);
    refused(() => srv.negotiate(encodeNegotiate(CLIENT_FLAGS)), 'NEGOTIATE out of sequence');
    const auth = client.authenticate(challenge);
    refused(() => server().authenticate(auth), 'AUTHENTICATE out of sequence');
    // The first AUTHENTICATE still succeeds after the out-of-sequence NEGOTIATE...
    expect(srv.authenticate(auth).identity.user).toBe('alice');
    // ... but no second one, and no new NEGOTIATE, on a finished context.
    refused(() => srv.authenticate(auth), 'AUTHENTICATE out of sequence');
    refused(() => srv.negotiate(encodeNegotiate(CLIENT_FLAGS)), 'NEGOTIATE out of sequence');
  });

  it('a failed AUTHENTICATE ends the context: no second try with the right password', () => {
    const srv = server();
    const bad = new NtlmClientContext({ ...ALICE, password: 'guess' });
    const challenge = srv.negotiate(bad.negotiate());
    refused(() => srv.authenticate(bad.authenticate(challenge)), 'wrong password');
    const good = new NtlmClientContext(ALICE);
    good.negotiate();
    refused(() => srv.authenticate(good.authenticate(challenge)), 'AUTHENTICATE out of sequence');
  });
});

// ---------------------------------------------------------------------------------------------

describe('malformed messages', () => {
  const negotiate = encodeNegotiate(CLIENT_FLAGS, Buffer.from([10, 0, 0x61, 0x4a, 0, 0, 0, 15]));
  /** A fresh AUTHENTICATE and a server waiting for one. */
  const pending = () => {
    const c = challenged(ALICE);
    return { srv: c.srv, auth: c.client.authenticate(c.challenge) };
  };

  it('wrong signature', () => {
    const neg = Buffer.from(negotiate);
    neg.write('NTLMSSQ', 0, 'latin1');
    refused(() => server().negotiate(neg), /malformed NEGOTIATE: not an NTLMSSP message/);
    const { srv, auth } = pending();
    auth[7] = 0x20; // the terminating NUL of "NTLMSSP\0"
    refused(() => srv.authenticate(auth), /malformed AUTHENTICATE: not an NTLMSSP message/);
  });

  it('wrong message type', () => {
    const { srv, auth } = pending();
    refused(() => server().negotiate(auth), /malformed NEGOTIATE: .*type 3, expected 1/);
    refused(() => srv.authenticate(Buffer.concat([negotiate, Buffer.alloc(48)])), /malformed AUTHENTICATE: .*type 1, expected 3/);
    for (const t of [0, MESSAGE_TYPE.CHALLENGE, 4, 0xffffffff]) {
      const neg = Buffer.from(negotiate);
      neg.writeUInt32LE(t, 8);
      refused(() => server().negotiate(neg), /malformed NEGOTIATE/);
      const p = pending();
      p.auth.writeUInt32LE(t, 8);
      refused(() => p.srv.authenticate(p.auth), /malformed AUTHENTICATE/);
    }
  });

  it('NEGOTIATE fields supplied but pointing past the end', () => {
    for (const [flag, at] of [
      [F.OEM_DOMAIN_SUPPLIED, 16],
      [F.OEM_WORKSTATION_SUPPLIED, 24],
    ] as const) {
      for (const [len, off] of [
        [5, 1000],
        [1, negotiate.length],
        [100, 0],
        [1, 0xffffffff],
      ] as const) {
        const neg = Buffer.from(negotiate);
        neg.writeUInt32LE((CLIENT_FLAGS | flag) >>> 0, 12);
        neg.writeUInt16LE(len, at);
        neg.writeUInt16LE(len, at + 2);
        neg.writeUInt32LE(off, at + 4);
        refused(() => server().negotiate(neg), /malformed NEGOTIATE: NTLM field runs past the message/);
      }
    }
  });

  it('every AUTHENTICATE field pointing past the end', () => {
    for (const at of [12, 20, 28, 36, 44, 52]) {
      for (const [len, off] of [
        [1, 0xffffffff],
        [0xffff, 88],
        [1, -1],
        [2, -1],
      ] as const) {
        const { srv, auth } = pending();
        auth.writeUInt16LE(len, at);
        auth.writeUInt16LE(len, at + 2);
        auth.writeUInt32LE(off < 0 ? auth.length + off + 1 : off, at + 4);
        refused(() => srv.authenticate(auth), /malformed AUTHENTICATE: NTLM field runs past the message/);
      }
    }
  });

  it('NEGOTIATE truncated at every length below its 16-byte minimum; longer prefixes are the old short forms', () => {
    for (let n = 0; n < 16; n++) refused(() => server().negotiate(negotiate.subarray(0, n)), /malformed NEGOTIATE: .*too short/);
    for (let n = 16; n <= negotiate.length; n++) expect(parseChallenge(server().negotiate(negotiate.subarray(0, n))).flags & F.NTLM).toBe(F.NTLM);
  });

  it('AUTHENTICATE truncated at every length', () => {
    const { auth } = pending();
    for (let n = 0; n < auth.length; n++) {
      const c = challenged(ALICE);
      c.client.authenticate(c.challenge);
      refused(() => c.srv.authenticate(auth.subarray(0, n)), /malformed AUTHENTICATE/);
    }
  });

  it('a malformed AV pair list in an NTLMv2 blob the NTProofStr vouches for', () => {
    // The client's own blob but with its AV list cut before MsvAvEOL, re-proved under the right key.
    const { srv, client, challenge } = challenged(ALICE, {}, CLIENT_FLAGS & ~F.KEY_EXCH);
    const ch = parseChallenge(challenge);
    client.authenticate(challenge);
    const clientChallenge = randomBytes(8);
    const temp = Buffer.concat([Buffer.from([1, 1]), Buffer.alloc(6), Buffer.alloc(8), clientChallenge, Buffer.alloc(4), Buffer.from([2, 0, 10, 0, 1, 2])]);
    // Proved as a real client would (NTOWFv2 of alice in FILESRV01), so only the AV list is wrong.
    const v2 = computeV2(NTOWFv2(ALICE.password, ALICE.user, ALICE.domain), ch.serverChallenge, clientChallenge, temp).nt;
    const auth = encodeAuthenticate({
      flags: client.negotiatedFlags,
      lmChallengeResponse: Buffer.alloc(24),
      ntChallengeResponse: v2,
      domain: ALICE.domain,
      user: ALICE.user,
      workstation: 'WS',
      encryptedRandomSessionKey: Buffer.alloc(0),
      withMic: true,
    });
    refused(() => srv.authenticate(auth), 'malformed NTLMv2 client blob');
  });
});

// ---------------------------------------------------------------------------------------------

describe('fuzzing: random bytes only ever cause an NtlmAuthError', () => {
  /** Random bytes, sometimes behind a plausible signature and message type. */
  const message = (type: number) =>
    fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.uint8Array({ minLength: 0, maxLength: 300 }).map((b) => {
        const head = Buffer.alloc(12);
        head.write('NTLMSSP\0', 0, 'latin1');
        head.writeUInt32LE(type, 8);
        return Buffer.concat([head, Buffer.from(b)]);
      }),
    );

  const outcome = (f: () => unknown): 'ok' | 'refused' => {
    try {
      f();
      return 'ok';
    } catch (e) {
      if (!(e instanceof NtlmAuthError)) throw e;
      expect(e.reason.length).toBeGreaterThan(0);
      return 'refused';
    }
  };

  it('as NEGOTIATE', () => {
    fc.assert(
      fc.property(message(MESSAGE_TYPE.NEGOTIATE), (b) => {
        outcome(() => server().negotiate(b));
      }),
      { numRuns: 500 },
    );
  });

  it('as AUTHENTICATE', () => {
    fc.assert(
      fc.property(message(MESSAGE_TYPE.AUTHENTICATE), fc.boolean(), fc.boolean(), (b, v1, anon) => {
        const srv = server({ allowNtlmV1: v1, allowAnonymous: anon });
        srv.negotiate(encodeNegotiate(CLIENT_FLAGS));
        outcome(() => srv.authenticate(b));
      }),
      { numRuns: 500 },
    );
  });

  it('a real AUTHENTICATE with random bytes overwritten: refused with an NtlmAuthError, or accepted', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (edits, v1) => {
          const c = challenged(ALICE, { allowNtlmV1: v1 });
          const auth = c.client.authenticate(c.challenge);
          for (const [at, v] of edits) auth[at % auth.length] = v;
          outcome(() => c.srv.authenticate(auth));
        },
      ),
      { numRuns: 300 },
    );
  });
});
