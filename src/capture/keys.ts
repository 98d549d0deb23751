/**
 * What a capture's reader has to decrypt NTLM-protected calls with: a password or an NT hash
 * (from which NTLMv2's keys are derived as the server derived them, MS-NLMP 3.3.2 and 3.4.5),
 * or the lines of a key file written by `scmpd --capture-keys` (the exported session key and
 * flags per connection and security context, no password needed).
 */
import { rc4 } from '../security/crypto/rc4.js';
import { md4 } from '../security/crypto/md4.js';
import { NTLMSSP_NEGOTIATE as F } from '../security/ntlm/constants.js';
import { DESL, KXKEY, NTOWFv1, NTOWFv2FromHash, hmacMd5, md5 } from '../security/ntlm/crypto.js';
import type { AuthenticateMessage, ChallengeMessage } from '../security/ntlm/messages.js';

export interface CaptureCredentials {
  password?: string;
  /** The account's NT hash (MD4 of the UTF-16LE password). */
  ntHash?: Buffer;
  /** The lines of a key file (JSON lines, docs: issue 14's key file format). */
  keysFile?: readonly string[];
}

/** An NTLM session's key as the key file gives it or as derived. */
export interface NtlmKey {
  exportedSessionKey: Buffer;
  negotiateFlags: number;
}

export type KeyOutcome = { key: NtlmKey; via: 'key-file' | 'password' | 'anonymous' } | { bad: string } | undefined;

interface KeyLine {
  client: string;
  server: string;
  authContextId: number;
  key: NtlmKey;
}

/** Reads a key file's lines; lines that are not a key (blank, malformed) are reported and skipped. */
export function parseKeyLines(lines: readonly string[]): { keys: KeyLine[]; problems: string[] } {
  const keys: KeyLine[] = [];
  const problems: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      const hex = o.exportedSessionKey;
      const flags = o.negotiateFlags;
      if (typeof o.client !== 'string' || typeof o.server !== 'string' || typeof o.authContextId !== 'number') throw new Error('client, server or authContextId missing');
      if (typeof hex !== 'string' || !/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error('exportedSessionKey is not 32 hex digits');
      const f = typeof flags === 'number' ? flags : typeof flags === 'string' ? Number(flags) : NaN;
      if (!Number.isInteger(f) || f < 0 || f > 0xffffffff) throw new Error('negotiateFlags is not a 32-bit number');
      keys.push({ client: o.client, server: o.server, authContextId: o.authContextId, key: { exportedSessionKey: Buffer.from(hex, 'hex'), negotiateFlags: f >>> 0 } });
    } catch (e) {
      problems.push(`key file line ${i + 1}: ${(e as Error).message}`);
    }
  });
  return { keys, problems };
}

const isAnonymous = (m: AuthenticateMessage) =>
  m.user === '' && m.ntChallengeResponse.length === 0 && (m.lmChallengeResponse.length === 0 || (m.lmChallengeResponse.length === 1 && m.lmChallengeResponse[0] === 0));

/**
 * The exported session key of one NTLM authentication, from the account's NT hash: the
 * AUTHENTICATE's user and domain give ResponseKeyNT, whose NTProofStr must match (else the
 * password is not this account's: `bad`); then SessionBaseKey → KeyExchangeKey →
 * ExportedSessionKey, the last RC4-decrypted from EncryptedRandomSessionKey under KEY_EXCH.
 */
export function deriveNtlmKey(ntHash: Buffer, challenge: ChallengeMessage, auth: AuthenticateMessage): { key: NtlmKey } | { bad: string } {
  const flags = auth.flags >>> 0;
  const nt = auth.ntChallengeResponse;
  const serverChallenge = challenge.serverChallenge;
  let keyExchangeKey: Buffer;
  if (nt.length > 24) {
    if (nt.length < 48) return { bad: 'NTLMv2 response too short' };
    const responseKeyNT = NTOWFv2FromHash(ntHash, auth.user, auth.domain);
    const ntProofStr = nt.subarray(0, 16);
    if (!hmacMd5(responseKeyNT, serverChallenge, nt.subarray(16)).equals(ntProofStr)) return { bad: `the password is not ${auth.domain}\\${auth.user}'s (NTProofStr does not match)` };
    keyExchangeKey = hmacMd5(responseKeyNT, ntProofStr);
  } else if (nt.length === 24) {
    const lm = auth.lmChallengeResponse;
    const expected = flags & F.EXTENDED_SESSIONSECURITY ? DESL(ntHash, md5(serverChallenge, lm.subarray(0, 8)).subarray(0, 8)) : DESL(ntHash, serverChallenge);
    if (!expected.equals(nt)) return { bad: `the password is not ${auth.domain}\\${auth.user}'s (NTLMv1 response does not match)` };
    // As the server: LM_KEY is never granted, so the LM hash is not needed.
    keyExchangeKey = KXKEY(flags & ~F.LM_KEY & ~F.REQUEST_NON_NT_SESSION_KEY, md4(ntHash), lm, serverChallenge, Buffer.alloc(16), false);
  } else {
    return { bad: 'no NT response to derive a key from' };
  }
  let exportedSessionKey = keyExchangeKey;
  if (flags & F.KEY_EXCH) {
    if (auth.encryptedRandomSessionKey.length !== 16) return { bad: 'KEY_EXCH without a 16-octet EncryptedRandomSessionKey' };
    exportedSessionKey = rc4(keyExchangeKey, auth.encryptedRandomSessionKey);
  }
  return { key: { exportedSessionKey, negotiateFlags: flags } };
}

/** The credentials of one reading: key-file lines first, then the password or hash. */
export class KeyRing {
  private readonly ntHash: Buffer | undefined;
  private readonly lines = new Map<string, NtlmKey[]>();
  readonly problems: string[];

  constructor(creds: CaptureCredentials = {}) {
    this.ntHash = creds.ntHash ?? (creds.password !== undefined ? NTOWFv1(creds.password) : undefined);
    const { keys, problems } = parseKeyLines(creds.keysFile ?? []);
    this.problems = problems;
    for (const k of keys) {
      const id = KeyRing.id(k.client, k.server, k.authContextId);
      const list = this.lines.get(id) ?? [];
      list.push(k.key);
      this.lines.set(id, list);
    }
  }

  private static id(client: string, server: string, authContextId: number): string {
    return `${client}|${server}|${authContextId >>> 0}`;
  }

  get empty(): boolean {
    return this.ntHash === undefined && this.lines.size === 0;
  }

  /**
   * The key of the context established by this AUTHENTICATE. A key-file line is used once:
   * a connection that authenticates the same context id again has a line of its own.
   */
  keyFor(client: string, server: string, authContextId: number, challenge: ChallengeMessage | undefined, auth: AuthenticateMessage | undefined): KeyOutcome {
    const list = this.lines.get(KeyRing.id(client, server, authContextId));
    if (list && list.length > 0) return { key: list.length > 1 ? list.shift()! : list[0]!, via: 'key-file' };
    if (auth && isAnonymous(auth)) return { key: { exportedSessionKey: Buffer.alloc(16), negotiateFlags: auth.flags >>> 0 }, via: 'anonymous' };
    if (this.ntHash === undefined || !auth) return undefined;
    if (!challenge) return { bad: 'the CHALLENGE message is not in the capture' };
    const r = deriveNtlmKey(this.ntHash, challenge, auth);
    return 'key' in r ? { key: r.key, via: 'password' } : r;
  }
}
