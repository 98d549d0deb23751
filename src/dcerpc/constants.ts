/** Connection-oriented DCE/RPC constants: C706 chapter 12 and MS-RPCE 2.2. */
import * as S from '../status/codes.js';

export const RPC_VERSION = 5;
export const RPC_VERSION_MINOR = 0;

export const PTYPE = {
  request: 0,
  ping: 1,
  response: 2,
  fault: 3,
  working: 4,
  nocall: 5,
  reject: 6,
  ack: 7,
  cl_cancel: 8,
  fack: 9,
  cancel_ack: 10,
  bind: 11,
  bind_ack: 12,
  bind_nak: 13,
  alter_context: 14,
  alter_context_resp: 15,
  rpc_auth_3: 16,
  shutdown: 17,
  co_cancel: 18,
  orphaned: 19,
} as const;
export type PType = (typeof PTYPE)[keyof typeof PTYPE];

export const PFC = {
  FIRST_FRAG: 0x01,
  LAST_FRAG: 0x02,
  /** In a request: cancel pending. In bind / alter_context (MS-RPCE): header signing supported. */
  PENDING_CANCEL: 0x04,
  SUPPORT_HEADER_SIGN: 0x04,
  CONC_MPX: 0x10,
  DID_NOT_EXECUTE: 0x20,
  MAYBE: 0x40,
  OBJECT_UUID: 0x80,
} as const;

/** The fixed common header of every connection-oriented PDU. */
export const COMMON_HEADER_SIZE = 16;
/** sec_trailer: auth_type, auth_level, auth_pad_length, auth_reserved, auth_context_id. */
export const SEC_TRAILER_SIZE = 8;

/** Data representation: integer byte order in the high nibble of byte 0. */
export const DREP_LITTLE_ENDIAN = 0x10;
export const DREP_CHAR_EBCDIC = 0x01;
/** What we always send: little-endian integers, ASCII characters, IEEE floats. */
export const DREP_NDR_LE = Buffer.from([0x10, 0x00, 0x00, 0x00]);

/** C706's smallest fragment every implementation must accept (MustRecvFragSize). */
export const MUST_RECV_FRAG_SIZE = 1432;

/** p_cont_def_result_t (C706), with MS-RPCE's negotiate_ack for bind-time feature negotiation. */
export const RESULT = {
  acceptance: 0,
  user_rejection: 1,
  provider_rejection: 2,
  negotiate_ack: 3,
} as const;

/** p_provider_reason_t: why a presentation context was rejected. */
export const PROVIDER_REASON = {
  reason_not_specified: 0,
  abstract_syntax_not_supported: 1,
  proposed_transfer_syntaxes_not_supported: 2,
  local_limit_exceeded: 3,
} as const;

/** p_reject_reason_t in bind_nak (C706), with MS-RPCE's additions 8 and 9. */
export const BIND_NAK_REASON = {
  reason_not_specified: 0,
  temporary_congestion: 1,
  local_limit_exceeded: 2,
  called_paddr_unknown: 3,
  protocol_version_not_supported: 4,
  default_context_not_supported: 5,
  user_data_not_readable: 6,
  no_psap_available: 7,
  authentication_type_not_recognized: 8,
  invalid_checksum: 9,
} as const;

/**
 * The fault statuses this runtime sends (C706 appendix E, MS-RPCE 2.2.2.7 / 3.3.3.2), by
 * the names the code uses. The numbers and their spec names are declared once, in
 * src/status; this is a view of them.
 */
export const FAULT = {
  nca_s_comm_failure: S.nca_s_comm_failure,
  nca_s_op_rng_error: S.nca_s_op_rng_error,
  nca_s_unk_if: S.nca_s_unk_if,
  nca_s_wrong_boot_time: S.nca_s_wrong_boot_time,
  nca_s_you_crashed: S.nca_s_you_crashed,
  nca_s_proto_error: S.nca_s_proto_error,
  nca_s_out_args_too_big: S.nca_s_out_args_too_big,
  nca_s_server_too_busy: S.nca_s_server_too_busy,
  nca_s_unsupported_type: S.nca_s_unsupported_type,
  nca_s_fault_int_div_by_zero: S.nca_s_fault_int_div_by_zero,
  nca_s_fault_invalid_tag: S.nca_s_fault_invalid_tag,
  nca_s_fault_invalid_bound: S.nca_s_fault_invalid_bound,
  nca_s_fault_cancel: S.nca_s_fault_cancel,
  nca_s_fault_unspec: S.nca_s_fault_unspec,
  nca_s_fault_remote_no_memory: S.nca_s_fault_remote_no_memory,
  nca_s_fault_context_mismatch: S.nca_s_fault_context_mismatch,
  /** Windows answers bad NDR with the Win32 status rather than nca_s_fault_ndr. */
  nca_s_fault_ndr: S.RPC_X_BAD_STUB_DATA,
  rpc_x_bad_stub_data: S.RPC_X_BAD_STUB_DATA,
  access_denied: S.ERROR_ACCESS_DENIED,
  rpc_s_call_cancelled: S.RPC_S_CALL_CANCELLED,
  rpc_s_invalid_binding: S.RPC_S_INVALID_BINDING,
} as const;

/** Well-known transfer syntaxes. */
export const NDR20_SYNTAX = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 } as const;
export const NDR64_SYNTAX = { uuid: '71710533-beba-4937-8319-b5dbef9ccc36', major: 1, minor: 0 } as const;
/**
 * Bind-time feature negotiation (MS-RPCE 3.3.1.5.3): a transfer syntax whose UUID begins
 * 6cb71c2c-9812-4540 and whose last 8 bytes carry the client's feature bitmask.
 */
export const BIND_TIME_FEATURE_PREFIX = '6cb71c2c-9812-4540-';
export const BIND_TIME_FEATURE = {
  SECURITY_CONTEXT_MULTIPLEXING: 0x01,
  KEEP_CONNECTION_ON_ORPHAN: 0x02,
} as const;

/** Authentication levels (MS-RPCE 2.2.1.1.8). */
export const AUTH_LEVEL = {
  default: 0,
  none: 1,
  connect: 2,
  call: 3,
  pkt: 4,
  pkt_integrity: 5,
  pkt_privacy: 6,
} as const;

/** Authentication services (MS-RPCE 2.2.1.1.7). */
export const AUTH_TYPE = {
  none: 0,
  gss_negotiate: 9,
  winnt: 10,
  gss_schannel: 14,
  gss_kerberos: 16,
  netlogon: 68,
  default: 0xff,
} as const;
