import type { NdrType } from '../../ndr/type.js';
import { GUID, u16, u32, u8 } from '../../ndr/primitives.js';
import { DREP_LITTLE_ENDIAN, PFC, PTYPE, RPC_VERSION } from '../constants.js';
import { PduError } from './error.js';
import { compileShell } from './compile.js';
import { align, custom, filler, layout, reserved, type Field, type Layout } from './layout.js';
import type {
  Auth3Pdu,
  AuthVerifier,
  BindAckPdu,
  BindNakPdu,
  BindPdu,
  BodilessPdu,
  ContextElem,
  ContextResult,
  FaultPdu,
  Pdu,
  PduHeader,
  RequestPdu,
  ResponsePdu,
  SyntaxId,
} from './types.js';

/**
 * Every connection-oriented PDU of C706 chapter 12.6 with MS-RPCE 2.2.2's additions,
 * declared once; parser.ts reads and serializer.ts writes with these declarations only.
 * Field names are the spec's; the keys are those of the Pdu types.
 */

/** A PDU's fields after the common header and before the verifier. */
export type Body<P extends Pdu> = Omit<P, 'type' | 'header' | 'raw' | 'auth'>;

/**
 * packed_drep (C706 14.1): octet 0 holds the integer byte order (high nibble) and the
 * character set (low), octet 1 the float format, octets 2-3 are reserved. As a number:
 * octet 0 in bits 0-7, octet 1 in bits 8-15. It decides the byte order of every integer
 * after it in the PDU, so reading (or writing) it sets the stream's order.
 */
const packed_drep: NdrType<number> = {
  name: 'packed_drep',
  align: 1,
  minSize: 4,
  conformant: false,
  deferred: false,
  readScalars(r) {
    const intChar = r.u8();
    const float = r.u8();
    r.u8();
    r.u8();
    r.littleEndian = (intChar & 0xf0) === DREP_LITTLE_ENDIAN;
    return intChar | (float << 8);
  },
  writeScalars(w, v) {
    w.littleEndian = (v & 0xf0) === DREP_LITTLE_ENDIAN;
    w.u8(v & 0xff);
    w.u8((v >>> 8) & 0xff);
    w.u8(0);
    w.u8(0);
  },
  readBuffers: (_r, v) => v,
  writeBuffers() {},
};

/** rpc_vers, checked: what parsePdu insists on. */
const rpcVersChecked = custom({
  name: 'rpc_vers',
  minSize: 1,
  read(r) {
    const v = r.u8();
    if (v !== RPC_VERSION) throw new PduError(`RPC version ${v} is not ${RPC_VERSION}`);
  },
  write(w) {
    w.u8(RPC_VERSION);
  },
});

function commonHeader(rpcVers: Field): Layout<PduHeader> {
  return layout<PduHeader>('common header', ($) => [
    rpcVers,
    $.field('rpc_vers_minor', 'rpcVersMinor', u8),
    $.field('PTYPE', 'ptype', u8),
    $.field('pfc_flags', 'flags', u8),
    $.field('packed_drep', 'drep', packed_drep),
    $.field('frag_length', 'fragLength', u16),
    $.field('auth_length', 'authLength', u16),
    $.field('call_id', 'callId', u32),
  ]);
}

/** The common header, read whatever rpc_vers says (the connection answers any PDU's call_id). */
export const COMMON_HEADER = commonHeader(reserved('rpc_vers', u8, RPC_VERSION));
/** The same, refusing an rpc_vers other than 5. */
export const COMMON_HEADER_CHECKED = commonHeader(rpcVersChecked);

/**
 * sec_trailer and the auth_value after it (MS-RPCE 2.2.2.11). Its offset is counted back
 * from the end of the PDU, so it is read with a reader of its own starting at the trailer.
 */
export const AUTH_VERIFIER = layout<AuthVerifier>('sec_trailer', ($) => [
  $.field('auth_type', 'authType', u8),
  $.field('auth_level', 'authLevel', u8),
  $.field('auth_pad_length', 'authPadLength', u8),
  $.field('auth_reserved', 'authReserved', u8),
  $.field('auth_context_id', 'authContextId', u32),
  $.rest('auth_value', 'authValue'),
]);

/** p_syntax_id_t's if_version: one u32, the major version in the low half, the minor in the high. */
const if_version = custom({
  name: 'if_version',
  minSize: 4,
  keys: ['major', 'minor'],
  read(r, into) {
    const v = r.u32();
    into.major = v & 0xffff;
    into.minor = v >>> 16;
  },
  write(w, v: SyntaxId) {
    w.u32((v.major & 0xffff) | ((v.minor & 0xffff) << 16));
  },
});

export const p_syntax_id_t = layout<SyntaxId>('p_syntax_id_t', ($) => [$.field('if_uuid', 'uuid', GUID), if_version]);

export const p_cont_elem_t = layout<ContextElem>('p_cont_elem_t', ($) => [
  $.field('p_cont_id', 'contextId', u16),
  $.count('n_transfer_syn', 'transferSyntaxes', u8),
  reserved('reserved', u8),
  $.field('abstract_syntax', 'abstractSyntax', p_syntax_id_t),
  $.list('transfer_syntaxes', 'transferSyntaxes', p_syntax_id_t),
]);

export const p_result_t = layout<ContextResult>('p_result_t', ($) => [
  $.field('result', 'result', u16),
  $.field('reason', 'reason', u16),
  $.field('transfer_syntax', 'transferSyntax', p_syntax_id_t),
]);

/**
 * port_any_t: a length that counts the terminating NUL, then the port string; an empty
 * address is a bare zero length. Read leniently: the octets before the last, as latin1.
 */
const port_any_t: NdrType<string> = {
  name: 'port_any_t',
  align: 2,
  minSize: 2,
  conformant: false,
  deferred: false,
  readScalars(r) {
    const length = r.u16();
    return r.bytes(length).toString('latin1', 0, Math.max(0, length - 1));
  },
  writeScalars(w, v) {
    if (v.length === 0) return w.u16(0);
    w.u16(v.length + 1);
    w.bytes(Buffer.from(`${v}\0`, 'latin1'));
  },
  readBuffers: (_r, v) => v,
  writeBuffers() {},
};

export const version_t = layout<{ major: number; minor: number }>('version_t', ($) => [$.field('major', 'major', u8), $.field('minor', 'minor', u8)]);

/** bind and alter_context (C706 12.6.4.3, 12.6.4.1). */
export const BIND_BODY = layout<Body<BindPdu>>('bind', ($) => [
  $.field('max_xmit_frag', 'maxXmitFrag', u16),
  $.field('max_recv_frag', 'maxRecvFrag', u16),
  $.field('assoc_group_id', 'assocGroupId', u32),
  // p_cont_list_t
  $.count('n_context_elem', 'contexts', u8),
  reserved('reserved', u8),
  reserved('reserved2', u16),
  $.list('p_cont_elem', 'contexts', p_cont_elem_t),
]);

/** bind_ack and alter_context_resp (C706 12.6.4.4, 12.6.4.2). */
export const BIND_ACK_BODY = layout<Body<BindAckPdu>>('bind_ack', ($) => [
  $.field('max_xmit_frag', 'maxXmitFrag', u16),
  $.field('max_recv_frag', 'maxRecvFrag', u16),
  $.field('assoc_group_id', 'assocGroupId', u32),
  $.field('sec_addr', 'secondaryAddress', port_any_t),
  align('pad2', 4),
  // p_result_list_t
  $.count('n_results', 'results', u8),
  reserved('reserved', u8),
  reserved('reserved2', u16),
  $.list('p_results', 'results', p_result_t),
]);

/**
 * bind_nak (C706 12.6.4.5). The version list may be missing altogether; Windows pads the
 * body to a multiple of 4 with octets of no meaning (one version: frag_length 24).
 */
export const BIND_NAK_BODY = layout<Body<BindNakPdu>>('bind_nak', ($) => [
  $.field('provider_reject_reason', 'reason', u16),
  // p_rt_versions_supported_t
  $.count('n_protocols', 'versions', u8, { absentAtEnd: true }),
  $.list('p_protocols', 'versions', version_t),
  filler('pad', { alignTo: 4 }),
]);

/** request (C706 12.6.4.9): the object UUID is there when pfc_flags has PFC_OBJECT_UUID. */
export const REQUEST_BODY = layout<Body<RequestPdu>>('request', ($) => [
  $.field('alloc_hint', 'allocHint', u32),
  $.field('p_cont_id', 'contextId', u16),
  $.field('opnum', 'opnum', u16),
  $.optional('object', 'object', GUID, (p: Pdu) => (p.header.flags & PFC.OBJECT_UUID) !== 0),
  $.stub('stub', 'stub'),
]);

/** response (C706 12.6.4.10). */
export const RESPONSE_BODY = layout<Body<ResponsePdu>>('response', ($) => [
  $.field('alloc_hint', 'allocHint', u32),
  $.field('p_cont_id', 'contextId', u16),
  $.field('cancel_count', 'cancelCount', u8),
  reserved('reserved', u8),
  $.stub('stub', 'stub'),
]);

/**
 * fault (C706 12.6.4.7; MS-RPCE 2.2.2.8 names the reserved octet fault_flags). A pad longer
 * than the stub leaves it empty rather than refusing: the fault is the answer either way.
 */
export const FAULT_BODY = layout<Body<FaultPdu>>('fault', ($) => [
  $.field('alloc_hint', 'allocHint', u32),
  $.field('p_cont_id', 'contextId', u16),
  $.field('cancel_count', 'cancelCount', u8),
  $.field('fault_flags', 'faultFlags', u8),
  $.field('status', 'status', u32),
  reserved('reserved', u32),
  $.stub('stub', 'stub', { padOverrun: 'empty' }),
]);

/** rpc_auth_3 (MS-RPCE 2.2.2.10): four pad octets (Windows fills them), then the verifier. */
export const AUTH3_BODY = layout<Body<Auth3Pdu>>('rpc_auth_3', () => [filler('pad', { octets: 4 })]);

/** shutdown, co_cancel and orphaned: a header (and perhaps a verifier) only. */
export const EMPTY_BODY = layout<Body<BodilessPdu>>('empty body', () => []);

/** What the codec needs to know of one PTYPE. */
export interface PduKind {
  readonly type: Pdu['type'];
  readonly body: Layout<any>;
  /** False where auth_length is not consulted (bind_nak carries no verifier, C706 12.6.4.5). */
  readonly verifier: boolean;
  /**
   * Where the auth padding is counted from, and the default boundary: MS-RPCE 2.2.2.11 puts
   * the sec_trailer of a request or response 16-aligned from the start of the stub (what
   * Windows sends; Samba's DCERPC_AUTH_PAD_ALIGNMENT), of anything else 4-aligned from the
   * start of the body.
   */
  readonly authPad: { readonly from: 'stub' | 'body'; readonly to: number };
  /** A new PDU object, every key in place: the body's keys are filled by body.readInto. */
  readonly shell: (type: Pdu['type'], header: PduHeader, raw: Buffer, auth?: AuthVerifier) => Pdu;
}

const STUB_PAD = { from: 'stub', to: 16 } as const;
const BODY_PAD = { from: 'body', to: 4 } as const;

function kind(type: Pdu['type'], body: Layout<any>, authPad: PduKind['authPad'] = BODY_PAD, verifier = true): PduKind {
  const base = verifier ? ['type', 'header', 'raw', 'auth'] : ['type', 'header', 'raw'];
  return { type, body, verifier, authPad, shell: compileShell(base, body.fields) as PduKind['shell'] };
}

/** The connection-oriented PTYPEs, by number; a hole is a PTYPE that is not one. */
export const PDU_KINDS: ReadonlyArray<PduKind | undefined> = (() => {
  const t: Array<PduKind | undefined> = [];
  t[PTYPE.request] = kind('request', REQUEST_BODY, STUB_PAD);
  t[PTYPE.response] = kind('response', RESPONSE_BODY, STUB_PAD);
  t[PTYPE.fault] = kind('fault', FAULT_BODY);
  t[PTYPE.bind] = kind('bind', BIND_BODY);
  t[PTYPE.bind_ack] = kind('bind_ack', BIND_ACK_BODY);
  t[PTYPE.bind_nak] = kind('bind_nak', BIND_NAK_BODY, BODY_PAD, false);
  t[PTYPE.alter_context] = kind('alter_context', BIND_BODY);
  t[PTYPE.alter_context_resp] = kind('alter_context_resp', BIND_ACK_BODY);
  t[PTYPE.rpc_auth_3] = kind('auth3', AUTH3_BODY);
  t[PTYPE.shutdown] = kind('shutdown', EMPTY_BODY);
  t[PTYPE.co_cancel] = kind('co_cancel', EMPTY_BODY);
  t[PTYPE.orphaned] = kind('orphaned', EMPTY_BODY);
  return t;
})();
