import { timingSafeEqual } from 'node:crypto';
import { AUTH_LEVEL } from '../../dcerpc/constants.js';
import type { PduProtection } from '../../dcerpc/auth.js';
import { NTLMSSP_NEGOTIATE as F } from './constants.js';
import { sessionKeys, type Direction, type SessionKeys } from './crypto.js';

/**
 * NTLM message security over DCE/RPC PDUs: the signature covers the whole PDU up to the
 * auth_value (header, body, pad, sec_trailer); sealing encrypts the body and its pad.
 * Call and packet levels are signed as integrity is, as Windows treats them for NTLM.
 */
export class NtlmPduProtection implements PduProtection {
  readonly signatureSize = 16;
  private keys: SessionKeys;

  constructor(
    readonly flags: number,
    /** MS-NLMP's ExportedSessionKey: what a capture's key file gives a reader (never logged). */
    readonly exportedSessionKey: Buffer,
    private readonly side: Direction,
  ) {
    this.keys = sessionKeys(flags, exportedSessionKey, side);
  }

  /**
   * Restarts both directions' RC4 state, as SPNEGO does once the mechListMIC has been
   * exchanged (MS-SPNG 3.3.5.1; Windows, and Samba's gensec_may_reset_crypto). With
   * `full`, the sequence numbers restart at 0 too; after a verified mechListMIC Windows
   * keeps them, so the first protected PDU carries sequence 1 (Samba's CVE-2016-2110 work).
   */
  reset(full: boolean): void {
    const sendSeq = this.keys.send.seq;
    const recvSeq = this.keys.recv.seq;
    this.keys = sessionKeys(this.flags, this.exportedSessionKey, this.side);
    if (!full) {
      this.keys.send.seq = sendSeq;
      this.keys.recv.seq = recvSeq;
    }
  }

  /** GSS_GetMIC over arbitrary data (SPNEGO's mechListMIC). */
  getMic(data: Buffer): Buffer {
    return this.keys.send.mac(data);
  }

  verifyMic(data: Buffer, mic: Buffer): boolean {
    const expected = this.keys.recv.mac(data);
    return mic.length === 16 && timingSafeEqual(expected, mic);
  }

  canProtect(level: number): boolean {
    if (level >= AUTH_LEVEL.pkt_privacy) return (this.flags & F.SEAL) !== 0 && (this.flags & F.SIGN) !== 0;
    if (level >= AUTH_LEVEL.call) return (this.flags & F.SIGN) !== 0;
    return true;
  }

  verify(level: number, pdu: Buffer, bodyStart: number, bodyEnd: number, sigAt: number): boolean {
    if (sigAt + 16 > pdu.length || bodyEnd < bodyStart) return false;
    const message = pdu.subarray(0, sigAt);
    const expected =
      level >= AUTH_LEVEL.pkt_privacy ? this.keys.recv.unseal([message], pdu.subarray(bodyStart, bodyEnd)) : this.keys.recv.mac(message);
    return timingSafeEqual(expected, pdu.subarray(sigAt, sigAt + 16));
  }

  protect(level: number, pdu: Buffer, bodyStart: number, bodyEnd: number, sigAt: number): void {
    const message = pdu.subarray(0, sigAt);
    const sig =
      level >= AUTH_LEVEL.pkt_privacy ? this.keys.send.seal([message], pdu.subarray(bodyStart, bodyEnd)) : this.keys.send.mac(message);
    sig.copy(pdu, sigAt);
  }
}
