import type { Guid } from '../../ndr/guid.js';
import { NdrWriter } from '../../ndr/writer.js';
import { COMMON_HEADER_SIZE, DREP_LITTLE_ENDIAN, PFC, PTYPE, RPC_VERSION_MINOR, SEC_TRAILER_SIZE } from '../constants.js';
import { AUTH_VERIFIER, COMMON_HEADER, FAULT_BODY, PDU_KINDS, type Body } from './layouts.js';
import type { BindAckPdu, BindNakPdu, BindPdu, ContextElem, ContextResult, FaultPdu, Pdu, RequestPdu, ResponsePdu } from './types.js';

/**
 * Writes PDUs. Everything we send is little-endian (drep 10 00 00 00), but for a request
 * asked to be big-endian. When an auth verifier goes out, the body is padded so that the
 * sec_trailer starts on a `padTo` boundary counted from the start of the stub (request,
 * response) or of the body (the rest), and auth_pad_length says by how much.
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
 * Writes one PDU of any PTYPE by the layouts of layouts.ts: the body, then the auth padding
 * and the verifier, then — once frag_length is known — the common header in front.
 * Little-endian unless `bigEndian` (for tests of a peer's big-endian path). The encode*
 * functions below are this with each PDU's defaults.
 */
export function encodePdu<P extends Pdu>(ptype: number, flags: number, callId: number, body: Body<P>, auth?: OutAuth, bigEndian = false): Buffer {
  const kind = PDU_KINDS[ptype];
  if (kind === undefined) throw new RangeError(`PDU type ${ptype} is not a connection-oriented PDU`);
  const stub = (body as { stub?: Buffer }).stub;
  const authLength = auth ? auth.authValue.length : 0;
  // Exact for the PDUs sent most (a response, a fault, a request without object); the
  // writer grows for the rest.
  let size = COMMON_HEADER_SIZE + kind.body.minSize;
  if (stub) size += stub.length;
  if (auth) {
    const to = auth.padTo ?? kind.authPad.to;
    size += (stub && kind.authPad.from === 'stub' ? (to - (stub.length % to)) % to : 0) + SEC_TRAILER_SIZE + authLength;
  }
  const w = new NdrWriter(size, !bigEndian);
  w.zeros(COMMON_HEADER_SIZE);
  kind.body.writeFrom(w, body);
  if (auth) {
    const to = auth.padTo ?? kind.authPad.to;
    const from = kind.authPad.from === 'stub' ? w.offset - stub!.length : COMMON_HEADER_SIZE;
    const pad = (to - ((w.offset - from) % to)) % to;
    w.zeros(pad);
    AUTH_VERIFIER.writeFrom(w, {
      authType: auth.authType,
      authLevel: auth.authLevel,
      authPadLength: pad,
      authReserved: 0,
      authContextId: auth.authContextId,
      authValue: auth.authValue,
    });
  }
  const total = w.offset;
  if (total > 0xffff) throw new RangeError(`PDU of ${total} bytes exceeds frag_length`);
  w.offset = 0;
  COMMON_HEADER.writeFrom(w, {
    rpcVersMinor: RPC_VERSION_MINOR,
    ptype,
    flags,
    drep: bigEndian ? 0 : DREP_LITTLE_ENDIAN,
    fragLength: total,
    authLength,
    callId: callId >>> 0,
  });
  w.offset = total;
  return w.finish();
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
  const flags = f.flags ?? PFC.FIRST_FRAG | PFC.LAST_FRAG;
  return encodePdu<BindPdu>(type === 'bind' ? PTYPE.bind : PTYPE.alter_context, flags, f.callId, f, auth);
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
  const flags = f.flags ?? PFC.FIRST_FRAG | PFC.LAST_FRAG;
  return encodePdu<BindAckPdu>(type === 'bind_ack' ? PTYPE.bind_ack : PTYPE.alter_context_resp, flags, f.callId, f, auth);
}

export function encodeBindNak(callId: number, reason: number, versions: Array<{ major: number; minor: number }> = [{ major: 5, minor: 0 }]): Buffer {
  return encodePdu<BindNakPdu>(PTYPE.bind_nak, PFC.FIRST_FRAG | PFC.LAST_FRAG, callId, { reason, versions });
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
  // PFC_OBJECT_UUID says whether the object field is there: it follows the object given.
  const flags = f.object ? f.flags | PFC.OBJECT_UUID : f.flags & ~PFC.OBJECT_UUID;
  return encodePdu<RequestPdu>(PTYPE.request, flags, f.callId, f, auth, f.bigEndian);
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
  const body = { allocHint: f.allocHint, contextId: f.contextId, cancelCount: f.cancelCount ?? 0, stub: f.stub };
  return encodePdu<ResponsePdu>(PTYPE.response, f.flags, f.callId, body, auth);
}

export interface FaultFields {
  callId: number;
  flags?: number;
  contextId: number;
  status: number;
  cancelCount?: number;
}

const NO_STUB = Buffer.alloc(0);
/** alloc_hint covers the whole fault PDU (MS-RPCE 2.2.2.8 sizes extended error data as alloc_hint - 0x20). */
const FAULT_ALLOC_HINT = COMMON_HEADER_SIZE + FAULT_BODY.minSize;

export function encodeFault(f: FaultFields, auth?: OutAuth): Buffer {
  const flags = f.flags ?? PFC.FIRST_FRAG | PFC.LAST_FRAG;
  const body = { allocHint: FAULT_ALLOC_HINT, contextId: f.contextId, cancelCount: f.cancelCount ?? 0, faultFlags: 0, status: f.status >>> 0, stub: NO_STUB };
  return encodePdu<FaultPdu>(PTYPE.fault, flags, f.callId, body, auth);
}

export function encodeAuth3(callId: number, auth: OutAuth): Buffer {
  // The sec_trailer of rpc_auth_3 follows its four pad octets at once (MS-RPCE 2.2.2.10).
  return encodePdu(PTYPE.rpc_auth_3, PFC.FIRST_FRAG | PFC.LAST_FRAG, callId, {}, { ...auth, padTo: 4 });
}

export function encodeBodiless(type: 'shutdown' | 'co_cancel' | 'orphaned', callId: number, flags = PFC.FIRST_FRAG | PFC.LAST_FRAG): Buffer {
  const ptype = type === 'shutdown' ? PTYPE.shutdown : type === 'co_cancel' ? PTYPE.co_cancel : PTYPE.orphaned;
  return encodePdu(ptype, flags, callId, {});
}
