import { crc32 } from 'node:zlib';
import { des7 } from '../crypto/des.js';
import { md4 } from '../crypto/md4.js';
import { Rc4 } from '../crypto/rc4.js';
import { HmacMd5, md5js } from '../crypto/md5.js';
import { NTLMSSP_NEGOTIATE as F } from './constants.js';

/** The cryptographic functions of MS-NLMP 3.3 and 3.4, named as the specification names them. */

// In JavaScript (src/security/crypto/md5.ts), not node's createHmac / createHash: the
// handshake hashes a few dozen octets about ten times per side, and creating a native hash
// object for each cost more than the hashing (a quarter of an activation's cryptography).
export const hmacMd5 = (key: Uint8Array, ...data: Uint8Array[]): Buffer => new HmacMd5(key).mac(...data);
export const md5 = (...data: Uint8Array[]): Buffer => md5js(...data);
const utf16 = (s: string) => Buffer.from(s, 'utf16le');

export function NTOWFv1(password: string): Buffer {
  return md4(utf16(password));
}

export function LMOWFv1(password: string): Buffer {
  const p = Buffer.alloc(14);
  Buffer.from(password.toUpperCase(), 'latin1').copy(p, 0, 0, 14);
  const magic = Buffer.from('KGS!@#$%', 'latin1');
  return Buffer.concat([des7(p.subarray(0, 7), magic), des7(p.subarray(7, 14), magic)]);
}

/** NTOWFv2 from the NT hash (so pass-the-hash and stored hashes work alike). */
export function NTOWFv2FromHash(ntHash: Buffer, user: string, domain: string): Buffer {
  return hmacMd5(ntHash, utf16(user.toUpperCase() + domain));
}

export function NTOWFv2(password: string, user: string, domain: string): Buffer {
  return NTOWFv2FromHash(NTOWFv1(password), user, domain);
}

/** DESL(K, D): three DES encryptions under the 16-byte key split 7 / 7 / 2+zeros. */
export function DESL(key16: Buffer, data8: Buffer): Buffer {
  const k3 = Buffer.alloc(7);
  key16.copy(k3, 0, 14, 16);
  return Buffer.concat([des7(key16.subarray(0, 7), data8), des7(key16.subarray(7, 14), data8), des7(k3, data8)]);
}

export interface V1Responses {
  nt: Buffer;
  lm: Buffer;
  sessionBaseKey: Buffer;
}

/** NTLM v1 responses (MS-NLMP 3.3.1), with or without extended session security. */
export function computeV1(
  flags: number,
  responseKeyNT: Buffer,
  responseKeyLM: Buffer,
  serverChallenge: Buffer,
  clientChallenge: Buffer,
): V1Responses {
  if (flags & F.EXTENDED_SESSIONSECURITY) {
    const nt = DESL(responseKeyNT, md5(serverChallenge, clientChallenge).subarray(0, 8));
    return { nt, lm: Buffer.concat([clientChallenge, Buffer.alloc(16)]), sessionBaseKey: md4(responseKeyNT) };
  }
  return { nt: DESL(responseKeyNT, serverChallenge), lm: DESL(responseKeyLM, serverChallenge), sessionBaseKey: md4(responseKeyNT) };
}

/** The NTLMv2 client blob ("temp" in MS-NLMP 3.3.2) up to and including its trailing zeros. */
export function ntlmv2Temp(time: Buffer, clientChallenge: Buffer, avPairs: Buffer): Buffer {
  return Buffer.concat([Buffer.from([1, 1]), Buffer.alloc(6), time, clientChallenge, Buffer.alloc(4), avPairs, Buffer.alloc(4)]);
}

export interface V2Responses {
  ntProofStr: Buffer;
  nt: Buffer;
  lm: Buffer;
  sessionBaseKey: Buffer;
}

/** NTLM v2 responses (MS-NLMP 3.3.2) for a given client blob. */
export function computeV2(responseKeyNT: Buffer, serverChallenge: Buffer, clientChallenge: Buffer, temp: Buffer): V2Responses {
  const ntProofStr = hmacMd5(responseKeyNT, serverChallenge, temp);
  return {
    ntProofStr,
    nt: Buffer.concat([ntProofStr, temp]),
    lm: Buffer.concat([hmacMd5(responseKeyNT, serverChallenge, clientChallenge), clientChallenge]),
    sessionBaseKey: hmacMd5(responseKeyNT, ntProofStr),
  };
}

/** KXKEY (MS-NLMP 3.4.5.1). `v2` selects NTLMv2, whose key exchange key is the session base key. */
export function KXKEY(flags: number, sessionBaseKey: Buffer, lmChallengeResponse: Buffer, serverChallenge: Buffer, lmowf: Buffer, v2: boolean): Buffer {
  if (v2) return sessionBaseKey;
  if (flags & F.EXTENDED_SESSIONSECURITY) return hmacMd5(sessionBaseKey, serverChallenge, lmChallengeResponse.subarray(0, 8));
  if (flags & F.LM_KEY) {
    const lm8 = lmChallengeResponse.subarray(0, 8);
    return Buffer.concat([des7(lmowf.subarray(0, 7), lm8), des7(Buffer.concat([lmowf.subarray(7, 8), Buffer.alloc(6, 0xbd)]), lm8)]);
  }
  if (flags & F.REQUEST_NON_NT_SESSION_KEY) return Buffer.concat([lmowf.subarray(0, 8), Buffer.alloc(8)]);
  return sessionBaseKey;
}

export type Direction = 'client' | 'server';

/** The magic constants of SIGNKEY and SEALKEY (MS-NLMP 3.4.5.2, 3.4.5.3), as octets once. */
const MAGIC = {
  sign: {
    client: Buffer.from('session key to client-to-server signing key magic constant\0', 'latin1'),
    server: Buffer.from('session key to server-to-client signing key magic constant\0', 'latin1'),
  },
  seal: {
    client: Buffer.from('session key to client-to-server sealing key magic constant\0', 'latin1'),
    server: Buffer.from('session key to server-to-client sealing key magic constant\0', 'latin1'),
  },
};

/** SIGNKEY: undefined without extended session security (the session key signs). */
export function SIGNKEY(flags: number, exportedSessionKey: Buffer, dir: Direction): Buffer | undefined {
  if (!(flags & F.EXTENDED_SESSIONSECURITY)) return undefined;
  return md5(exportedSessionKey, MAGIC.sign[dir]);
}

export function SEALKEY(flags: number, exportedSessionKey: Buffer, dir: Direction): Buffer {
  if (flags & F.EXTENDED_SESSIONSECURITY) {
    const k = flags & F.N128 ? exportedSessionKey : flags & F.N56 ? exportedSessionKey.subarray(0, 7) : exportedSessionKey.subarray(0, 5);
    return md5(k, MAGIC.seal[dir]);
  }
  if (flags & F.LM_KEY) {
    return flags & F.N56
      ? Buffer.concat([exportedSessionKey.subarray(0, 7), Buffer.from([0xa0])])
      : Buffer.concat([exportedSessionKey.subarray(0, 5), Buffer.from([0xe5, 0x38, 0xb0])]);
  }
  return exportedSessionKey;
}

/**
 * One direction of an NTLM session's message security: its signing key, its RC4 sealing
 * handle and its sequence number (MS-NLMP 3.4.2 - 3.4.4, connection-oriented).
 */
export class NtlmDirection {
  seq = 0;
  private readonly hmac: HmacMd5 | undefined;
  private readonly seqBuf = Buffer.alloc(4);
  private readonly checksumBuf = Buffer.alloc(8);

  constructor(
    readonly flags: number,
    readonly signingKey: Buffer | undefined,
    readonly handle: Rc4,
  ) {
    this.hmac = signingKey ? new HmacMd5(signingKey) : undefined;
  }

  /** MAC(Handle, SigningKey, SeqNum, Message): the 16-byte NTLMSSP_MESSAGE_SIGNATURE; advances the sequence. */
  mac(message: Uint8Array | Uint8Array[]): Buffer {
    return this.finish(this.checksum(Array.isArray(message) ? message : [message]));
  }

  /**
   * SEAL (MS-NLMP 3.4.3): the signature of the plaintext `message` (which contains `body`),
   * with `body` encrypted in place. The keystream is spent on the body first, then on the
   * checksum, as both ends must agree.
   */
  seal(message: Uint8Array[], body: Buffer): Buffer {
    const seq = this.checksum(message);
    this.crypt(body);
    return this.finish(seq);
  }

  /** The receiving side of seal: decrypts `body` in place, then returns the expected signature. */
  unseal(message: Uint8Array[], body: Buffer): Buffer {
    this.crypt(body);
    return this.finish(this.checksum(message));
  }

  /** Computes the raw checksum of `parts` into checksumBuf; returns the sequence number used. */
  private checksum(parts: Uint8Array[]): number {
    const seq = this.seq;
    this.seq = (this.seq + 1) >>> 0;
    if (this.flags & F.EXTENDED_SESSIONSECURITY) {
      this.seqBuf.writeUInt32LE(seq, 0);
      const digest = Buffer.allocUnsafe(16);
      this.hmac!.macInto([this.seqBuf, ...parts], digest);
      digest.copy(this.checksumBuf, 0, 0, 8);
      return seq;
    }
    let crc = 0;
    for (const p of parts) crc = crc32(p, crc);
    this.checksumBuf.writeUInt32LE(crc >>> 0, 0);
    return seq;
  }

  private finish(seq: number): Buffer {
    const sig = Buffer.alloc(16);
    sig.writeUInt32LE(1, 0);
    if (this.flags & F.EXTENDED_SESSIONSECURITY) {
      if (this.flags & F.KEY_EXCH) this.handle.process(this.checksumBuf, sig.subarray(4, 12));
      else this.checksumBuf.copy(sig, 4);
      sig.writeUInt32LE(seq, 12);
      return sig;
    }
    const plain = Buffer.alloc(12);
    this.checksumBuf.copy(plain, 4, 0, 4);
    const enc = this.handle.process(plain);
    // RandomPad's keystream is consumed but the field goes out as zero; the sequence
    // number is XORed into the keystream's last word.
    Buffer.from(enc.subarray(4, 8)).copy(sig, 8);
    sig.writeUInt32LE((Buffer.from(enc.subarray(8, 12)).readUInt32LE(0) ^ seq) >>> 0, 12);
    return sig;
  }

  /** RC4 over data in place (sealing or unsealing). */
  crypt(data: Buffer): void {
    this.handle.process(data, data);
  }
}

export interface SessionKeys {
  send: NtlmDirection;
  recv: NtlmDirection;
}

/** Both directions of a session, for the side `self`. Without ESS, one RC4 handle serves both. */
export function sessionKeys(flags: number, exportedSessionKey: Buffer, self: Direction): SessionKeys {
  const other: Direction = self === 'client' ? 'server' : 'client';
  if (flags & F.EXTENDED_SESSIONSECURITY) {
    return {
      send: new NtlmDirection(flags, SIGNKEY(flags, exportedSessionKey, self), new Rc4(SEALKEY(flags, exportedSessionKey, self))),
      recv: new NtlmDirection(flags, SIGNKEY(flags, exportedSessionKey, other), new Rc4(SEALKEY(flags, exportedSessionKey, other))),
    };
  }
  const shared = new Rc4(SEALKEY(flags, exportedSessionKey, self));
  return { send: new NtlmDirection(flags, undefined, shared), recv: new NtlmDirection(flags, undefined, shared) };
}
