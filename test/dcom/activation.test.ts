/**
 * The activation properties BLOB (MS-DCOM 2.2.22): impacket's request exactly as it sends
 * it, our reply byte for byte, Windows-style requests both ways, every lying size, and
 * random or mutated input that must only ever raise ActivationFormatError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeActivationPropertiesIn,
  decodeActivationPropertiesOut,
  encodeActivationPropertiesIn,
  encodeActivationPropertiesOut,
  clientContextObjref,
  type ActivationOut,
} from '../../src/dcom/activation/blob.js';
import { ActivationFormatError } from '../../src/dcom/activation/error.js';
import {
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
  ScmRequestInfoData,
  SpecialPropertiesDataAlternate,
} from '../../src/dcom/activation/types.js';
import { GUID_NULL, guidBytes, readGuid, serializeType1, type Guid } from '../../src/ndr/index.js';
import { decodeObjref, encodeObjref } from '../../src/dcom/objref.js';

function hex(s: string): Buffer {
  const clean = s.replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(clean)) throw new Error(`bad hex literal: ${s}`);
  return Buffer.from(clean, 'hex');
}

function expectFormatError(fn: () => unknown): ActivationFormatError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected an ActivationFormatError').toBeInstanceOf(ActivationFormatError);
  return thrown as ActivationFormatError;
}

/** Runs fn; it may succeed, but if it throws, only an ActivationFormatError. */
function onlyFormatErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ActivationFormatError)) throw e;
  }
}

const CLSID_VssSnapshotMgmt = '0b5a2c52-3eb9-470a-96e2-6c6d4570e40f';
const IID_IVssSnapshotMgmt = 'fa7df749-66e7-4986-a27f-e2f04ae53772';
const IID_IVssEnumObject = 'ae1c7110-2f60-11d3-8a39-00c04f72d8e3';

/**
 * What impacket 0.10.0 sends in `DCOMConnection.CoCreateInstanceEx(CLSID_VssSnapshotMgmt,
 * IID_IVssSnapshotMgmt)` as pActProperties (dumped once from its RemoteCreateInstance code):
 * four properties, random referent ids, 0xcccccccc in the private-header filler,
 * ObjectBufferLength without the padding, 0xfa between properties and 0xaa inside the NDR,
 * InstantiationInfoData.thisSize 0 (impacket sets it after marshaling), ClientImpLevel 0,
 * both contexts NULL.
 */
const IMPACKET_REQUEST = hex(`
  4d454f57 04000000
  a2010000 0000 0000 c000 000000000046
  38030000 0000 0000 c000 000000000046
  00000000 78010000

  68010000 00000000

  01 10 0800 cccccccc 88000000 cccccccc
  68010000 98000000 00000000 02000000 04000000
  00000000 0000 0000 0000 000000000000
  c0c70000 00650000 00000000
  04000000
  ab010000 0000 0000 c000 000000000046
  a5010000 0000 0000 c000 000000000046
  a4010000 0000 0000 c000 000000000046
  aa010000 0000 0000 c000 000000000046
  04000000 58000000 28000000 20000000 30000000

  01 10 0800 cccccccc 44000000 cccccccc
  522c5a0b b93e 0a47 96e2 6c6d4570e40f
  00000000 00000000 00000000 01000000 00000000
  99a40000 00000000 0500 0700
  01000000 49f77dfa e766 8649 a27f e2f04ae53772
  fafafafa

  01 10 0800 cccccccc 18000000 cccccccc
  00000000 00000000 00000000 00000000 00000000 00000000

  01 10 0800 cccccccc 10000000 cccccccc
  00000000 00000000 00000000 00000000

  01 10 0800 cccccccc 1a000000 cccccccc
  00000000 461f0000
  00000000 0100 aaaa 2d380000
  01000000 0700
  fafafafafafa
`);

// Offsets into IMPACKET_REQUEST.
const AT_DWSIZE = 48;
const AT_HDR_OBL = 64; // CustomHeader ObjectBufferLength
const AT_TOTAL = 72;
const AT_HEADERSIZE = 76;
const AT_CIFS = 88;
const AT_PCLSID_MAX = 120;
const AT_PCLSID = 124;
const AT_PSIZES_MAX = 188;
const AT_PSIZES = 192;
const AT_INST = 56 + 152; // first property
const AT_CIID = AT_INST + 16 + 28;

function patched(buf: Buffer, at: number, v: number): Buffer {
  const b = Buffer.from(buf);
  b.writeUInt32LE(v >>> 0, at);
  return b;
}

// --- building blobs by hand (independently of the encoder) ------------------------------------

function objrefCustom(iid: Guid, clsid: Guid, data: Buffer): Buffer {
  const head = Buffer.alloc(48);
  head.write('MEOW', 0, 'latin1');
  head.writeUInt32LE(4, 4);
  guidBytes(iid).copy(head, 8);
  guidBytes(clsid).copy(head, 24);
  head.writeUInt32LE(data.length + 8, 44);
  return Buffer.concat([head, data]);
}

function handBuiltRequest(props: { clsid: Guid; stream: Buffer }[]): Buffer {
  const hdr = (totalSize: number, headerSize: number) =>
    serializeType1(CustomHeader, {
      totalSize,
      headerSize,
      dwReserved: 0,
      destCtx: 2,
      cIfs: props.length,
      classInfoClsid: GUID_NULL,
      pclsid: props.map((p) => p.clsid),
      pSizes: props.map((p) => p.stream.length),
      pdwReserved: null,
    });
  const headerSize = hdr(0, 0).length;
  const total = headerSize + props.reduce((n, p) => n + p.stream.length, 0);
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(total, 0);
  const blob = Buffer.concat([prefix, hdr(total, headerSize), ...props.map((p) => p.stream)]);
  return objrefCustom(IID_IActivationPropertiesIn, CLSID_ActivationPropertiesIn, blob);
}

const instantiationStream = serializeType1(InstantiationInfoData, {
  classId: CLSID_VssSnapshotMgmt,
  classCtx: 16,
  actvflags: 0,
  fIsSurrogate: 0,
  cIID: 1,
  instFlag: 0,
  pIID: [IID_IVssSnapshotMgmt],
  thisSize: 88,
  clientCOMVersion: { MajorVersion: 5, MinorVersion: 7 },
});
const scmRequestStream = serializeType1(ScmRequestInfoData, {
  pdwReserved: null,
  remoteRequest: { ClientImpLevel: 2, cRequestedProtseqs: 1, pRequestedProtseqs: [7] },
});

// --- a reply --------------------------------------------------------------------------------

const FAKE_OBJREF = Buffer.from(Array.from({ length: 100 }, (_, i) => i));

const REPLY: ActivationOut = {
  propsOut: { iids: [IID_IVssSnapshotMgmt], hresults: [0], interfaces: [FAKE_OBJREF] },
  scmReply: {
    oxid: 0x1122334455667788n,
    bindings: { wNumEntries: 4, wSecurityOffset: 2, aStringArray: [0, 0, 0, 0] },
    ipidRemUnknown: '0000d803-012c-0000-15fe-86df03d66f0f',
    authnHint: 5,
    serverVersion: { MajorVersion: 5, MinorVersion: 7 },
  },
};

/** A DUALSTRINGARRAY value: tower-7 string bindings, then security bindings (authn, 0xffff, ""). */
function dsa(hosts: string[], authn: number[]) {
  const a: number[] = [];
  for (const h of hosts) a.push(7, ...Array.from(h, (c) => c.charCodeAt(0)), 0);
  a.push(0);
  const sec = a.length;
  for (const s of authn) a.push(s, 0xffff, 0);
  a.push(0);
  return { wNumEntries: a.length, wSecurityOffset: sec, aStringArray: a };
}

describe('impacket request', () => {
  it('decodes the four properties by CLSID, tolerating its quirks', () => {
    expect(IMPACKET_REQUEST.length).toBe(416);
    expect(decodeActivationPropertiesIn(IMPACKET_REQUEST)).toEqual({
      destCtx: 2,
      clsids: [CLSID_InstantiationInfo, CLSID_ActivationContextInfo, CLSID_ServerLocationInfo, CLSID_ScmRequestInfo],
      instantiation: {
        classId: CLSID_VssSnapshotMgmt,
        classCtx: 0,
        actvflags: 0,
        fIsSurrogate: 0,
        cIID: 1,
        instFlag: 0,
        pIID: [IID_IVssSnapshotMgmt],
        thisSize: 0,
        clientCOMVersion: { MajorVersion: 5, MinorVersion: 7 },
      },
      activationContext: {
        clientOK: 0,
        bReserved1: 0,
        dwReserved1: 0,
        dwReserved2: 0,
        pIFDClientCtx: null,
        pIFDPrototypeCtx: null,
      },
      location: { machineName: null, processId: 0, apartmentId: 0, contextId: 0 },
      scmRequest: {
        pdwReserved: null,
        remoteRequest: { ClientImpLevel: 0, cRequestedProtseqs: 1, pRequestedProtseqs: [7] },
      },
    });
  });

  it('ignores the OBJREF_CUSTOM size field, cbExtension and a private ObjectBufferLength', () => {
    let b = patched(IMPACKET_REQUEST, 44, 0xffffffff);
    b = patched(b, 40, 7);
    b = patched(b, AT_HDR_OBL, 0xffffffff);
    b = patched(b, AT_INST + 8, 0); // InstantiationInfo's ObjectBufferLength
    expect(decodeActivationPropertiesIn(b)).toEqual(decodeActivationPropertiesIn(IMPACKET_REQUEST));
  });

  it('accepts bytes after dwSize', () => {
    const b = Buffer.concat([IMPACKET_REQUEST, Buffer.alloc(8, 0xee)]);
    expect(decodeActivationPropertiesIn(b)).toEqual(decodeActivationPropertiesIn(IMPACKET_REQUEST));
  });
});

describe('hand-built requests', () => {
  it('finds properties by CLSID in any order and skips unknown ones by their size', () => {
    const unknown = { clsid: '12345678-9abc-def0-1234-56789abcdef0', stream: Buffer.alloc(40, 0x5a) };
    const req = handBuiltRequest([
      { clsid: CLSID_ScmRequestInfo, stream: scmRequestStream },
      unknown,
      { clsid: CLSID_InstantiationInfo, stream: instantiationStream },
    ]);
    const got = decodeActivationPropertiesIn(req);
    expect(got.clsids).toEqual([CLSID_ScmRequestInfo, unknown.clsid, CLSID_InstantiationInfo]);
    expect(got.instantiation?.pIID).toEqual([IID_IVssSnapshotMgmt]);
    expect(got.scmRequest?.remoteRequest?.pRequestedProtseqs).toEqual([7]);
    expect(got.activationContext).toBeUndefined();
  });

  it('accepts the 80-byte SpecialPropertiesData of Windows 2000 - Server 2003', () => {
    const legacy = {
      dwSessionId: 0xffffffff,
      fRemoteThisSessionId: 0,
      fClientImpersonating: 1,
      fPartitionIDPresent: 0,
      dwDefaultAuthnLvl: 6,
      guidPartition: GUID_NULL,
      dwPRTFlags: 0,
      dwOrigClsctx: 16,
      dwFlags: 1,
      Reserved3: [1, 2, 3, 4, 5, 6, 7, 8],
    };
    const stream = serializeType1(SpecialPropertiesDataAlternate, legacy);
    expect(stream.length).toBe(96);
    const got = decodeActivationPropertiesIn(
      handBuiltRequest([
        { clsid: CLSID_SpecialSystemProperties, stream },
        { clsid: CLSID_InstantiationInfo, stream: instantiationStream },
      ]),
    );
    expect(got.special).toEqual(legacy);
  });

  it('decodes InstanceInfoData', () => {
    const value = {
      fileName: 'C:\\file.txt',
      mode: 0x10,
      ifdROT: null,
      ifdStg: { ulCntData: 3, abData: Buffer.from([1, 2, 3]) },
    };
    const got = decodeActivationPropertiesIn(
      handBuiltRequest([
        { clsid: CLSID_InstantiationInfo, stream: instantiationStream },
        { clsid: CLSID_InstanceInfo, stream: serializeType1(InstanceInfoData, value) },
      ]),
    );
    expect(got.instance).toEqual(value);
  });

  it('refuses a property sent twice', () => {
    expectFormatError(() =>
      decodeActivationPropertiesIn(
        handBuiltRequest([
          { clsid: CLSID_InstantiationInfo, stream: instantiationStream },
          { clsid: CLSID_InstantiationInfo, stream: instantiationStream },
        ]),
      ),
    );
  });

  it('refuses a property whose body is not what its CLSID says', () => {
    expectFormatError(() =>
      decodeActivationPropertiesIn(
        handBuiltRequest([
          { clsid: CLSID_InstantiationInfo, stream: serializeType1(LocationInfoData, { machineName: null, processId: 0, apartmentId: 0, contextId: 0 }) },
        ]),
      ),
    );
  });
});

describe('reply', () => {
  it('is exactly PropsOutInfo then ScmReplyInfoData, with the header arithmetic of 2.2.22', () => {
    const out = encodeActivationPropertiesOut(REPLY);
    const objrefHex = FAKE_OBJREF.toString('hex');
    expect(out.toString('hex')).toBe(
      hex(`
        4d454f57 04000000
        a3010000 0000 0000 c000 000000000046
        39030000 0000 0000 c000 000000000046
        00000000 80010000

        70010000 00000000

        01 10 0800 cccccccc 60000000 00000000
        70010000 70000000 00000000 02000000 02000000
        00000000 0000 0000 0000 000000000000
        00000200 04000200 00000000
        02000000
        39030000 0000 0000 c000 000000000046
        b6010000 0000 0000 c000 000000000046
        02000000 b0000000 50000000

        01 10 0800 cccccccc a0000000 00000000
        01000000 00000200 04000200 08000200
        01000000 49f77dfa e766 8649 a27f e2f04ae53772
        01000000 00000000
        01000000 0c000200
        64000000 64000000 ${objrefHex}

        01 10 0800 cccccccc 40000000 00000000
        00000000 00000200
        8877665544332211
        04000200
        03d80000 2c01 0000 15fe 86df03d66f0f
        05000000 0500 0700
        04000000 0400 0200 0000 0000 0000 0000
        00000000
      `).toString('hex'),
    );
    // The same, as arithmetic.
    expect(out.length).toBe(424);
    expect(out.readUInt32LE(44)).toBe(out.length - 48 + 8); // OBJREF_CUSTOM size = blob + 8
    const dwSize = out.readUInt32LE(48);
    expect(dwSize).toBe(out.length - 56);
    expect(out.readUInt32LE(AT_TOTAL)).toBe(dwSize);
    expect(out.readUInt32LE(AT_HEADERSIZE)).toBe(112);
    expect(out.readUInt32LE(AT_CIFS)).toBe(2);
    expect(readGuid(out, AT_PCLSID)).toBe(CLSID_PropsOutInfo);
    expect(readGuid(out, AT_PCLSID + 16)).toBe(CLSID_ScmReplyInfo);
    const pSizes = [out.readUInt32LE(160), out.readUInt32LE(164)];
    expect(pSizes).toEqual([16 + 60 + 100, 16 + 64]);
    expect(112 + pSizes[0]! + pSizes[1]!).toBe(dwSize);
    expect(CLSID_PropsOutInfo).toBe(CLSID_ActivationPropertiesOut);
  });

  it('decodeActivationPropertiesOut reads it back', () => {
    expect(decodeActivationPropertiesOut(encodeActivationPropertiesOut(REPLY))).toEqual(REPLY);
  });

  it('several IIDs, a failed one, real bindings', () => {
    const reply: ActivationOut = {
      propsOut: {
        iids: [IID_IVssSnapshotMgmt, IID_IVssEnumObject, GUID_NULL.replace(/^0/, '1')],
        hresults: [0, 0x80004002, 0],
        interfaces: [FAKE_OBJREF.subarray(0, 37), null, FAKE_OBJREF],
      },
      scmReply: { ...REPLY.scmReply, bindings: dsa(['HOST[49667]', '10.0.0.5[49667]'], [10, 9]), authnHint: 6 },
    };
    const out = encodeActivationPropertiesOut(reply);
    expect(out.readUInt32LE(AT_HEADERSIZE)).toBe(112);
    expect(decodeActivationPropertiesOut(out)).toEqual(reply);
  });

  it('refuses to encode an interface pointer where the HRESULT failed, or none where it succeeded', () => {
    expect(() =>
      encodeActivationPropertiesOut({ ...REPLY, propsOut: { ...REPLY.propsOut, hresults: [0x80004002] } }),
    ).toThrow(TypeError);
    expect(() =>
      encodeActivationPropertiesOut({ ...REPLY, propsOut: { ...REPLY.propsOut, interfaces: [null] } }),
    ).toThrow(TypeError);
    expect(() =>
      encodeActivationPropertiesOut({ ...REPLY, propsOut: { iids: [], hresults: [], interfaces: [] } }),
    ).toThrow(TypeError);
  });

  it('the client side refuses a request blob and a reply without ScmReplyInfoData', () => {
    expectFormatError(() => decodeActivationPropertiesOut(IMPACKET_REQUEST));
    expectFormatError(() => decodeActivationPropertiesIn(encodeActivationPropertiesOut(REPLY)));
  });
});

describe('Windows-style request', () => {
  it('six properties in Windows order round-trip', () => {
    const ctxId = '53394e9f-e973-4bf0-a341-154519534fe1';
    const req = encodeActivationPropertiesIn({
      clsid: CLSID_VssSnapshotMgmt,
      iids: [IID_IVssSnapshotMgmt, IID_IVssEnumObject],
      serverName: 'host.example',
      clientContext: clientContextObjref(ctxId),
    });
    expect(req.readUInt32LE(AT_HEADERSIZE)).toBe(192);
    expect(req.readUInt32LE(AT_TOTAL)).toBe(req.readUInt32LE(AT_DWSIZE));
    const got = decodeActivationPropertiesIn(req);
    expect(got.clsids).toEqual([
      CLSID_SpecialSystemProperties,
      CLSID_InstantiationInfo,
      CLSID_ActivationContextInfo,
      CLSID_SecurityInfo,
      CLSID_ServerLocationInfo,
      CLSID_ScmRequestInfo,
    ]);
    expect(got.destCtx).toBe(2);
    expect(got.special).toEqual({
      dwSessionId: 0xffffffff,
      fRemoteThisSessionId: 0,
      fClientImpersonating: 0,
      fPartitionIDPresent: 0,
      dwDefaultAuthnLvl: 5,
      guidPartition: GUID_NULL,
      dwPRTFlags: 0,
      dwOrigClsctx: 16,
      dwFlags: 2,
      Reserved1: 0,
      Reserved2: 0n,
      Reserved3: [0, 0, 0, 0, 0],
    });
    expect(got.instantiation).toEqual({
      classId: CLSID_VssSnapshotMgmt,
      classCtx: 16,
      actvflags: 0,
      fIsSurrogate: 0,
      cIID: 2,
      instFlag: 0,
      pIID: [IID_IVssSnapshotMgmt, IID_IVssEnumObject],
      thisSize: 16 + 88,
      clientCOMVersion: { MajorVersion: 5, MinorVersion: 7 },
    });
    const ctx = got.activationContext?.pIFDClientCtx;
    expect(ctx?.ulCntData).toBe(96);
    expect(ctx?.abData.toString('hex')).toBe(
      hex(`
        4d454f57 04000000
        c0010000 0000 0000 c000 000000000046
        3b030000 0000 0000 c000 000000000046
        00000000 38000000
        0100 0100 9f4e3953 73e9 f04b a341 154519534fe1
        02000000 00000000 00000000 00000000 00000000 00000000 01000000
      `).toString('hex'),
    );
    expect(readGuid(ctx!.abData, 8)).toBe(IID_IContext);
    expect(readGuid(ctx!.abData, 24)).toBe(CLSID_ContextMarshaler);
    expect(got.activationContext?.pIFDPrototypeCtx).toBeNull();
    expect(got.security).toEqual({
      dwAuthnFlags: 0,
      pServerInfo: { dwReserved1: 0, pwszName: 'host.example', pdwReserved: null, dwReserved2: 0 },
      pdwReserved: null,
    });
    expect(got.location).toEqual({ machineName: null, processId: 0, apartmentId: 0, contextId: 0 });
    expect(got.scmRequest).toEqual({
      pdwReserved: null,
      remoteRequest: { ClientImpLevel: 2, cRequestedProtseqs: 1, pRequestedProtseqs: [7] },
    });
    expect(got.instance).toBeUndefined();
  });

  it('options: no client context, other protseqs and levels', () => {
    const got = decodeActivationPropertiesIn(
      encodeActivationPropertiesIn({
        clsid: CLSID_VssSnapshotMgmt,
        iids: [IID_IVssSnapshotMgmt],
        serverName: '',
        clientContext: null,
        protseqs: [7, 0x1f],
        authnLevel: 6,
        clientImpLevel: 3,
      }),
    );
    expect(got.activationContext?.pIFDClientCtx).toBeNull();
    expect(got.scmRequest?.remoteRequest).toEqual({ ClientImpLevel: 3, cRequestedProtseqs: 2, pRequestedProtseqs: [7, 0x1f] });
    expect(got.special?.dwDefaultAuthnLvl).toBe(6);
    expect(got.security?.pServerInfo?.pwszName).toBe('');
  });

  it('the request OBJREF carries IID_IActivationPropertiesIn and CLSID_ActivationPropertiesIn', () => {
    const req = encodeActivationPropertiesIn({ clsid: CLSID_VssSnapshotMgmt, iids: [IID_IVssSnapshotMgmt], serverName: 'h' });
    expect(readGuid(req, 8)).toBe(IID_IActivationPropertiesIn);
    expect(readGuid(req, 24)).toBe(CLSID_ActivationPropertiesIn);
    expect(req.readUInt32LE(44)).toBe(req.length - 48 + 8);
    const out = encodeActivationPropertiesOut(REPLY);
    expect(readGuid(out, 8)).toBe(IID_IActivationPropertiesOut);
  });
});

describe('malformed input is an ActivationFormatError', () => {
  const reply = encodeActivationPropertiesOut(REPLY);
  const windowsRequest = encodeActivationPropertiesIn({
    clsid: CLSID_VssSnapshotMgmt,
    iids: [IID_IVssSnapshotMgmt],
    serverName: 'host',
  });

  it('every truncation', () => {
    for (let n = 0; n < IMPACKET_REQUEST.length; n++) expectFormatError(() => decodeActivationPropertiesIn(IMPACKET_REQUEST.subarray(0, n)));
    for (let n = 0; n < windowsRequest.length; n++) expectFormatError(() => decodeActivationPropertiesIn(windowsRequest.subarray(0, n)));
    for (let n = 0; n < reply.length; n++) expectFormatError(() => decodeActivationPropertiesOut(reply.subarray(0, n)));
  });

  it('the OBJREF itself: signature, flags, clsid', () => {
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, 0, 0x574f454e)));
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, 4, 1)));
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, 24, 0x339)));
    expectFormatError(() => decodeActivationPropertiesOut(patched(reply, 24, 0x33a)));
  });

  it('dwSize and totalSize', () => {
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_DWSIZE, 0x169)));
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_DWSIZE, 0x160)));
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_DWSIZE, 0xffffffff)));
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_TOTAL, 0x160)));
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_TOTAL, 0x170)));
    expectFormatError(() => decodeActivationPropertiesOut(patched(reply, AT_TOTAL, reply.readUInt32LE(AT_TOTAL) - 8)));
  });

  it('headerSize', () => {
    for (const v of [0, 16, 100, 0x160, 0x169, 0xffffffff]) {
      expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_HEADERSIZE, v)));
    }
  });

  it('cIfs 0, 5, 11, 1000; max_counts that disagree', () => {
    for (const v of [0, 5, 11, 1000, 0xffffffff]) {
      expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_CIFS, v)));
    }
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_PCLSID_MAX, 1000)));
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_PSIZES_MAX, 3)));
  });

  it('pSizes past the end, smaller than a header, or not matching the body', () => {
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_PSIZES + 12, 0x38)));
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_PSIZES + 12, 0xffffffff)));
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_PSIZES, 0x1000)));
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_PSIZES, 8)));
    // InstantiationInfo cut short: its pIID runs off its own 40 bytes.
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_PSIZES, 40)));
    expectFormatError(() => decodeActivationPropertiesOut(patched(reply, 160, 0xffffff00)));
  });

  it('counts inside properties: cIID 0 and 0x8001, a max_count that lies', () => {
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_CIID, 0)));
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_CIID, 0x8001)));
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_CIID, 2)));
    expectFormatError(() => decodeActivationPropertiesIn(patched(IMPACKET_REQUEST, AT_INST + 16 + 48, 0x7fffffff)));
    // PropsOutInfo.cIfs 0, then the interface's ulCntData beyond the data.
    expectFormatError(() => decodeActivationPropertiesOut(patched(reply, 184, 0)));
    expectFormatError(() => decodeActivationPropertiesOut(patched(reply, 184 + 52, 0x10000)));
  });

  it('a serialization header that is not version 1', () => {
    const b = Buffer.from(IMPACKET_REQUEST);
    b[AT_INST] = 2;
    expectFormatError(() => decodeActivationPropertiesIn(b));
    const c = Buffer.from(IMPACKET_REQUEST);
    c[56 + 1] = 0x77; // CustomHeader endianness
    expectFormatError(() => decodeActivationPropertiesIn(c));
  });
});

describe('properties', () => {
  const valid = [
    IMPACKET_REQUEST,
    encodeActivationPropertiesIn({ clsid: CLSID_VssSnapshotMgmt, iids: [IID_IVssSnapshotMgmt], serverName: 'srv' }),
    encodeActivationPropertiesOut(REPLY),
  ];
  const decoders = [decodeActivationPropertiesIn, decodeActivationPropertiesOut];
  const objrefHead = IMPACKET_REQUEST.subarray(0, 48);

  it('random bytes only ever throw ActivationFormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, withHead) => {
        const buf = withHead ? Buffer.concat([objrefHead, bytes]) : Buffer.from(bytes);
        for (const d of decoders) onlyFormatErrors(() => d(buf));
      }),
      { numRuns: 1500 },
    );
  });

  it('mutated valid blobs only ever throw ActivationFormatError', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), v: fc.oneof(fc.nat(64), fc.constantFrom(0, 1, 0xffffffff, 0x80000000, 0x7fffffff), fc.nat()) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), v: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), v: fc.integer({ min: 1, max: 16 }) }),
    );
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, muts) => {
        let buf = Buffer.from(valid[which]!);
        for (const m of muts) {
          const at = buf.length === 0 ? 0 : m.at % buf.length;
          if (m.kind === 'byte') {
            if (buf.length > 0) buf[at] = m.v;
          } else if (m.kind === 'u32') {
            const pos = at & ~3;
            if (pos + 4 <= buf.length) buf.writeUInt32LE(m.v >>> 0, pos);
          } else if (m.kind === 'cut') {
            buf = buf.subarray(0, at);
          } else {
            buf = Buffer.concat([buf.subarray(0, at), Buffer.alloc(m.v, 0xcc), buf.subarray(at)]);
          }
        }
        for (const d of decoders) onlyFormatErrors(() => d(buf));
      }),
      { numRuns: 3000 },
    );
  });

  const guid = fc.uuid().map((u) => u.toLowerCase());
  const u32 = fc.nat().map((n) => n >>> 0);
  const reply = fc
    .array(fc.tuple(guid, fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 200 })), { minLength: 1, maxLength: 5 })
    .chain((ifs) =>
      fc.record({
        propsOut: fc.constant({
          iids: ifs.map((x) => x[0]),
          hresults: ifs.map((x) => (x[1] ? 0 : 0x80004002)),
          interfaces: ifs.map((x) => (x[1] ? Buffer.from(x[2]) : null)),
        }),
        scmReply: fc.record({
          oxid: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          bindings: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).chain((a) =>
            fc.nat(a.length).map((sec) => ({ wNumEntries: a.length, wSecurityOffset: sec, aStringArray: a })),
          ),
          ipidRemUnknown: guid,
          authnHint: u32,
          serverVersion: fc.record({ MajorVersion: fc.integer({ min: 0, max: 0xffff }), MinorVersion: fc.integer({ min: 0, max: 0xffff }) }),
        }),
      }),
    );

  it('any reply round-trips, with consistent sizes', () => {
    fc.assert(
      fc.property(reply, (r) => {
        const out = encodeActivationPropertiesOut(r);
        expect(out.readUInt32LE(44)).toBe(out.length - 40);
        expect(out.readUInt32LE(AT_TOTAL)).toBe(out.readUInt32LE(AT_DWSIZE));
        expect(out.readUInt32LE(AT_HEADERSIZE) + out.readUInt32LE(160) + out.readUInt32LE(164)).toBe(out.length - 56);
        expect(decodeActivationPropertiesOut(out)).toEqual(r);
      }),
      { numRuns: 200 },
    );
  });

  it('any request round-trips', () => {
    fc.assert(
      fc.property(
        guid,
        fc.array(guid, { minLength: 1, maxLength: 8 }),
        fc.string({ maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 6 }),
        fc.boolean(),
        (clsid, iids, serverName, protseqs, ctx) => {
          const got = decodeActivationPropertiesIn(
            encodeActivationPropertiesIn({ clsid, iids, serverName, protseqs, clientContext: ctx ? undefined : null }),
          );
          expect(got.instantiation?.classId).toBe(clsid);
          expect(got.instantiation?.pIID).toEqual(iids);
          expect(got.security?.pServerInfo?.pwszName).toBe(serverName);
          expect(got.scmRequest?.remoteRequest?.pRequestedProtseqs).toEqual(protseqs);
          expect(got.activationContext?.pIFDClientCtx === null).toBe(!ctx);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('one OBJREF codec (src/dcom/objref.ts) wraps the blobs', () => {
  const req = encodeActivationPropertiesIn({ clsid: CLSID_VssSnapshotMgmt, iids: [IID_IVssSnapshotMgmt], serverName: 'h' });

  it('the blob codec writes exactly what the OBJREF codec reads as OBJREF_CUSTOM', () => {
    const o = decodeObjref(req);
    expect(o.kind).toBe('custom');
    if (o.kind !== 'custom') return;
    expect(o.iid).toBe(IID_IActivationPropertiesIn);
    expect(o.clsid).toBe(CLSID_ActivationPropertiesIn);
    expect(o.cbExtension).toBe(0);
    expect(encodeObjref(o).equals(req)).toBe(true);
  });

  it('pActProperties with an iid of GUID_NULL is read as before (the clsid decides); the strict codec refuses it', () => {
    const nullIid = Buffer.from(req);
    nullIid.fill(0, 8, 24);
    expect(decodeActivationPropertiesIn(nullIid).instantiation?.classId).toBe(CLSID_VssSnapshotMgmt);
    expect(() => decodeObjref(nullIid)).toThrow(/GUID_NULL/);
  });

  it('an OBJREF_STANDARD where OBJREF_CUSTOM belongs is an ActivationFormatError', () => {
    const std = encodeObjref({
      kind: 'standard',
      iid: IID_IActivationPropertiesIn,
      std: { flags: 0, cPublicRefs: 5, oxid: 1n, oid: 2n, ipid: IID_IVssSnapshotMgmt },
      resolver: { stringBindings: [], securityBindings: [] },
    });
    expectFormatError(() => decodeActivationPropertiesIn(std));
  });
});
