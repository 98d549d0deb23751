import { readGuid } from '../../ndr/guid.js';
import { COMMON_HEADER_SIZE, DREP_LITTLE_ENDIAN, PTYPE, PFC, RPC_VERSION, SEC_TRAILER_SIZE } from '../constants.js';
import { PduError } from './error.js';
import type { AuthVerifier, ContextElem, Pdu, PduHeader, SyntaxId } from './types.js';

/**
 * Reads one complete fragment. Every field honours the sender's integer byte order;
 * every length is checked against the fragment before it is used.
 */
class Cursor {
  constructor(
    readonly buf: Buffer,
    public at: number,
    readonly end: number,
    readonly le: boolean,
  ) {}
  need(n: number, what: string): void {
    if (this.at + n > this.end) throw new PduError(`${what} runs past the end of the PDU`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.at++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.le ? this.buf.readUInt16LE(this.at) : this.buf.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.le ? this.buf.readUInt32LE(this.at) : this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  guid(what: string): string {
    this.need(16, what);
    const g = readGuid(this.buf, this.at, this.le);
    this.at += 16;
    return g;
  }
  syntax(what: string): SyntaxId {
    const uuid = this.guid(what);
    const v = this.u32(what);
    return { uuid, major: v & 0xffff, minor: v >>> 16 };
  }
  align(n: number): void {
    this.at = (this.at + n - 1) & ~(n - 1);
  }
}

export function readHeader(buf: Buffer): PduHeader {
  if (buf.length < COMMON_HEADER_SIZE) throw new PduError('PDU shorter than the common header');
  const le = (buf[4]! & 0xf0) === DREP_LITTLE_ENDIAN;
  return {
    rpcVersMinor: buf[1]!,
    ptype: buf[2]!,
    flags: buf[3]!,
    // Byte 0: integer order (high nibble) and character set (low); byte 1: float format.
    drep: buf[4]! | (buf[5]! << 8),
    fragLength: le ? buf.readUInt16LE(8) : buf.readUInt16BE(8),
    authLength: le ? buf.readUInt16LE(10) : buf.readUInt16BE(10),
    callId: le ? buf.readUInt32LE(12) : buf.readUInt32BE(12),
  };
}

export function isLittleEndian(header: PduHeader): boolean {
  return (header.drep & 0xf0) === DREP_LITTLE_ENDIAN;
}

/**
 * Splits off the auth verifier: the sec_trailer sits auth_length + 8 bytes from the end of
 * the fragment. Returns where the body ends (before the sec_trailer).
 */
function readAuth(c: Cursor, header: PduHeader, bodyStart: number): { auth?: AuthVerifier; bodyEnd: number } {
  if (header.authLength === 0) return { bodyEnd: header.fragLength };
  const trailer = header.fragLength - header.authLength - SEC_TRAILER_SIZE;
  if (trailer < bodyStart) throw new PduError('auth_length leaves no room for the body');
  const buf = c.buf;
  const auth: AuthVerifier = {
    authType: buf[trailer]!,
    authLevel: buf[trailer + 1]!,
    authPadLength: buf[trailer + 2]!,
    authReserved: buf[trailer + 3]!,
    authContextId: c.le ? buf.readUInt32LE(trailer + 4) : buf.readUInt32BE(trailer + 4),
    authValue: buf.subarray(trailer + SEC_TRAILER_SIZE, header.fragLength),
  };
  return { auth, bodyEnd: trailer };
}

export function parsePdu(buf: Buffer): Pdu {
  const header = readHeader(buf);
  if (buf[0] !== RPC_VERSION) throw new PduError(`RPC version ${buf[0]} is not 5`);
  if (header.fragLength !== buf.length) throw new PduError('frag_length disagrees with the fragment');
  const le = isLittleEndian(header);
  const c = new Cursor(buf, COMMON_HEADER_SIZE, header.fragLength, le);
  const raw = buf;

  switch (header.ptype) {
    case PTYPE.bind:
    case PTYPE.alter_context: {
      const { auth, bodyEnd } = readAuth(c, header, COMMON_HEADER_SIZE + 8);
      const cc = new Cursor(buf, COMMON_HEADER_SIZE, bodyEnd, le);
      const maxXmitFrag = cc.u16('max_xmit_frag');
      const maxRecvFrag = cc.u16('max_recv_frag');
      const assocGroupId = cc.u32('assoc_group_id');
      const n = cc.u8('n_context_elem');
      cc.u8('reserved');
      cc.u16('reserved2');
      const contexts: ContextElem[] = [];
      for (let i = 0; i < n; i++) {
        const contextId = cc.u16('p_cont_id');
        const nts = cc.u8('n_transfer_syn');
        cc.u8('reserved');
        const abstractSyntax = cc.syntax('abstract_syntax');
        cc.need(nts * 20, 'transfer_syntaxes');
        const transferSyntaxes: SyntaxId[] = [];
        for (let j = 0; j < nts; j++) transferSyntaxes.push(cc.syntax('transfer_syntax'));
        contexts.push({ contextId, abstractSyntax, transferSyntaxes });
      }
      const type = header.ptype === PTYPE.bind ? 'bind' : 'alter_context';
      return { type, header, raw, auth, maxXmitFrag, maxRecvFrag, assocGroupId, contexts };
    }
    case PTYPE.bind_ack:
    case PTYPE.alter_context_resp: {
      const { auth, bodyEnd } = readAuth(c, header, COMMON_HEADER_SIZE + 10);
      const cc = new Cursor(buf, COMMON_HEADER_SIZE, bodyEnd, le);
      const maxXmitFrag = cc.u16('max_xmit_frag');
      const maxRecvFrag = cc.u16('max_recv_frag');
      const assocGroupId = cc.u32('assoc_group_id');
      const addrLen = cc.u16('sec_addr length');
      cc.need(addrLen, 'sec_addr');
      const secondaryAddress = buf.toString('latin1', cc.at, cc.at + Math.max(0, addrLen - 1));
      cc.at += addrLen;
      cc.align(4);
      const n = cc.u8('n_results');
      cc.u8('reserved');
      cc.u16('reserved2');
      cc.need(n * 24, 'p_result_list');
      const results = [];
      for (let i = 0; i < n; i++) {
        const result = cc.u16('result');
        const reason = cc.u16('reason');
        results.push({ result, reason, transferSyntax: cc.syntax('transfer_syntax') });
      }
      const type = header.ptype === PTYPE.bind_ack ? 'bind_ack' : 'alter_context_resp';
      return { type, header, raw, auth, maxXmitFrag, maxRecvFrag, assocGroupId, secondaryAddress, results };
    }
    case PTYPE.bind_nak: {
      const reason = c.u16('provider_reject_reason');
      const versions = [];
      if (c.at < c.end) {
        const n = c.u8('n_protocols');
        c.need(n * 2, 'p_protocols');
        for (let i = 0; i < n; i++) versions.push({ major: c.u8('major'), minor: c.u8('minor') });
      }
      return { type: 'bind_nak', header, raw, reason, versions };
    }
    case PTYPE.request: {
      const hasObject = (header.flags & PFC.OBJECT_UUID) !== 0;
      const bodyStart = COMMON_HEADER_SIZE + 8 + (hasObject ? 16 : 0);
      const { auth, bodyEnd } = readAuth(c, header, bodyStart);
      const allocHint = c.u32('alloc_hint');
      const contextId = c.u16('p_cont_id');
      const opnum = c.u16('opnum');
      const object = hasObject ? c.guid('object') : undefined;
      const stubEnd = bodyEnd - (auth ? auth.authPadLength : 0);
      if (stubEnd < bodyStart) throw new PduError('auth_pad_length exceeds the stub');
      return { type: 'request', header, raw, auth, allocHint, contextId, opnum, object, stub: buf.subarray(bodyStart, stubEnd) };
    }
    case PTYPE.response: {
      const bodyStart = COMMON_HEADER_SIZE + 8;
      const { auth, bodyEnd } = readAuth(c, header, bodyStart);
      const allocHint = c.u32('alloc_hint');
      const contextId = c.u16('p_cont_id');
      const cancelCount = c.u8('cancel_count');
      c.u8('reserved');
      const stubEnd = bodyEnd - (auth ? auth.authPadLength : 0);
      if (stubEnd < bodyStart) throw new PduError('auth_pad_length exceeds the stub');
      return { type: 'response', header, raw, auth, allocHint, contextId, cancelCount, stub: buf.subarray(bodyStart, stubEnd) };
    }
    case PTYPE.fault: {
      const bodyStart = COMMON_HEADER_SIZE + 16;
      const { auth, bodyEnd } = readAuth(c, header, bodyStart);
      const allocHint = c.u32('alloc_hint');
      const contextId = c.u16('p_cont_id');
      const cancelCount = c.u8('cancel_count');
      const faultFlags = c.u8('fault_flags');
      const status = c.u32('status');
      c.u32('reserved');
      const stubEnd = bodyEnd - (auth ? auth.authPadLength : 0);
      return {
        type: 'fault',
        header,
        raw,
        auth,
        allocHint,
        contextId,
        cancelCount,
        faultFlags,
        status,
        stub: buf.subarray(bodyStart, Math.max(bodyStart, stubEnd)),
      };
    }
    case PTYPE.rpc_auth_3: {
      const { auth } = readAuth(c, header, COMMON_HEADER_SIZE);
      return { type: 'auth3', header, raw, auth };
    }
    case PTYPE.shutdown:
    case PTYPE.co_cancel:
    case PTYPE.orphaned: {
      const { auth } = readAuth(c, header, COMMON_HEADER_SIZE);
      const type = header.ptype === PTYPE.shutdown ? 'shutdown' : header.ptype === PTYPE.co_cancel ? 'co_cancel' : 'orphaned';
      return { type, header, raw, auth };
    }
    default:
      throw new PduError(`PDU type ${header.ptype} is not a connection-oriented PDU`);
  }
}
