import { randomUUID } from 'node:crypto';
import {
  GUID_NULL,
  NdrError,
  TYPE_SERIALIZATION_HEADER_SIZE,
  deserializeType1,
  serializeType1,
  writeGuid,
  type Guid,
  type NdrType,
  type TypeOf,
} from '../../ndr/index.js';
import { decodeObjref, encodeObjrefCustom } from '../objref.js';
import type { DUALSTRINGARRAY } from '../orpc.js';
import { ActivationFormatError, asActivationFormatError } from './error.js';
import {
  ActivationContextInfoData,
  CLSCTX_REMOTE_SERVER,
  CLSID_ActivationContextInfo,
  CLSID_ActivationPropertiesIn,
  CLSID_ActivationPropertiesOut,
  CLSID_ContextMarshaler,
  CLSID_InstanceInfo,
  CLSID_InstantiationInfo,
  CLSID_PropsOutInfo,
  CLSID_ScmReplyInfo,
  CLSID_ScmRequestInfo,
  CLSID_SecurityInfo,
  CLSID_ServerLocationInfo,
  CLSID_SpecialSystemProperties,
  CustomHeader,
  IID_IActivationPropertiesIn,
  IID_IActivationPropertiesOut,
  IID_IContext,
  InstanceInfoData,
  InstantiationInfoData,
  LocationInfoData,
  MSHCTX,
  PropsOutInfo,
  SPD_FLAG,
  ScmReplyInfoData,
  ScmRequestInfoData,
  SecurityInfoData,
  SpecialPropertiesData,
  SpecialPropertiesDataAlternate,
  type ActivationContextInfoData_T,
  type CustomHeader_T,
  type InstanceInfoData_T,
  type InstantiationInfoData_T,
  type LocationInfoData_T,
  type ScmRequestInfoData_T,
  type SecurityInfoData_T,
  type SpecialPropertiesDataAlternate_T,
  type SpecialPropertiesData_T,
} from './types.js';

/**
 * The activation properties BLOB (MS-DCOM 2.2.22) inside its OBJREF_CUSTOM (the OBJREF part
 * is read and written by ../objref.ts, the one OBJREF codec):
 *
 * ```
 * OBJREF   { u32 'MEOW', u32 flags = 4, IID iid }                                      24
 * CUSTOM   { CLSID clsid, u32 cbExtension = 0, u32 size = blob length + 8 }            24
 * blob     { u32 dwSize, u32 dwReserved, CustomHeader, property[cIfs] }
 * ```
 *
 * The CustomHeader and each property are separate type-serialization-v1 streams. Property i
 * starts headerSize + sum(pSizes[<i]) bytes after the CustomHeader, and is recognised by
 * pclsid[i], never by its position. The decoders trust the sizes of the CustomHeader (checked
 * against each other and against the bytes present), not the ObjectBufferLength of a
 * private header: impacket leaves the padding out of it and fills the header with
 * 0xcccccccc, Windows and go-msrpc count the padding.
 */

/** dwSize, dwReserved. */
const BLOB_PREFIX_SIZE = 8;
const H = TYPE_SERIALIZATION_HEADER_SIZE;

// --- values -------------------------------------------------------------------------------

/** SpecialPropertiesData in either of the forms a server must accept. */
export type SpecialProperties = SpecialPropertiesData_T | SpecialPropertiesDataAlternate_T;

/** What a client asked for: every property it sent that we know, looked up by CLSID. */
export interface ActivationIn {
  /** CustomHeader.destCtx (2, MSHCTX_DIFFERENTMACHINE, from any remote client). */
  destCtx: number;
  /** CustomHeader.pclsid: the properties sent, in their order, known or not. */
  clsids: Guid[];
  instantiation?: InstantiationInfoData_T;
  activationContext?: ActivationContextInfoData_T;
  location?: LocationInfoData_T;
  scmRequest?: ScmRequestInfoData_T;
  security?: SecurityInfoData_T;
  special?: SpecialProperties;
  instance?: InstanceInfoData_T;
}

/** What an activation answers: PropsOutInfo and ScmReplyInfoData, in that order on the wire. */
export interface ActivationOut {
  propsOut: {
    iids: Guid[];
    /** One HRESULT per IID (unsigned, as the NDR layer keeps them). */
    hresults: number[];
    /** The OBJREF bytes per IID: present where the HRESULT succeeded, null where it failed. */
    interfaces: (Buffer | null)[];
  };
  scmReply: {
    oxid: bigint;
    /** The object exporter's bindings, as the NDR DUALSTRINGARRAY value. */
    bindings: TypeOf<typeof DUALSTRINGARRAY>;
    ipidRemUnknown: Guid;
    authnHint: number;
    serverVersion: { MajorVersion: number; MinorVersion: number };
  };
}

/** What our client activates, and how; the defaults are what a Windows client sends. */
export interface ActivationRequest {
  clsid: Guid;
  iids: Guid[];
  /** COSERVERINFO.pwszName: the server's name as the client addressed it. */
  serverName: string;
  /** SpecialPropertiesData.dwDefaultAuthnLvl: the call's authentication level (5, PKT_INTEGRITY). */
  authnLevel?: number;
  /** customREMOTE_REQUEST_SCM_INFO.ClientImpLevel (2, identify, as Windows). */
  clientImpLevel?: number;
  /** Requested protocol sequences ([7], ncacn_ip_tcp). */
  protseqs?: number[];
  /** InstantiationInfoData.classCtx (16, CLSCTX_REMOTE_SERVER). */
  classCtx?: number;
  clientCOMVersion?: { MajorVersion: number; MinorVersion: number };
  /**
   * pIFDClientCtx as OBJREF bytes. Undefined: a by-value context marshaled as Windows does
   * (see `clientContextObjref`); null: none, as impacket sends.
   */
  clientContext?: Buffer | null;
}

// --- OBJREF_CUSTOM ------------------------------------------------------------------------

/**
 * The clsid and pObjectData of an OBJREF_CUSTOM, read by the one OBJREF codec. cbExtension
 * and the size field are ignored (the spec calls both arbitrary); the blob's own dwSize
 * bounds what follows. The codec's DcomFormatError becomes an ActivationFormatError in
 * `guard`, like every other defect of the blob.
 */
function unwrapObjrefCustom(abData: Buffer): { clsid: Guid; data: Buffer } {
  const objref = decodeObjref(abData, { anyIid: true });
  if (objref.kind !== 'custom') throw new ActivationFormatError(`OBJREF is ${objref.kind}, not OBJREF_CUSTOM`);
  return objref;
}

// --- the blob -----------------------------------------------------------------------------

interface RawProperty {
  clsid: Guid;
  /** The whole type-serialized stream: 16-byte header, body, padding. */
  bytes: Buffer;
}

/**
 * Decodes one type-serialized stream whose extent the CustomHeader gives: the common header
 * is checked by deserializeType1, the ObjectBufferLength is replaced by that extent.
 */
function decodeSerialized<T>(type: NdrType<T>, stream: Buffer): T {
  if (stream.length < H) throw new ActivationFormatError(`${type.name}: ${stream.length} bytes, shorter than a serialization header`);
  const copy = Buffer.from(stream);
  if (copy[1] === 0x00) copy.writeUInt32BE(copy.length - H, 8);
  else copy.writeUInt32LE(copy.length - H, 8);
  try {
    return deserializeType1(type, copy).value;
  } catch (e) {
    throw asActivationFormatError(e, type.name);
  }
}

/** Splits a blob into its CustomHeader and its properties, checking every size. */
function parseBlob(blob: Buffer): { header: CustomHeader_T; clsids: Guid[]; properties: RawProperty[] } {
  if (blob.length < BLOB_PREFIX_SIZE + H + 8) throw new ActivationFormatError(`activation blob of ${blob.length} bytes is truncated`);
  const dwSize = blob.readUInt32LE(0);
  if (dwSize > blob.length - BLOB_PREFIX_SIZE) {
    throw new ActivationFormatError(`dwSize ${dwSize} exceeds the ${blob.length - BLOB_PREFIX_SIZE} bytes present`);
  }
  const region = blob.subarray(BLOB_PREFIX_SIZE, BLOB_PREFIX_SIZE + dwSize);
  if (region.length < H + 8) throw new ActivationFormatError(`dwSize ${dwSize} cannot hold a CustomHeader`);
  // totalSize and headerSize lead the header's body; read them to find the header's extent.
  const big = region[1] === 0x00;
  const totalSize = big ? region.readUInt32BE(H) : region.readUInt32LE(H);
  const headerSize = big ? region.readUInt32BE(H + 4) : region.readUInt32LE(H + 4);
  if (totalSize !== dwSize) throw new ActivationFormatError(`CustomHeader.totalSize ${totalSize} is not dwSize ${dwSize}`);
  if (headerSize < H + 8 || headerSize > totalSize) {
    throw new ActivationFormatError(`CustomHeader.headerSize ${headerSize} outside ${H + 8}..${totalSize}`);
  }
  const header = decodeSerialized(CustomHeader, region.subarray(0, headerSize));
  const { pclsid, pSizes } = header;
  if (pclsid === null || pSizes === null) throw new ActivationFormatError('CustomHeader without pclsid or pSizes');
  const properties: RawProperty[] = [];
  let at = headerSize;
  for (let i = 0; i < header.cIfs; i++) {
    const size = pSizes[i]!;
    if (size < H) throw new ActivationFormatError(`pSizes[${i}] ${size} is smaller than a serialization header`);
    if (size > totalSize - at) {
      throw new ActivationFormatError(`property ${i} (${size} bytes at ${at}) runs past totalSize ${totalSize}`);
    }
    properties.push({ clsid: pclsid[i]!, bytes: region.subarray(at, at + size) });
    at += size;
  }
  return { header, clsids: pclsid, properties };
}

/** A blob of the given properties: CustomHeader sizes and dwSize computed here. */
function buildBlob(properties: readonly RawProperty[], destCtx: number): Buffer {
  const header = (totalSize: number, headerSize: number) =>
    serializeType1(CustomHeader, {
      totalSize,
      headerSize,
      dwReserved: 0,
      destCtx,
      cIfs: properties.length,
      classInfoClsid: GUID_NULL,
      pclsid: properties.map((p) => p.clsid),
      pSizes: properties.map((p) => p.bytes.length),
      pdwReserved: null,
    });
  const headerSize = header(0, 0).length; // the values do not change the layout
  const totalSize = properties.reduce((n, p) => n + p.bytes.length, headerSize);
  const out = Buffer.alloc(BLOB_PREFIX_SIZE + totalSize);
  out.writeUInt32LE(totalSize, 0);
  out.writeUInt32LE(0, 4);
  let at = BLOB_PREFIX_SIZE + header(totalSize, headerSize).copy(out, BLOB_PREFIX_SIZE);
  for (const p of properties) at += p.bytes.copy(out, at);
  return out;
}

function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asActivationFormatError(e, what);
  }
}

// --- the request ----------------------------------------------------------------------------

function decodeSpecial(stream: Buffer): SpecialProperties {
  try {
    return decodeSerialized(SpecialPropertiesData, stream);
  } catch (e) {
    // Windows 2000 - Server 2003 send the 80-byte form, too short for the current one.
    if (!(e instanceof ActivationFormatError && e.cause instanceof NdrError)) throw e;
    return decodeSerialized(SpecialPropertiesDataAlternate, stream);
  }
}

/**
 * Decodes pActProperties' OBJREF bytes (an OBJREF_CUSTOM of CLSID_ActivationPropertiesIn).
 * Unknown properties are skipped; a property sent twice is refused. Throws
 * ActivationFormatError, and nothing else, for anything malformed.
 */
export function decodeActivationPropertiesIn(abData: Buffer): ActivationIn {
  return guard('activation properties in', () => {
    const objref = unwrapObjrefCustom(abData);
    if (objref.clsid !== CLSID_ActivationPropertiesIn) {
      throw new ActivationFormatError(`OBJREF_CUSTOM clsid ${objref.clsid} is not CLSID_ActivationPropertiesIn`);
    }
    const { header, clsids, properties } = parseBlob(objref.data);
    const out: ActivationIn = { destCtx: header.destCtx, clsids };
    const set = <K extends Exclude<keyof ActivationIn, 'destCtx' | 'clsids'>>(key: K, value: ActivationIn[K]) => {
      if (out[key] !== undefined) throw new ActivationFormatError(`property ${key} sent twice`);
      out[key] = value;
    };
    for (const p of properties) {
      switch (p.clsid) {
        case CLSID_InstantiationInfo:
          set('instantiation', decodeSerialized(InstantiationInfoData, p.bytes));
          break;
        case CLSID_ActivationContextInfo:
          set('activationContext', decodeSerialized(ActivationContextInfoData, p.bytes));
          break;
        case CLSID_ServerLocationInfo:
          set('location', decodeSerialized(LocationInfoData, p.bytes));
          break;
        case CLSID_ScmRequestInfo:
          set('scmRequest', decodeSerialized(ScmRequestInfoData, p.bytes));
          break;
        case CLSID_SecurityInfo:
          set('security', decodeSerialized(SecurityInfoData, p.bytes));
          break;
        case CLSID_SpecialSystemProperties:
          set('special', decodeSpecial(p.bytes));
          break;
        case CLSID_InstanceInfo:
          set('instance', decodeSerialized(InstanceInfoData, p.bytes));
          break;
        default:
          break; // an unknown property is ignored (3.1.2.5.2.3.2)
      }
    }
    return out;
  });
}

/**
 * A by-value client context as Windows marshals it into pIFDClientCtx: an OBJREF_CUSTOM
 * (IID_IContext, CLSID_ContextMarshaler) around a Context (2.2.20) of version 1.1, flags
 * CTXMSHLFLAGS_BYVAL, frozen, with no properties.
 */
export function clientContextObjref(contextId: Guid = randomUUID()): Buffer {
  const ctx = Buffer.alloc(48);
  ctx.writeUInt16LE(1, 0); // MajorVersion
  ctx.writeUInt16LE(1, 2); // MinVersion
  writeGuid(ctx, 4, contextId);
  ctx.writeUInt32LE(2, 20); // Flags: CTXMSHLFLAGS_BYVAL
  // Reserved, dwNumExtents, cbExtents, MshlFlags, Count: 0
  ctx.writeUInt32LE(1, 44); // Frozen
  return encodeObjrefCustom(IID_IContext, CLSID_ContextMarshaler, ctx);
}

/**
 * pActProperties as a Windows client builds it: six properties in the order
 * SpecialSystemProperties, InstantiationInfo, ActivationContextInfo, SecurityInfo,
 * ServerLocationInfo, ScmRequestInfo, with Windows' values where the facts record them.
 */
export function encodeActivationPropertiesIn(req: ActivationRequest): Buffer {
  if (req.iids.length < 1 || req.iids.length > 0x8000) throw new TypeError(`${req.iids.length} IIDs: 1..32768 allowed`);
  const protseqs = req.protseqs ?? [7];
  const clientCtx = req.clientContext === undefined ? clientContextObjref() : req.clientContext;
  const special: SpecialPropertiesData_T = {
    dwSessionId: 0xffffffff,
    fRemoteThisSessionId: 0,
    fClientImpersonating: 0,
    fPartitionIDPresent: 0,
    dwDefaultAuthnLvl: req.authnLevel ?? 5,
    guidPartition: GUID_NULL,
    dwPRTFlags: 0,
    dwOrigClsctx: CLSCTX_REMOTE_SERVER,
    dwFlags: SPD_FLAG.USE_DEFAULT_AUTHN_LVL,
    Reserved1: 0,
    Reserved2: 0n,
    Reserved3: [0, 0, 0, 0, 0],
  };
  const instantiation = (thisSize: number): InstantiationInfoData_T => ({
    classId: req.clsid,
    classCtx: req.classCtx ?? CLSCTX_REMOTE_SERVER,
    actvflags: 0,
    fIsSurrogate: 0,
    cIID: req.iids.length,
    instFlag: 0,
    pIID: req.iids,
    thisSize,
    clientCOMVersion: req.clientCOMVersion ?? { MajorVersion: 5, MinorVersion: 7 },
  });
  // thisSize: the property's serialized size, header and padding included (what impacket means to send).
  const instSize = serializeType1(InstantiationInfoData, instantiation(0)).length;
  const properties: RawProperty[] = [
    { clsid: CLSID_SpecialSystemProperties, bytes: serializeType1(SpecialPropertiesData, special) },
    { clsid: CLSID_InstantiationInfo, bytes: serializeType1(InstantiationInfoData, instantiation(instSize)) },
    {
      clsid: CLSID_ActivationContextInfo,
      bytes: serializeType1(ActivationContextInfoData, {
        clientOK: 0,
        bReserved1: 0,
        dwReserved1: 0,
        dwReserved2: 0,
        pIFDClientCtx: clientCtx === null ? null : { ulCntData: clientCtx.length, abData: clientCtx },
        pIFDPrototypeCtx: null,
      }),
    },
    {
      clsid: CLSID_SecurityInfo,
      bytes: serializeType1(SecurityInfoData, {
        dwAuthnFlags: 0,
        pServerInfo: { dwReserved1: 0, pwszName: req.serverName, pdwReserved: null, dwReserved2: 0 },
        pdwReserved: null,
      }),
    },
    {
      clsid: CLSID_ServerLocationInfo,
      bytes: serializeType1(LocationInfoData, { machineName: null, processId: 0, apartmentId: 0, contextId: 0 }),
    },
    {
      clsid: CLSID_ScmRequestInfo,
      bytes: serializeType1(ScmRequestInfoData, {
        pdwReserved: null,
        remoteRequest: {
          ClientImpLevel: req.clientImpLevel ?? 2,
          cRequestedProtseqs: protseqs.length,
          pRequestedProtseqs: protseqs,
        },
      }),
    },
  ];
  return encodeObjrefCustom(
    IID_IActivationPropertiesIn,
    CLSID_ActivationPropertiesIn,
    buildBlob(properties, MSHCTX.DIFFERENTMACHINE),
  );
}

// --- the reply ------------------------------------------------------------------------------

/**
 * ppActProperties: an OBJREF_CUSTOM (IID_IActivationPropertiesOut,
 * CLSID_ActivationPropertiesOut) whose blob holds exactly PropsOutInfo then
 * ScmReplyInfoData, the order impacket depends on.
 */
export function encodeActivationPropertiesOut(out: ActivationOut): Buffer {
  const { iids, hresults, interfaces } = out.propsOut;
  const n = iids.length;
  if (n < 1 || n > 0x8000) throw new TypeError(`${n} IIDs: 1..32768 allowed`);
  if (hresults.length !== n || interfaces.length !== n) {
    throw new TypeError(`PropsOutInfo: ${n} IIDs, ${hresults.length} HRESULTs, ${interfaces.length} interfaces`);
  }
  for (let i = 0; i < n; i++) {
    const failed = (hresults[i]! & 0x80000000) !== 0;
    if (failed !== (interfaces[i] === null)) {
      throw new TypeError(`PropsOutInfo[${i}]: an interface pointer exactly where the HRESULT succeeds`);
    }
  }
  const r = out.scmReply;
  const properties: RawProperty[] = [
    {
      clsid: CLSID_PropsOutInfo,
      bytes: serializeType1(PropsOutInfo, {
        cIfs: n,
        piid: iids,
        phresults: hresults,
        ppIntfData: interfaces.map((b) => (b === null ? null : { ulCntData: b.length, abData: b })),
      }),
    },
    {
      clsid: CLSID_ScmReplyInfo,
      bytes: serializeType1(ScmReplyInfoData, {
        pdwReserved: null,
        remoteReply: {
          Oxid: r.oxid,
          pdsaOxidBindings: r.bindings,
          ipidRemUnknown: r.ipidRemUnknown,
          authnHint: r.authnHint,
          serverVersion: r.serverVersion,
        },
      }),
    },
  ];
  return encodeObjrefCustom(
    IID_IActivationPropertiesOut,
    CLSID_ActivationPropertiesOut,
    buildBlob(properties, MSHCTX.DIFFERENTMACHINE),
  );
}

/**
 * Decodes ppActProperties' OBJREF bytes for our client: PropsOutInfo and ScmReplyInfoData
 * found by CLSID, both required, with every pointer a client needs present. Throws
 * ActivationFormatError, and nothing else, for anything malformed.
 */
export function decodeActivationPropertiesOut(abData: Buffer): ActivationOut {
  return guard('activation properties out', () => {
    const objref = unwrapObjrefCustom(abData);
    // scapy and go-msrpc accept either CLSID here.
    if (objref.clsid !== CLSID_ActivationPropertiesOut && objref.clsid !== CLSID_ActivationPropertiesIn) {
      throw new ActivationFormatError(`OBJREF_CUSTOM clsid ${objref.clsid} is not CLSID_ActivationPropertiesOut`);
    }
    const { properties } = parseBlob(objref.data);
    const find = (clsid: Guid, name: string): Buffer => {
      const found = properties.filter((p) => p.clsid === clsid);
      if (found.length !== 1) throw new ActivationFormatError(`${found.length === 0 ? 'no' : 'more than one'} ${name}`);
      return found[0]!.bytes;
    };
    const props = decodeSerialized(PropsOutInfo, find(CLSID_PropsOutInfo, 'PropsOutInfo'));
    const scm = decodeSerialized(ScmReplyInfoData, find(CLSID_ScmReplyInfo, 'ScmReplyInfoData'));
    if (props.piid === null || props.phresults === null || props.ppIntfData === null) {
      throw new ActivationFormatError('PropsOutInfo with a NULL array');
    }
    const reply = scm.remoteReply;
    if (reply === null) throw new ActivationFormatError('ScmReplyInfoData without remoteReply');
    if (reply.pdsaOxidBindings === null) throw new ActivationFormatError('ScmReplyInfoData without pdsaOxidBindings');
    return {
      propsOut: {
        iids: props.piid,
        hresults: props.phresults,
        interfaces: props.ppIntfData.map((p) => (p === null ? null : p.abData)),
      },
      scmReply: {
        oxid: reply.Oxid,
        bindings: reply.pdsaOxidBindings,
        ipidRemUnknown: reply.ipidRemUnknown,
        authnHint: reply.authnHint,
        serverVersion: reply.serverVersion,
      },
    };
  });
}
