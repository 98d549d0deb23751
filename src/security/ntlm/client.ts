import { randomOctets } from '../../dcerpc/random.js';
import { MSV_AV, MSV_AV_FLAG_MIC_PRESENT, NTLMSSP_NEGOTIATE as F } from './constants.js';
import { NTOWFv1, NTOWFv2FromHash, computeV2, hmacMd5, ntlmv2Temp, sessionKeys, type SessionKeys } from './crypto.js';
import { rc4 } from '../crypto/rc4.js';
import { encodeAuthenticate, encodeAvPairs, encodeNegotiate, filetime, parseAvPairs, parseChallenge } from './messages.js';

export interface NtlmCredentials {
  user: string;
  domain: string;
  password?: string;
  ntHash?: Buffer;
  workstation?: string;
}

const CLIENT_FLAGS =
  F.UNICODE | F.REQUEST_TARGET | F.SIGN | F.SEAL | F.NTLM | F.ALWAYS_SIGN | F.EXTENDED_SESSIONSECURITY | F.TARGET_INFO | F.VERSION | F.N128 | F.KEY_EXCH | F.N56;

/**
 * An NTLMv2 client (MS-NLMP 3.1.5), with MIC: used by our own client, its tests and the
 * benchmark. `flags` may be narrowed to test what a server does with weaker clients.
 */
export class NtlmClientContext {
  private negotiateRaw: Buffer | undefined;
  keys: SessionKeys | undefined;
  negotiatedFlags = 0;
  exportedSessionKey: Buffer | undefined;

  constructor(
    private readonly creds: NtlmCredentials,
    private readonly flags = CLIENT_FLAGS,
  ) {}

  negotiate(): Buffer {
    this.negotiateRaw = encodeNegotiate(this.flags, Buffer.from([10, 0, 0x61, 0x4a, 0, 0, 0, 15]));
    return this.negotiateRaw;
  }

  /** `noMic`: an older client's AUTHENTICATE, with no MIC and no MsvAvFlags announcing one. */
  authenticate(challengeToken: Buffer, opts: { corruptMic?: boolean; noMic?: boolean } = {}): Buffer {
    const ch = parseChallenge(challengeToken);
    const flags = (this.flags & ch.flags) | F.NTLM | (ch.flags & F.UNICODE);
    const ntHash = this.creds.ntHash ?? NTOWFv1(this.creds.password ?? '');
    const responseKeyNT = NTOWFv2FromHash(ntHash, this.creds.user, this.creds.domain);
    const pairs = parseAvPairs(ch.targetInfo);
    const time = pairs.get(MSV_AV.Timestamp) ?? filetime();
    // Echo the server's AV pairs, announcing the MIC (MS-NLMP 3.1.5.1.2).
    const avFlags = Buffer.alloc(4);
    avFlags.writeUInt32LE(MSV_AV_FLAG_MIC_PRESENT, 0);
    const echoed: Array<[number, Buffer]> = [...pairs.entries()].filter(([id]) => id !== MSV_AV.Flags);
    if (!opts.noMic) echoed.push([MSV_AV.Flags, avFlags]);
    const clientChallenge = randomOctets(8);
    const temp = ntlmv2Temp(time, clientChallenge, encodeAvPairs(echoed).subarray(0, -4));
    const v2 = computeV2(responseKeyNT, ch.serverChallenge, clientChallenge, temp);
    let exported: Buffer = v2.sessionBaseKey;
    let encryptedRandomSessionKey: Buffer = Buffer.alloc(0);
    if (flags & F.KEY_EXCH) {
      exported = randomOctets(16);
      encryptedRandomSessionKey = rc4(v2.sessionBaseKey, exported);
    }
    const msg = encodeAuthenticate({
      flags,
      lmChallengeResponse: Buffer.alloc(24),
      ntChallengeResponse: v2.nt,
      domain: this.creds.domain,
      user: this.creds.user,
      workstation: this.creds.workstation ?? 'SCMPCLIENT',
      encryptedRandomSessionKey,
      version: Buffer.from([10, 0, 0x61, 0x4a, 0, 0, 0, 15]),
      withMic: !opts.noMic,
    });
    if (!opts.noMic) {
      const mic = hmacMd5(exported, this.negotiateRaw!, challengeToken, msg);
      if (opts.corruptMic) mic[0]! ^= 1;
      mic.copy(msg, 72);
    }
    this.negotiatedFlags = flags;
    this.exportedSessionKey = exported;
    this.keys = sessionKeys(flags, exported, 'client');
    return msg;
  }
}
