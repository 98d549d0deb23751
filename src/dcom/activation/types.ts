import {
  GUID,
  HRESULT,
  conformantArray,
  fixedArray,
  i32,
  range,
  struct,
  u16,
  u32,
  u64,
  unique,
  wstring,
  type Guid,
  type TypeOf,
} from '../../ndr/index.js';
import { COMVERSION, DUALSTRINGARRAY, MInterfacePointer } from '../orpc.js';

/**
 * The activation properties (MS-DCOM 2.2.22): the CustomHeader and every property
 * structure, declared from the IDL of 2.2.22.1 and 2.2.22.2. Each travels as its own
 * type-serialization-v1 stream (MS-RPCE 2.2.6); every `T*` member is an embedded unique
 * pointer, its referent deferred inside the same stream.
 */

// --- GUIDs (MS-DCOM 1.9) ------------------------------------------------------------------

/** The OBJREF_CUSTOM clsid of pActProperties. */
export const CLSID_ActivationPropertiesIn: Guid = '00000338-0000-0000-c000-000000000046';
/** The OBJREF_CUSTOM clsid of ppActProperties. */
export const CLSID_ActivationPropertiesOut: Guid = '00000339-0000-0000-c000-000000000046';
/** The OBJREF iid of pActProperties. */
export const IID_IActivationPropertiesIn: Guid = '000001a2-0000-0000-c000-000000000046';
/** The OBJREF iid of ppActProperties. */
export const IID_IActivationPropertiesOut: Guid = '000001a3-0000-0000-c000-000000000046';

export const CLSID_InstantiationInfo: Guid = '000001ab-0000-0000-c000-000000000046';
export const CLSID_ActivationContextInfo: Guid = '000001a5-0000-0000-c000-000000000046';
/** LocationInfoData. */
export const CLSID_ServerLocationInfo: Guid = '000001a4-0000-0000-c000-000000000046';
export const CLSID_ScmRequestInfo: Guid = '000001aa-0000-0000-c000-000000000046';
export const CLSID_SecurityInfo: Guid = '000001a6-0000-0000-c000-000000000046';
/** SpecialPropertiesData. */
export const CLSID_SpecialSystemProperties: Guid = '000001b9-0000-0000-c000-000000000046';
export const CLSID_InstanceInfo: Guid = '000001ad-0000-0000-c000-000000000046';
export const CLSID_ScmReplyInfo: Guid = '000001b6-0000-0000-c000-000000000046';
/** The same GUID as CLSID_ActivationPropertiesOut. */
export const CLSID_PropsOutInfo: Guid = '00000339-0000-0000-c000-000000000046';
/** The OBJREF_CUSTOM clsid of a marshaled context (ActivationContextInfoData.pIFDClientCtx). */
export const CLSID_ContextMarshaler: Guid = '0000033b-0000-0000-c000-000000000046';
export const IID_IContext: Guid = '000001c0-0000-0000-c000-000000000046';

/** MSHCTX values for CustomHeader.destCtx; a Windows client sends DIFFERENTMACHINE (<22>). */
export const MSHCTX = { LOCAL: 0, NOSHAREDMEM: 1, DIFFERENTMACHINE: 2, INPROC: 3, CROSSCTX: 4 } as const;

/** InstantiationInfoData.actvflags (2.2.22.2.1). */
export const ACTVFLAGS = {
  DISABLE_AAA: 0x2,
  ACTIVATE_32_BIT_SERVER: 0x4,
  ACTIVATE_64_BIT_SERVER: 0x8,
  NO_FAILURE_LOG: 0x20,
} as const;

/** SpecialPropertiesData.dwFlags (2.2.22.2.2). */
export const SPD_FLAG = { USE_CONSOLE_SESSION: 0x1, USE_DEFAULT_AUTHN_LVL: 0x2 } as const;

/** CLSCTX_REMOTE_SERVER: what a Windows client puts in classCtx and dwOrigClsctx. */
export const CLSCTX_REMOTE_SERVER = 0x10;

/**
 * How many properties a CustomHeader may list. The IDL has no range; go-msrpc refuses
 * more than 10, and there are only 9 property CLSIDs.
 */
export const MAX_PROPERTIES = 10;

// --- 2.2.22.1 CustomHeader ------------------------------------------------------------------

export const CustomHeader = struct('CustomHeader', {
  totalSize: u32,
  headerSize: u32,
  dwReserved: u32,
  destCtx: u32,
  cIfs: range(u32, 1, MAX_PROPERTIES),
  classInfoClsid: GUID,
  pclsid: unique(conformantArray(GUID, { sizeIs: (s) => s.cIfs })),
  pSizes: unique(conformantArray(u32, { sizeIs: (s) => s.cIfs })),
  pdwReserved: unique(u32),
});

// --- 2.2.22.2.1 InstantiationInfoData ---------------------------------------------------------

export const InstantiationInfoData = struct('InstantiationInfoData', {
  classId: GUID,
  classCtx: u32,
  actvflags: u32,
  fIsSurrogate: i32,
  cIID: range(u32, 1, 0x8000),
  instFlag: u32,
  pIID: unique(conformantArray(GUID, { sizeIs: (s) => s.cIID })),
  thisSize: u32,
  clientCOMVersion: COMVERSION,
});

// --- 2.2.22.2.2 SpecialPropertiesData -----------------------------------------------------------

/** The current form: 84 bytes (Reserved2 is 8-aligned, so 4 bytes of padding precede it). */
export const SpecialPropertiesData = struct('SpecialPropertiesData', {
  dwSessionId: u32,
  fRemoteThisSessionId: i32,
  fClientImpersonating: i32,
  fPartitionIDPresent: i32,
  dwDefaultAuthnLvl: u32,
  guidPartition: GUID,
  dwPRTFlags: u32,
  dwOrigClsctx: u32,
  dwFlags: u32,
  Reserved1: u32,
  Reserved2: u64,
  Reserved3: fixedArray(u32, 5),
});

/**
 * The form Windows 2000, XP and Server 2003 clients send (80 bytes): Reserved3[8] straight
 * after dwFlags. A server must accept both (2.2.22.2.2).
 */
export const SpecialPropertiesDataAlternate = struct('SpecialPropertiesData (alternate)', {
  dwSessionId: u32,
  fRemoteThisSessionId: i32,
  fClientImpersonating: i32,
  fPartitionIDPresent: i32,
  dwDefaultAuthnLvl: u32,
  guidPartition: GUID,
  dwPRTFlags: u32,
  dwOrigClsctx: u32,
  dwFlags: u32,
  Reserved3: fixedArray(u32, 8),
});

// --- 2.2.22.2.3 InstanceInfoData ----------------------------------------------------------------

export const InstanceInfoData = struct('InstanceInfoData', {
  fileName: unique(wstring),
  mode: u32,
  ifdROT: unique(MInterfacePointer),
  ifdStg: unique(MInterfacePointer),
});

// --- 2.2.22.2.4 ScmRequestInfoData --------------------------------------------------------------

export const customREMOTE_REQUEST_SCM_INFO = struct('customREMOTE_REQUEST_SCM_INFO', {
  ClientImpLevel: u32,
  cRequestedProtseqs: range(u16, 0, 0x8000),
  pRequestedProtseqs: unique(conformantArray(u16, { sizeIs: (s) => s.cRequestedProtseqs })),
});

export const ScmRequestInfoData = struct('ScmRequestInfoData', {
  pdwReserved: unique(u32),
  remoteRequest: unique(customREMOTE_REQUEST_SCM_INFO),
});

// --- 2.2.22.2.5 ActivationContextInfoData -------------------------------------------------------

export const ActivationContextInfoData = struct('ActivationContextInfoData', {
  clientOK: i32,
  bReserved1: i32,
  dwReserved1: u32,
  dwReserved2: u32,
  pIFDClientCtx: unique(MInterfacePointer),
  pIFDPrototypeCtx: unique(MInterfacePointer),
});

// --- 2.2.22.2.6 LocationInfoData ----------------------------------------------------------------

export const LocationInfoData = struct('LocationInfoData', {
  machineName: unique(wstring),
  processId: u32,
  apartmentId: u32,
  contextId: u32,
});

// --- 2.2.22.2.7 SecurityInfoData ----------------------------------------------------------------

export const COSERVERINFO = struct('COSERVERINFO', {
  dwReserved1: u32,
  pwszName: unique(wstring),
  pdwReserved: unique(u32),
  dwReserved2: u32,
});

export const SecurityInfoData = struct('SecurityInfoData', {
  dwAuthnFlags: u32,
  pServerInfo: unique(COSERVERINFO),
  pdwReserved: unique(u32),
});

// --- 2.2.22.2.8 ScmReplyInfoData ----------------------------------------------------------------

export const customREMOTE_REPLY_SCM_INFO = struct('customREMOTE_REPLY_SCM_INFO', {
  Oxid: u64,
  pdsaOxidBindings: unique(DUALSTRINGARRAY),
  ipidRemUnknown: GUID,
  authnHint: u32,
  serverVersion: COMVERSION,
});

export const ScmReplyInfoData = struct('ScmReplyInfoData', {
  pdwReserved: unique(u32),
  remoteReply: unique(customREMOTE_REPLY_SCM_INFO),
});

// --- 2.2.22.2.9 PropsOutInfo --------------------------------------------------------------------

export const PropsOutInfo = struct('PropsOutInfo', {
  cIfs: range(u32, 1, 0x8000),
  piid: unique(conformantArray(GUID, { sizeIs: (s) => s.cIfs })),
  phresults: unique(conformantArray(HRESULT, { sizeIs: (s) => s.cIfs })),
  ppIntfData: unique(conformantArray(unique(MInterfacePointer), { sizeIs: (s) => s.cIfs })),
});

export type CustomHeader_T = TypeOf<typeof CustomHeader>;
export type InstantiationInfoData_T = TypeOf<typeof InstantiationInfoData>;
export type SpecialPropertiesData_T = TypeOf<typeof SpecialPropertiesData>;
export type SpecialPropertiesDataAlternate_T = TypeOf<typeof SpecialPropertiesDataAlternate>;
export type InstanceInfoData_T = TypeOf<typeof InstanceInfoData>;
export type customREMOTE_REQUEST_SCM_INFO_T = TypeOf<typeof customREMOTE_REQUEST_SCM_INFO>;
export type ScmRequestInfoData_T = TypeOf<typeof ScmRequestInfoData>;
export type ActivationContextInfoData_T = TypeOf<typeof ActivationContextInfoData>;
export type LocationInfoData_T = TypeOf<typeof LocationInfoData>;
export type COSERVERINFO_T = TypeOf<typeof COSERVERINFO>;
export type SecurityInfoData_T = TypeOf<typeof SecurityInfoData>;
export type customREMOTE_REPLY_SCM_INFO_T = TypeOf<typeof customREMOTE_REPLY_SCM_INFO>;
export type ScmReplyInfoData_T = TypeOf<typeof ScmReplyInfoData>;
export type PropsOutInfo_T = TypeOf<typeof PropsOutInfo>;
