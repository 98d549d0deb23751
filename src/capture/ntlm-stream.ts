/**
 * One direction of an NTLM session as a reader of both directions sees it: the receiving
 * half of what the peer's sender did (MS-NLMP 3.4, connection-oriented). It is the
 * receiving side of src/security/ntlm's NtlmDirection, plus what only a reader needs:
 * SPNEGO's mechListMIC effect reproduced, and a way back into the RC4 keystream after bytes
 * were lost in a gap (the keystream is one running stream per direction).
 */
import { timingSafeEqual } from 'node:crypto';
import { AUTH_LEVEL } from '../dcerpc/constants.js';
import { NTLMSSP_NEGOTIATE as F } from '../security/ntlm/constants.js';
import { sessionKeys, type Direction, type NtlmDirection } from '../security/ntlm/crypto.js';
import type { NtlmKey } from './keys.js';

/** NTLMSSP_MESSAGE_SIGNATURE. */
const SIGNATURE_SIZE = 16;

export class NtlmStreamVerifier {
  private dir: NtlmDirection;
  /** RC4 keystream octets spent since the handle was (re)started. */
  private used = 0;

  /** `sender`: whose messages this verifies ('client' for requests, 'server' for responses). */
  constructor(
    readonly key: NtlmKey,
    private readonly sender: Direction,
  ) {
    this.dir = this.fresh();
  }

  private fresh(): NtlmDirection {
    // The receiving direction of the other side is the sender's direction.
    const self: Direction = this.sender === 'client' ? 'server' : 'client';
    return sessionKeys(this.key.negotiateFlags, this.key.exportedSessionKey, self).recv;
  }

  private get keyExch(): boolean {
    return (this.key.negotiateFlags & F.EXTENDED_SESSIONSECURITY) !== 0 && (this.key.negotiateFlags & F.KEY_EXCH) !== 0;
  }

  /**
   * SPNEGO's mechListMIC as the server handles it: the MIC is checked (spending a sequence
   * number), then the RC4 state restarts while sequence numbers carry on (MS-SPNG 3.3.5.1,
   * src/security/spnego/rpc.ts). False when the MIC does not match this key.
   */
  mechListMic(mechTypesDer: Buffer | undefined, mic: Buffer): boolean {
    const ok = mechTypesDer !== undefined && mic.length === SIGNATURE_SIZE && timingSafeEqual(this.dir.mac(mechTypesDer), mic);
    this.restart(this.dir.seq);
    return ok;
  }

  /** A restarted RC4 handle at sequence number `seq` (a context whose handshake the capture lacks). */
  restart(seq: number): void {
    this.dir = this.fresh();
    this.dir.seq = seq;
    this.used = 0;
  }

  /** The keystream one PDU spends: the sealed body at privacy, and the checksum under KEY_EXCH. */
  private spend(level: number, sealed: number): number {
    return (level >= AUTH_LEVEL.pkt_privacy ? sealed : 0) + (this.keyExch ? 8 : 0);
  }

  /** Checks a fragment (unsealing [bodyStart, bodyEnd) in place at privacy), as NtlmPduProtection.verify. */
  verify(level: number, pdu: Buffer, bodyStart: number, bodyEnd: number, sigAt: number): boolean {
    if (sigAt + SIGNATURE_SIZE > pdu.length || bodyEnd < bodyStart) return false;
    const message = pdu.subarray(0, sigAt);
    const expected = level >= AUTH_LEVEL.pkt_privacy ? this.dir.unseal([message], pdu.subarray(bodyStart, bodyEnd)) : this.dir.mac(message);
    this.used += this.spend(level, bodyEnd - bodyStart);
    return timingSafeEqual(expected, pdu.subarray(sigAt, sigAt + SIGNATURE_SIZE));
  }

  /**
   * After a gap: `lost` octets of this direction are gone, all of them (the caller hopes)
   * protected fragments of this context. The next fragment's signature carries its sequence
   * number in clear (with extended session security), which says how many were lost; the
   * keystream they spent follows from their total length, up to which of them carried an
   * object UUID. Each candidate is tried on a copy of the next fragment; the one whose
   * verifier matches is kept. False when none does (the direction stays unreadable).
   * `lost` < 0: an unknown number of octets (only a context that lost nothing recovers).
   */
  recover(lost: number, level: number, pdu: Buffer, bodyStart: number, bodyEnd: number, sigAt: number, maxKeystream: number): boolean {
    if (!(this.key.negotiateFlags & F.EXTENDED_SESSIONSECURITY) || sigAt + SIGNATURE_SIZE > pdu.length) return false;
    const seq = pdu.readUInt32LE(sigAt + 12);
    const k = (seq - this.dir.seq) >>> 0;
    if (k === 0) return this.verify(level, pdu, bodyStart, bodyEnd, sigAt);
    if (lost < 0 || k > 1024) return false;
    // Per lost fragment: header 16 + call header 8 (+16 with an object UUID) + sec_trailer 8 + signature 16.
    const candidates: number[] = [];
    for (let j = 0; j <= k; j++) {
      const sealed = lost - 48 * k - 16 * j;
      if (sealed < 0) break;
      candidates.push(level >= AUTH_LEVEL.pkt_privacy ? sealed + (this.keyExch ? 8 * k : 0) : this.keyExch ? 8 * k : 0);
      if (level < AUTH_LEVEL.pkt_privacy) break;
    }
    for (const extra of candidates) {
      const skip = this.used + extra;
      if (skip > maxKeystream) continue;
      const trial = this.fresh();
      trial.seq = seq;
      if (skip > 0) trial.crypt(Buffer.alloc(skip));
      const copy = Buffer.from(pdu);
      const message = copy.subarray(0, sigAt);
      const expected = level >= AUTH_LEVEL.pkt_privacy ? trial.unseal([message], copy.subarray(bodyStart, bodyEnd)) : trial.mac(message);
      if (!timingSafeEqual(expected, copy.subarray(sigAt, sigAt + SIGNATURE_SIZE))) continue;
      // Found: redo it on the real state so that the fragment is unsealed in place.
      this.dir = this.fresh();
      this.dir.seq = seq;
      if (skip > 0) this.dir.crypt(Buffer.alloc(skip));
      this.used = skip;
      return this.verify(level, pdu, bodyStart, bodyEnd, sigAt);
    }
    return false;
  }
}
