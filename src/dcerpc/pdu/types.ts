import type { Guid } from '../../ndr/guid.js';

/** p_syntax_id_t: an interface or transfer syntax UUID with its version. */
export interface SyntaxId {
  uuid: Guid;
  major: number;
  minor: number;
}

/** p_cont_elem_t: one presentation context proposed in bind / alter_context. */
export interface ContextElem {
  contextId: number;
  abstractSyntax: SyntaxId;
  transferSyntaxes: SyntaxId[];
}

/** p_result_t: the answer to one presentation context. */
export interface ContextResult {
  result: number;
  reason: number;
  transferSyntax: SyntaxId;
}

/** sec_trailer and the auth_value that follows it (MS-RPCE 2.2.2.11). */
export interface AuthVerifier {
  authType: number;
  authLevel: number;
  authPadLength: number;
  authReserved: number;
  authContextId: number;
  authValue: Buffer;
}

/** The common header, as read (the data representation byte 0 decides the byte order). */
export interface PduHeader {
  rpcVersMinor: number;
  ptype: number;
  flags: number;
  /** Data representation: octet 0 in bits 0-7, octet 1 (float format) in bits 8-15. */
  drep: number;
  fragLength: number;
  authLength: number;
  callId: number;
}

interface Base {
  header: PduHeader;
  auth?: AuthVerifier;
  /** The whole fragment as received (signature checks cover it). */
  raw: Buffer;
}

export interface BindPdu extends Base {
  type: 'bind' | 'alter_context';
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
  contexts: ContextElem[];
}

export interface BindAckPdu extends Base {
  type: 'bind_ack' | 'alter_context_resp';
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
  secondaryAddress: string;
  results: ContextResult[];
}

export interface BindNakPdu extends Base {
  type: 'bind_nak';
  reason: number;
  versions: Array<{ major: number; minor: number }>;
}

export interface RequestPdu extends Base {
  type: 'request';
  allocHint: number;
  contextId: number;
  opnum: number;
  object?: Guid;
  stub: Buffer;
}

export interface ResponsePdu extends Base {
  type: 'response';
  allocHint: number;
  contextId: number;
  cancelCount: number;
  stub: Buffer;
}

export interface FaultPdu extends Base {
  type: 'fault';
  allocHint: number;
  contextId: number;
  cancelCount: number;
  faultFlags: number;
  status: number;
  stub: Buffer;
}

export interface Auth3Pdu extends Base {
  type: 'auth3';
}

export interface BodilessPdu extends Base {
  type: 'shutdown' | 'co_cancel' | 'orphaned';
}

export type Pdu = BindPdu | BindAckPdu | BindNakPdu | RequestPdu | ResponsePdu | FaultPdu | Auth3Pdu | BodilessPdu;
