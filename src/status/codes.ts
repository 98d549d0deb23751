/**
 * Every status number the code answers with or reads, once, under its spec name: HRESULTs
 * (MS-ERREF 2.1, vsserror.h as MS-SCMP 2.2.1 and 3.1 list them), Win32 and RPC statuses
 * (MS-ERREF 2.2, MS-RPCE), DCE statuses (C706 appendix E). Plain numbers, HRESULTs kept
 * unsigned as MS-ERREF prints them. This file imports nothing, so every layer may use it.
 * Two names for one number are allowed only where a spec gives both (see ALIASES in
 * names.ts); the table in names.ts is built from these exports, so a constant here is
 * always in it.
 */

// ---------------------------------------------------------------------------------------
// HRESULTs: generic and COM (MS-ERREF 2.1)

export const S_OK = 0x00000000;
/** Next: fewer objects returned than asked; Skip: more skipped than remained. */
export const S_FALSE = 0x00000001;
export const E_NOTIMPL = 0x80004001;
export const E_NOINTERFACE = 0x80004002;
export const E_ACCESSDENIED = 0x80070005;
export const E_OUTOFMEMORY = 0x8007000e;
export const E_INVALIDARG = 0x80070057;
export const REGDB_E_CLASSNOTREG = 0x80040154;
export const CO_E_OBJNOTREG = 0x800401fb;

// HRESULTs of DCOM (MS-DCOM 3.1.1.5, 3.2.4.1.2)
export const RPC_E_DISCONNECTED = 0x80010108;
export const RPC_E_VERSION_MISMATCH = 0x80010110;
export const RPC_E_INVALID_HEADER = 0x80010111;
export const RPC_E_INVALID_OBJECT = 0x80010114;
export const RPC_E_INVALID_OBJREF = 0x8001011d;

// HRESULTs of the security packages (MS-ERREF 2.1)
export const SEC_E_INVALID_TOKEN = 0x80090308;

// ---------------------------------------------------------------------------------------
// HRESULTs of VSS (vsserror.h): those MS-SCMP's methods answer (3.1.4), and those of the
// requester API and of writers, which never travel in MS-SCMP.

export const VSS_E_BAD_STATE = 0x80042301;
export const VSS_E_UNEXPECTED = 0x80042302;
export const VSS_E_PROVIDER_NOT_REGISTERED = 0x80042304;
export const VSS_E_PROVIDER_VETO = 0x80042306;
export const VSS_E_OBJECT_NOT_FOUND = 0x80042308;
export const VSS_E_VOLUME_NOT_SUPPORTED = 0x8004230c;
export const VSS_E_OBJECT_ALREADY_EXISTS = 0x8004230d;
export const VSS_E_CORRUPT_XML_DOCUMENT = 0x80042310;
export const VSS_E_INVALID_XML_DOCUMENT = 0x80042311;
export const VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED = 0x80042312;
export const VSS_E_SNAPSHOT_SET_IN_PROGRESS = 0x80042316;
export const VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED = 0x80042317;
export const VSS_E_UNSUPPORTED_CONTEXT = 0x8004231b;
export const VSS_E_VOLUME_IN_USE = 0x8004231d;
export const VSS_E_MAXIMUM_DIFFAREA_ASSOCIATIONS_REACHED = 0x8004231e;
export const VSS_E_INSUFFICIENT_STORAGE = 0x8004231f;
export const VSS_E_NO_SNAPSHOTS_IMPORTED = 0x80042320;
// A writer's failure, as GatherWriterStatus reports it.
export const VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT = 0x800423f0;
export const VSS_E_WRITERERROR_OUTOFRESOURCES = 0x800423f1;
export const VSS_E_WRITERERROR_TIMEOUT = 0x800423f2;
export const VSS_E_WRITERERROR_RETRYABLE = 0x800423f3;
export const VSS_E_WRITERERROR_NONRETRYABLE = 0x800423f4;

// ---------------------------------------------------------------------------------------
// Win32 and RPC statuses (MS-ERREF 2.2): fault statuses (MS-RPCE 2.2.2.7, 3.3.3.2), the
// endpoint mapper's and the management interface's `status` out-parameters.

export const ERROR_ACCESS_DENIED = 0x00000005;
/** rpcnterr.h's name for ERROR_ACCESS_DENIED, as an RPC status. */
export const RPC_S_ACCESS_DENIED = 0x00000005;
export const RPC_S_OK = 0x00000000;
/** The OXID resolver's statuses (MS-DCOM 3.1.2.5.1; MS-ERREF 2.2). */
export const OR_INVALID_OXID = 0x00000776;
export const OR_INVALID_OID = 0x00000777;
export const OR_INVALID_SET = 0x00000778;
export const ERROR_INSUFFICIENT_BUFFER = 0x0000007a;
export const RPC_S_INVALID_BINDING = 0x000006a6;
export const RPC_S_PROTSEQ_NOT_FOUND = 0x000006d0;
export const RPC_S_UNKNOWN_AUTHN_SERVICE = 0x000006d3;
export const EPT_S_INVALID_ENTRY = 0x000006d7;
export const EPT_S_CANT_PERFORM_OP = 0x000006d8;
export const RPC_X_BAD_STUB_DATA = 0x000006f7;
export const RPC_S_CALL_CANCELLED = 0x0000071a;
export const RPC_S_UNSUPPORTED_AUTHN_LEVEL = 0x0000071d;
export const EPT_S_CANT_CREATE = 0x0000076b;

// ---------------------------------------------------------------------------------------
// DCE statuses (C706 appendix E): Windows reports an empty endpoint-mapper lookup in its
// DCE form (MS-RPCE 2.2.1.2.1), and faults carry the nca_s_* codes.

export const ept_s_not_registered = 0x16c9a0d6;

export const nca_s_fault_int_div_by_zero = 0x1c000001;
export const nca_s_fault_addr_error = 0x1c000002;
export const nca_s_fault_fp_div_zero = 0x1c000003;
export const nca_s_fault_fp_underflow = 0x1c000004;
export const nca_s_fault_fp_overflow = 0x1c000005;
export const nca_s_fault_invalid_tag = 0x1c000006;
export const nca_s_fault_invalid_bound = 0x1c000007;
export const nca_rpc_version_mismatch = 0x1c000008;
export const nca_unspec_reject = 0x1c000009;
export const nca_s_bad_actid = 0x1c00000a;
export const nca_who_are_you_failed = 0x1c00000b;
export const nca_manager_not_entered = 0x1c00000c;
export const nca_s_fault_cancel = 0x1c00000d;
export const nca_s_fault_ill_inst = 0x1c00000e;
export const nca_s_fault_fp_error = 0x1c00000f;
export const nca_s_fault_int_overflow = 0x1c000010;
export const nca_s_fault_unspec = 0x1c000012;
export const nca_s_fault_remote_comm_failure = 0x1c000013;
export const nca_s_fault_pipe_empty = 0x1c000014;
export const nca_s_fault_pipe_closed = 0x1c000015;
export const nca_s_fault_pipe_order = 0x1c000016;
export const nca_s_fault_pipe_discipline = 0x1c000017;
export const nca_s_fault_pipe_comm_error = 0x1c000018;
export const nca_s_fault_pipe_memory = 0x1c000019;
export const nca_s_fault_context_mismatch = 0x1c00001a;
export const nca_s_fault_remote_no_memory = 0x1c00001b;
export const nca_invalid_pres_context_id = 0x1c00001c;
export const nca_unsupported_authn_level = 0x1c00001d;
export const nca_invalid_checksum = 0x1c00001f;
export const nca_invalid_crc = 0x1c000020;
export const nca_s_fault_user_defined = 0x1c000021;
export const nca_s_fault_tx_open_failed = 0x1c000022;
export const nca_s_fault_codeset_conv_error = 0x1c000023;
export const nca_s_fault_object_not_found = 0x1c000024;
export const nca_s_fault_no_client_stub = 0x1c000025;

export const nca_s_comm_failure = 0x1c010001;
export const nca_s_op_rng_error = 0x1c010002;
export const nca_s_unk_if = 0x1c010003;
export const nca_s_wrong_boot_time = 0x1c010006;
export const nca_s_you_crashed = 0x1c010009;
export const nca_s_proto_error = 0x1c01000b;
export const nca_s_out_args_too_big = 0x1c010013;
export const nca_s_server_too_busy = 0x1c010014;
export const nca_s_unsupported_type = 0x1c010017;
