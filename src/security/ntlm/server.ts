import { timingSafeEqual } from 'node:crypto';
import { randomOctets } from '../../dcerpc/random.js';
import type { Accounts } from '../accounts.js';
import { ANONYMOUS, type HostNames, type Identity } from '../identity.js';
import { MSV_AV, MSV_AV_FLAG_MIC_PRESENT, NTLMSSP_NEGOTIATE as F, SERVER_VERSION } from './constants.js';
import { DESL, KXKEY, NTOWFv2FromHash, hmacMd5, md5, sessionKeys, type SessionKeys } from './crypto.js';
import { md4 } from '../crypto/md4.js';
import { rc4 } from '../crypto/rc4.js';
import {
  encodeAvPairs,
  encodeChallenge,
  filetime,
  parseAuthenticate,
  parseAvPairs,
  parseNegotiate,
  NtlmMessageError,
  type AuthenticateMessage,
} from './messages.js';

/** Why an authentication failed; `reason` goes to the audit log, never to the client. */
export class NtlmAuthError extends Error {
  constructor(
    readonly reason: string,
    readonly user = '',
    readonly domain = '',
  ) {
    super(reason);
    this.name = 'NtlmAuthError';
  }
}

export interface NtlmServerOptions {
  host: HostNames;
  accounts: Accounts;
  /** Accept NTLMv1 and LM responses (off, as on a hardened host). */
  allowNtlmV1: boolean;
  /** Accept the anonymous (null) AUTHENTICATE. */
  allowAnonymous: boolean;
}

export interface NtlmResult {
  identity: Identity;
  flags: number;
  exportedSessionKey: Buffer;
  keys: SessionKeys;
  /** The AUTHENTICATE message carried a verified MIC. */
  micPresent: boolean;
}

/**
 * The result with its session keys derived on first use: the RPC layer derives its own
 * (NtlmPduProtection), and deriving them twice cost four MD5s and two RC4 key schedules of
 * every handshake, two handshakes per activation.
 */
function result(identity: Identity, flags: number, exportedSessionKey: Buffer, micPresent: boolean): NtlmResult {
  let keys: SessionKeys | undefined;
  return {
    identity,
    flags,
    exportedSessionKey,
    micPresent,
    get keys() {
      return (keys ??= sessionKeys(flags, exportedSessionKey, 'server'));
    },
  };
}

/** Flags we answer with whenever the client asks for them. */
const OFFERED =
  F.SIGN | F.SEAL | F.EXTENDED_SESSIONSECURITY | F.KEY_EXCH | F.N128 | F.N56 | F.IDENTIFY | F.ALWAYS_SIGN;

/**
 * One NTLM authentication, server side (MS-NLMP 3.2.5): NEGOTIATE in, CHALLENGE out,
 * AUTHENTICATE in, and then the session's keys.
 */
export class NtlmServerContext {
  private negotiateRaw: Buffer | undefined;
  private challengeRaw: Buffer | undefined;
  private serverChallenge: Buffer | undefined;
  private state: 'initial' | 'challenged' | 'done' = 'initial';

  constructor(private readonly opts: NtlmServerOptions) {}

  /** NEGOTIATE_MESSAGE → CHALLENGE_MESSAGE. */
  negotiate(token: Buffer): Buffer {
    if (this.state !== 'initial') throw new NtlmAuthError('NEGOTIATE out of sequence');
    let neg;
    try {
      neg = parseNegotiate(token);
    } catch (e) {
      if (e instanceof NtlmMessageError) throw new NtlmAuthError(`malformed NEGOTIATE: ${e.message}`);
      throw e;
    }
    const asked = neg.flags;
    let flags = F.REQUEST_TARGET | F.NTLM | F.TARGET_INFO | F.VERSION | F.TARGET_TYPE_SERVER | (asked & OFFERED);
    flags |= asked & F.UNICODE ? F.UNICODE : F.OEM;
    // LM_KEY is never granted: its key exchange key (MS-NLMP 3.4.5.1) needs the LM hash, which
    // accounts do not keep, so a client granted it would derive other session keys than ours.
    const h = this.opts.host;
    const u = (s: string) => Buffer.from(s, 'utf16le');
    const targetInfo = encodeAvPairs([
      [MSV_AV.NbDomainName, u(h.netbiosDomain)],
      [MSV_AV.NbComputerName, u(h.netbiosName)],
      [MSV_AV.DnsDomainName, u(h.dnsDomain)],
      [MSV_AV.DnsComputerName, u(h.dnsName)],
      [MSV_AV.Timestamp, filetime()],
    ]);
    this.serverChallenge = randomOctets(8);
    this.negotiateRaw = Buffer.from(token);
    this.challengeRaw = encodeChallenge({
      flags,
      targetName: h.netbiosDomain,
      serverChallenge: this.serverChallenge,
      targetInfo,
      version: SERVER_VERSION,
    });
    this.state = 'challenged';
    return this.challengeRaw;
  }

  /** AUTHENTICATE_MESSAGE → the caller's identity and the session keys. Throws NtlmAuthError. */
  authenticate(token: Buffer): NtlmResult {
    if (this.state !== 'challenged') throw new NtlmAuthError('AUTHENTICATE out of sequence');
    this.state = 'done';
    let m: AuthenticateMessage;
    try {
      m = parseAuthenticate(token);
    } catch (e) {
      if (e instanceof NtlmMessageError) throw new NtlmAuthError(`malformed AUTHENTICATE: ${e.message}`);
      throw e;
    }
    const challenge = this.serverChallenge!;
    const flags = m.flags;

    const anonymous =
      m.user === '' && m.ntChallengeResponse.length === 0 && (m.lmChallengeResponse.length === 0 || (m.lmChallengeResponse.length === 1 && m.lmChallengeResponse[0] === 0));
    if (anonymous) {
      if (!this.opts.allowAnonymous) throw new NtlmAuthError('anonymous logon refused');
      // MS-NLMP 3.2.5.1.2: the anonymous session key is zero.
      const key = Buffer.alloc(16);
      return result(ANONYMOUS, flags, key, false);
    }

    const account = this.opts.accounts.find(m.user);
    if (!account) throw new NtlmAuthError('unknown user', m.user, m.domain);
    // A standalone Windows host checks any domain name it does not know (it knows no other
    // authority) against its own SAM, as MSV1_0 does for a workstation; Samba's standalone
    // servers copy this. The NTLMv2 proof still binds the name the client sent.

    let sessionBaseKey: Buffer;
    let keyExchangeKey: Buffer;
    let micRequired = false;
    const nt = m.ntChallengeResponse;
    if (nt.length > 24) {
      if (nt.length < 48) throw new NtlmAuthError('NTLMv2 response too short', m.user, m.domain);
      const responseKeyNT = NTOWFv2FromHash(account.ntHash, m.user, m.domain);
      const ntProofStr = nt.subarray(0, 16);
      const temp = nt.subarray(16);
      const expected = hmacMd5(responseKeyNT, challenge, temp);
      if (!timingSafeEqual(expected, ntProofStr)) throw new NtlmAuthError('wrong password', m.user, m.domain);
      let pairs;
      try {
        pairs = parseAvPairs(temp.subarray(28));
      } catch {
        throw new NtlmAuthError('malformed NTLMv2 client blob', m.user, m.domain);
      }
      const avFlags = pairs.get(MSV_AV.Flags);
      micRequired = avFlags !== undefined && avFlags.length >= 4 && (avFlags.readUInt32LE(0) & MSV_AV_FLAG_MIC_PRESENT) !== 0;
      sessionBaseKey = hmacMd5(responseKeyNT, ntProofStr);
      keyExchangeKey = sessionBaseKey;
    } else if (nt.length === 24) {
      if (!this.opts.allowNtlmV1) throw new NtlmAuthError('NTLMv1 refused', m.user, m.domain);
      const responseKeyNT = account.ntHash;
      const expected =
        flags & F.EXTENDED_SESSIONSECURITY
          ? DESL(responseKeyNT, md5(challenge, m.lmChallengeResponse.subarray(0, 8)).subarray(0, 8))
          : DESL(responseKeyNT, challenge);
      if (!timingSafeEqual(expected, nt)) throw new NtlmAuthError('wrong password', m.user, m.domain);
      sessionBaseKey = md4(responseKeyNT);
      // Without the password the LM hash is unknown; LM_KEY is never granted to such accounts.
      keyExchangeKey = KXKEY(flags & ~F.LM_KEY & ~F.REQUEST_NON_NT_SESSION_KEY, sessionBaseKey, m.lmChallengeResponse, challenge, Buffer.alloc(16), false);
    } else {
      throw new NtlmAuthError(nt.length === 0 ? 'LM-only response refused' : 'malformed NT response', m.user, m.domain);
    }

    let exportedSessionKey = keyExchangeKey;
    if (flags & F.KEY_EXCH) {
      if (m.encryptedRandomSessionKey.length !== 16) throw new NtlmAuthError('missing EncryptedRandomSessionKey', m.user, m.domain);
      exportedSessionKey = rc4(keyExchangeKey, m.encryptedRandomSessionKey);
    }

    if (micRequired) {
      if (m.micOffset === undefined || !m.mic) throw new NtlmAuthError('MIC announced but absent', m.user, m.domain);
      const zeroed = Buffer.from(token);
      zeroed.fill(0, m.micOffset, m.micOffset + 16);
      const mic = hmacMd5(exportedSessionKey, this.negotiateRaw!, this.challengeRaw!, zeroed);
      if (!timingSafeEqual(mic, m.mic)) throw new NtlmAuthError('MIC mismatch', m.user, m.domain);
    }

    const identity: Identity = { anonymous: false, user: account.name, domain: this.opts.host.netbiosName, logonDomain: m.domain, admin: account.role === 'admin' };
    return result(identity, flags, exportedSessionKey, micRequired);
  }
}
