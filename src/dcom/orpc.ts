import {
  GUID,
  HRESULT,
  conformantArray,
  conformantBytes,
  struct,
  u16,
  u32,
  u64,
  unique,
  type TypeOf,
} from '../ndr/index.js';

/** The ORPC types every DCOM call carries (MS-DCOM 2.2.11 - 2.2.21). */

export const COMVERSION = struct('COMVERSION', { MajorVersion: u16, MinorVersion: u16 });

/** An extension: its data is padded to 8 octets on the wire, and size_is says so. */
export const ORPC_EXTENT = struct('ORPC_EXTENT', {
  id: GUID,
  size: u32,
  data: conformantBytes({ sizeIs: (s) => (s.size + 7) & ~7 }),
});

export const ORPC_EXTENT_ARRAY = struct('ORPC_EXTENT_ARRAY', {
  size: u32,
  reserved: u32,
  extent: unique(conformantArray(unique(ORPC_EXTENT), { sizeIs: (s) => (s.size + 1) & ~1 })),
});

export const ORPCTHIS = struct('ORPCTHIS', {
  version: COMVERSION,
  flags: u32,
  reserved1: u32,
  cid: GUID,
  extensions: unique(ORPC_EXTENT_ARRAY),
});

export const ORPCTHAT = struct('ORPCTHAT', {
  flags: u32,
  extensions: unique(ORPC_EXTENT_ARRAY),
});

/** An interface pointer as it travels: the bytes of an OBJREF. */
export const MInterfacePointer = struct('MInterfacePointer', {
  ulCntData: u32,
  abData: conformantBytes({ sizeIs: (s) => s.ulCntData }),
});

export const STDOBJREF = struct('STDOBJREF', {
  flags: u32,
  cPublicRefs: u32,
  oxid: u64,
  oid: u64,
  ipid: GUID,
});

export const REMQIRESULT = struct('REMQIRESULT', { hResult: HRESULT, std: STDOBJREF });

export const REMINTERFACEREF = struct('REMINTERFACEREF', { ipid: GUID, cPublicRefs: u32, cPrivateRefs: u32 });

/** DUALSTRINGARRAY as an NDR type (the OBJREF embeds the same layout without NDR framing). */
export const DUALSTRINGARRAY = struct('DUALSTRINGARRAY', {
  wNumEntries: u16,
  wSecurityOffset: u16,
  aStringArray: conformantArray(u16, { sizeIs: (s) => s.wNumEntries }),
});

export type ORPCTHIS_T = TypeOf<typeof ORPCTHIS>;
export type ORPCTHAT_T = TypeOf<typeof ORPCTHAT>;
export type STDOBJREF_T = TypeOf<typeof STDOBJREF>;
export type COMVERSION_T = TypeOf<typeof COMVERSION>;
export type MInterfacePointer_T = TypeOf<typeof MInterfacePointer>;

/** ORPCTHIS.flags (MS-DCOM 2.2.13.1). */
export const ORPCF = { NULL: 0, LOCAL: 1, RESERVED1: 2, RESERVED2: 4, RESERVED3: 8, RESERVED4: 16 } as const;

/** The COM version this host speaks: Windows Server 2016 and later report 5.7. */
export const COM_VERSION = { MajorVersion: 5, MinorVersion: 7 } as const;

export const NO_EXTENSIONS_THAT: ORPCTHAT_T = { flags: 0, extensions: null };
