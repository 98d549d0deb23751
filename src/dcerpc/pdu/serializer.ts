import { writeGuid, type Guid } from '../../ndr/guid.js';
import { COMMON_HEADER_SIZE, PFC, PTYPE, RPC_VERSION, RPC_VERSION_MINOR, SEC_TRAILER_SIZE } from '../constants.js';
import type { ContextElem, ContextResult, SyntaxId } from './types.js';

/**
 * Writes PDUs. Everything we send is little-endian (drep 10 00 00 00). When an auth
 * verifier goes out, the body is padded so that the sec_trailer starts on a `padTo`
 * boundary counted from the start of the body, and auth_pad_length says by how much.
 */
export interface OutAuth {
  authType: number;
  authLevel: number;
  authContextId: number;
  /** The token, or for a signed or sealed PDU a zeroed placeholder of the signature's size. */
  authValue: Buffer;
  /** Alignment of the sec_trailer: 16 (from the stub) for request/response, else 4 (from the body). */
  padTo?: number;
}

/**
 * MS-RPCE 2.2.2.11: in request and response PDUs the sec_trailer is 16-byte aligned, counted
 * from the start of the stub (Samba DCERPC_AUTH_PAD_ALIGNMENT; what Windows sends).
 */
const STUB_AUTH_PAD = 16;

function frame(
  ptype: number,
  flags: number,
  callId: number,
  body: Buffer[],
  auth?: OutAuth,
  bodyStart = COMMON_HEADER_SIZE,
  bigEndian = false,
): Buffer {
  let bodyLen = 0;
  for (const b of body) bodyLen += b.length;
  let pad = 0;
  if (auth) {
    const to = auth.padTo ?? 4;
    pad = (to - ((bodyLen - (bodyStart - COMMON_HEADER_SIZE)) % to)) % to;
  }
  const authLen = auth ? auth.authValue.length : 0;
  const total = COMMON_HEADER_SIZE + bodyLen + (auth ? pad + SEC_TRAILER_SIZE + authLen : 0);
  if (total > 0xffff) throw new RangeError(`PDU of ${total} bytes exceeds frag_length`);
  const out = Buffer.allocUnsafe(total);
  out[0] = RPC_VERSION;
  out[1] = RPC_VERSION_MINOR;
  out[2] = ptype;
  out[3] = flags;
  if (bigEndian) {
    out.writeUInt32LE(0x00000000, 4);
    out.writeUInt16BE(total, 8);
    out.writeUInt16BE(authLen, 10);
    out.writeUInt32BE(callId >>> 0, 12);
  } else {
    out.writeUInt32LE(0x00000010, 4);
    out.writeUInt16LE(total, 8);
    out.writeUInt16LE(authLen, 10);
    out.writeUInt32LE(callId >>> 0, 12);
  }
  let at = COMMON_HEADER_SIZE;
  for (const b of body) {
    b.copy(out, at);
    at += b.length;
  }
  if (auth) {
    out.fill(0, at, at + pad);
    at += pad;
    out[at] = auth.authType;
    out[at + 1] = auth.authLevel;
    out[at + 2] = pad;
    out[at + 3] = 0;
    if (bigEndian) out.writeUInt32BE(auth.authContextId >>> 0, at + 4);
    else out.writeUInt32LE(auth.authContextId >>> 0, at + 4);
    auth.authValue.copy(out, at + SEC_TRAILER_SIZE);
  }
  return out;
}

function syntaxBytes(s: SyntaxId, out: Buffer, at: number): void {
  writeGuid(out, at, s.uuid);
  out.writeUInt16LE(s.major, at + 16);
  out.writeUInt16LE(s.minor, at + 18);
}

export interface BindFields {
  callId: number;
  flags?: number;
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
  contexts: ContextElem[];
}

export function encodeBind(type: 'bind' | 'alter_context', f: BindFields, auth?: OutAuth): Buffer {
  let size = 12;
  for (const c of f.contexts) size += 24 + 20 * c.transferSyntaxes.length;
  const body = Buffer.alloc(size);
  body.writeUInt16LE(f.maxXmitFrag, 0);
  body.writeUInt16LE(f.maxRecvFrag, 2);
  body.writeUInt32LE(f.assocGroupId >>> 0, 4);
  body[8] = f.contexts.length;
  let at = 12;
  for (const c of f.contexts) {
    body.writeUInt16LE(c.contextId, at);
    body[at + 2] = c.transferSyntaxes.length;
    syntaxBytes(c.abstractSyntax, body, at + 4);
    at += 24;
    for (const t of c.transferSyntaxes) {
      syntaxBytes(t, body, at);
      at += 20;
    }
  }
  const flags = f.flags ?? PFC.FIRST_FRAG | PFC.LAST_FRAG;
  return frame(type === 'bind' ? PTYPE.bind : PTYPE.alter_context, flags, f.callId, [body], auth);
}

export interface BindAckFields {
  callId: number;
  flags?: number;
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
  secondaryAddress: string;
  results: ContextResult[];
}

export function encodeBindAck(type: 'bind_ack' | 'alter_context_resp', f: BindAckFields, auth?: OutAuth): Buffer {
  // sec_addr: a length that counts the terminating NUL, then the port string; an empty
  // address is a bare zero length. The result list starts on a 4-byte boundary.
  const addrLen = f.secondaryAddress.length === 0 ? 0 : f.secondaryAddress.length + 1;
  const afterAddr = 8 + 2 + addrLen;
  const resultsAt = (afterAddr + 3) & ~3;
  const body = Buffer.alloc(resultsAt + 4 + 24 * f.results.length);
  body.writeUInt16LE(f.maxXmitFrag, 0);
  body.writeUInt16LE(f.maxRecvFrag, 2);
  body.writeUInt32LE(f.assocGroupId >>> 0, 4);
  body.writeUInt16LE(addrLen, 8);
  if (addrLen) body.write(f.secondaryAddress, 10, 'latin1');
  body[resultsAt] = f.results.length;
  let at = resultsAt + 4;
  for (const r of f.results) {
    body.writeUInt16LE(r.result, at);
    body.writeUInt16LE(r.reason, at + 2);
    syntaxBytes(r.transferSyntax, body, at + 4);
    at += 24;
  }
  const flags = f.flags ?? PFC.FIRST_FRAG | PFC.LAST_FRAG;
  return frame(type === 'bind_ack' ? PTYPE.bind_ack : PTYPE.alter_context_resp, flags, f.callId, [body], auth);
}

export function encodeBindNak(callId: number, reason: number, versions: Array<{ major: number; minor: number }> = [{ major: 5, minor: 0 }]): Buffer {
  // Windows pads the body to 8 octets (one version, three zero octets): frag_length 24.
  const body = Buffer.alloc((3 + 2 * versions.length + 3) & ~3);
  body.writeUInt16LE(reason, 0);
  body[2] = versions.length;
  versions.forEach((v, i) => {
    body[3 + 2 * i] = v.major;
    body[4 + 2 * i] = v.minor;
  });
  return frame(PTYPE.bind_nak, PFC.FIRST_FRAG | PFC.LAST_FRAG, callId, [body]);
}

export interface RequestFields {
  callId: number;
  flags: number;
  allocHint: number;
  contextId: number;
  opnum: number;
  object?: Guid;
  stub: Buffer;
  /** Sends the header in big-endian order (drep 00 00 00 00); the stub must already be big-endian. */
  bigEndian?: boolean;
}

export function encodeRequest(f: RequestFields, auth?: OutAuth): Buffer {
  const hdr = Buffer.allocUnsafe(f.object ? 24 : 8);
  if (f.bigEndian) {
    hdr.writeUInt32BE(f.allocHint >>> 0, 0);
    hdr.writeUInt16BE(f.contextId, 4);
    hdr.writeUInt16BE(f.opnum, 6);
  } else {
    hdr.writeUInt32LE(f.allocHint >>> 0, 0);
    hdr.writeUInt16LE(f.contextId, 4);
    hdr.writeUInt16LE(f.opnum, 6);
  }
  if (f.object) {
    writeGuid(hdr, 8, f.object);
    if (f.bigEndian) {
      hdr.subarray(8, 12).reverse();
      hdr.subarray(12, 14).reverse();
      hdr.subarray(14, 16).reverse();
    }
  }
  const flags = f.object ? f.flags | PFC.OBJECT_UUID : f.flags & ~PFC.OBJECT_UUID;
  const a = auth && { ...auth, padTo: auth.padTo ?? STUB_AUTH_PAD };
  return frame(PTYPE.request, flags, f.callId, [hdr, f.stub], a, COMMON_HEADER_SIZE + hdr.length, f.bigEndian);
}

export interface ResponseFields {
  callId: number;
  flags: number;
  allocHint: number;
  contextId: number;
  cancelCount?: number;
  stub: Buffer;
}

export function encodeResponse(f: ResponseFields, auth?: OutAuth): Buffer {
  const hdr = Buffer.allocUnsafe(8);
  hdr.writeUInt32LE(f.allocHint >>> 0, 0);
  hdr.writeUInt16LE(f.contextId, 4);
  hdr[6] = f.cancelCount ?? 0;
  hdr[7] = 0;
  const a = auth && { ...auth, padTo: auth.padTo ?? STUB_AUTH_PAD };
  return frame(PTYPE.response, f.flags, f.callId, [hdr, f.stub], a, COMMON_HEADER_SIZE + 8);
}

export interface FaultFields {
  callId: number;
  flags?: number;
  contextId: number;
  status: number;
  cancelCount?: number;
}

export function encodeFault(f: FaultFields, auth?: OutAuth): Buffer {
  const body = Buffer.alloc(16);
  // alloc_hint covers the whole fault PDU (MS-RPCE 2.2.2.8 sizes extended error data as alloc_hint - 0x20).
  body.writeUInt32LE(COMMON_HEADER_SIZE + 16, 0);
  body.writeUInt16LE(f.contextId, 4);
  body[6] = f.cancelCount ?? 0;
  body.writeUInt32LE(f.status >>> 0, 8);
  const flags = f.flags ?? PFC.FIRST_FRAG | PFC.LAST_FRAG;
  return frame(PTYPE.fault, flags, f.callId, [body], auth);
}

export function encodeAuth3(callId: number, auth: OutAuth): Buffer {
  // rpc_auth_3 carries four pad octets before the sec_trailer (MS-RPCE 2.2.2.10).
  return frame(PTYPE.rpc_auth_3, PFC.FIRST_FRAG | PFC.LAST_FRAG, callId, [Buffer.alloc(4)], { ...auth, padTo: 4 });
}

export function encodeBodiless(type: 'shutdown' | 'co_cancel' | 'orphaned', callId: number, flags = PFC.FIRST_FRAG | PFC.LAST_FRAG): Buffer {
  const ptype = type === 'shutdown' ? PTYPE.shutdown : type === 'co_cancel' ? PTYPE.co_cancel : PTYPE.orphaned;
  return frame(ptype, flags, callId, []);
}
