/**
 * MS-SCMP's types and interfaces on the wire. The byte vectors are laid out by hand from
 * the NDR20 rules (C706 §14; MS-RPCE §2.2.5 for what Windows does):
 * - every MS-SCMP enum is [v1_enum]: 4 octets;
 * - VSS_OBJECT_PROP / VSS_MGMT_OBJECT_PROP align to 8 as a whole (their unions have arms with
 *   a LONGLONG); Type, then the union's own copy of the discriminant, then the arm at +8;
 * - embedded pointers leave a referent id among the scalars (ours count 0x00020000, +4 per
 *   non-null pointer, as Windows does) and their strings after all the scalars of the
 *   outermost structure or array, element by element, in field order;
 * - a string is max_count, offset 0, actual_count (NUL counted), UTF-16 code units; the
 *   next item aligns itself (so a string of an odd count leaves 2 octets of padding);
 * - a structure has no trailing padding in NDR20;
 * - in a method's parameter list each parameter is whole before the next one.
 * The big-endian vector of each is the same layout with every integer byte-swapped.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MethodDecl } from '../../../src/dcerpc/interface.js';
import { NdrError, ndrDecode, ndrEncode, type NdrType } from '../../../src/ndr/index.js';
import {
  IVssDifferentialSoftwareSnapshotMgmt,
  IVssEnumMgmtObject,
  IVssEnumObject,
  IVssSnapshotMgmt,
} from '../../../src/interfaces/scmp/idl.js';
import { IVssSnapshotMgmt as IVssSnapshotMgmtReexported, VSS_ID as VSS_ID_Reexported } from '../../../src/interfaces/scmp/snapshot-mgmt.js';
import { IID_IVssSnapshotMgmt as IID_FromClass } from '../../../src/interfaces/scmp/class.js';
import {
  E_ACCESSDENIED,
  E_INVALIDARG,
  IID_IVssDifferentialSoftwareSnapshotMgmt,
  IID_IVssEnumMgmtObject,
  IID_IVssEnumObject,
  IID_IVssSnapshotMgmt,
  S_FALSE,
  S_OK,
  VSS_CTX_ALL,
  VSS_CTX_CLIENT_ACCESSIBLE,
  VSS_DIFF_AREA_PROP,
  VSS_DIFF_VOLUME_PROP,
  VSS_E_INSUFFICIENT_STORAGE,
  VSS_E_MAXIMUM_DIFFAREA_ASSOCIATIONS_REACHED,
  VSS_E_OBJECT_ALREADY_EXISTS,
  VSS_E_OBJECT_NOT_FOUND,
  VSS_E_PROVIDER_NOT_REGISTERED,
  VSS_E_PROVIDER_VETO,
  VSS_E_VOLUME_IN_USE,
  VSS_E_VOLUME_NOT_SUPPORTED,
  VSS_ID,
  VSS_MGMT_OBJECT_DIFF_AREA,
  VSS_MGMT_OBJECT_DIFF_VOLUME,
  VSS_MGMT_OBJECT_PROP,
  VSS_MGMT_OBJECT_VOLUME,
  VSS_OBJECT_PROP,
  VSS_OBJECT_PROVIDER,
  VSS_OBJECT_SNAPSHOT,
  VSS_OBJECT_SNAPSHOT_SET,
  VSS_OBJECT_TYPE_COUNT,
  VSS_PROVIDER_PROP,
  VSS_SNAPSHOT_PROP,
  VSS_SS_CREATED,
  VSS_SYSTEM_PROVIDER_ID,
  VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE,
  VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE,
  VSS_VOLSNAP_ATTR_NO_WRITERS,
  VSS_VOLSNAP_ATTR_PERSISTENT,
  VSS_VOLUME_PROP,
  diffAreaObject,
  diffVolumeObject,
  snapshotObject,
  volumeObject,
  type VSS_MGMT_OBJECT_PROP_T,
  type VSS_OBJECT_PROP_T,
  type VSS_SNAPSHOT_PROP_T,
} from '../../../src/interfaces/scmp/types.js';
import { decodeAll, everyPrefixFails, expectNdrError, hex, vector } from '../../ndr/helpers.js';

// ---------------------------------------------------------------------------------------
// Values and their hand-written octets

const SNAP1 = '01020304-0506-0708-090a-0b0c0d0e0f10';
const SNAP1_LE = '04030201 0605 0807 090a0b0c0d0e0f10';
const SNAP1_BE = '01020304 0506 0708 090a0b0c0d0e0f10';
const SET1 = '11121314-1516-1718-191a-1b1c1d1e1f20';
const SET1_LE = '14131211 1615 1817 191a1b1c1d1e1f20';
const SET1_BE = '11121314 1516 1718 191a1b1c1d1e1f20';
const SNAP2 = '21222324-2526-2728-292a-2b2c2d2e2f30';
const SNAP2_LE = '24232221 2625 2827 292a2b2c2d2e2f30';
const SNAP2_BE = '21222324 2526 2728 292a2b2c2d2e2f30';
const SET2 = '31323334-3536-3738-393a-3b3c3d3e3f40';
const SET2_LE = '34333231 3635 3837 393a3b3c3d3e3f40';
const SET2_BE = '31323334 3536 3738 393a3b3c3d3e3f40';
const PROV_LE = '376194b5 9f7b 2549 af8051abd60b20d5';
const PROV_BE = 'b5946137 7b9f 4925 af8051abd60b20d5';

/** Strings: max_count, offset, actual_count, then the UTF-16 code units with their NUL. */
const STR_S1_LE = '03000000 00000000 03000000 5300 3100 0000';
const STR_S1_BE = '00000003 00000000 00000003 0053 0031 0000';
const STR_S2_LE = '03000000 00000000 03000000 5300 3200 0000';
const STR_S2_BE = '00000003 00000000 00000003 0053 0032 0000';
const STR_C_LE = '04000000 00000000 04000000 4300 3a00 5c00 0000'; // C:\
const STR_C_BE = '00000004 00000000 00000004 0043 003a 005c 0000';
const STR_D_LE = '04000000 00000000 04000000 4400 3a00 5c00 0000'; // D:\
const STR_D_BE = '00000004 00000000 00000004 0044 003a 005c 0000';
const STR_AB_LE = '04000000 00000000 04000000 6100 2e00 6200 0000'; // a.b
const STR_AB_BE = '00000004 00000000 00000004 0061 002e 0062 0000';

const ATTRS = VSS_VOLSNAP_ATTR_PERSISTENT | VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE | VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE | VSS_VOLSNAP_ATTR_NO_WRITERS; // 0x1d

const snap1: VSS_SNAPSHOT_PROP_T = {
  m_SnapshotId: SNAP1,
  m_SnapshotSetId: SET1,
  m_lSnapshotsCount: 1,
  m_pwszSnapshotDeviceObject: 'S1',
  m_pwszOriginalVolumeName: 'C:\\',
  m_pwszOriginatingMachine: 'a.b',
  m_pwszServiceMachine: 'a.b',
  m_pwszExposedName: null,
  m_pwszExposedPath: null,
  m_ProviderId: VSS_SYSTEM_PROVIDER_ID,
  m_lSnapshotAttributes: ATTRS,
  m_tsCreationTimestamp: 0x01d9f0a1b2c3d4e5n,
  m_eStatus: VSS_SS_CREATED,
};
const snap2: VSS_SNAPSHOT_PROP_T = {
  ...snap1,
  m_SnapshotId: SNAP2,
  m_SnapshotSetId: SET2,
  m_pwszSnapshotDeviceObject: 'S2',
  m_tsCreationTimestamp: 0x01d9f0a2c3d4e5f6n,
};

const ORPC_CID = SNAP1;
const orpcThis = { version: { MajorVersion: 5, MinorVersion: 7 }, flags: 0, reserved1: 0, cid: ORPC_CID, extensions: null };
const ORPCTHIS_LE = '0500 0700 00000000 00000000' + SNAP1_LE + '00000000';
const ORPCTHIS_BE = '0005 0007 00000000 00000000' + SNAP1_BE + '00000000';
const orpcThat = { flags: 0, extensions: null };
const ORPCTHAT_LE = '00000000 00000000';
const ORPCTHAT_BE = '00000000 00000000';

/**
 * A response vector: encoded as the server does (scope: the request's [in] values and the
 * response's own), decoded as a client does (scope: its request) and with no scope at all,
 * in both byte orders, consuming every octet.
 */
function responseVector<I extends Record<string, unknown>, O extends Record<string, unknown>>(m: MethodDecl<I, O>, args: I, out: O, le: string, be: string): void {
  const leBuf = hex(le);
  const beBuf = hex(be);
  expect(beBuf.length, 'BE vector has the LE layout').toBe(leBuf.length);
  expect(ndrEncode(m.response, out, { ...args, ...out }).toString('hex')).toBe(leBuf.toString('hex'));
  expect(decodeAll(m.response, leBuf, true, args)).toEqual(out);
  expect(decodeAll(m.response, beBuf, false, args)).toEqual(out);
  expect(decodeAll(m.response, leBuf, true)).toEqual(out);
  expect(decodeAll(m.response, beBuf, false)).toEqual(out);
}

// ---------------------------------------------------------------------------------------

describe('constants (MS-SCMP 1.9, 2.2.2, 3.1)', () => {
  it('IIDs, the provider, HRESULTs and enum values', () => {
    expect(IID_IVssSnapshotMgmt).toBe('fa7df749-66e7-4986-a27f-e2f04ae53772');
    expect(IID_IVssDifferentialSoftwareSnapshotMgmt).toBe('214a0f28-b737-4026-b847-4f9e37d79529');
    expect(IID_IVssEnumObject).toBe('ae1c7110-2f60-11d3-8a39-00c04f72d8e3');
    expect(IID_IVssEnumMgmtObject).toBe('01954e6b-9254-4e6e-808c-c9e05d007696');
    expect(VSS_SYSTEM_PROVIDER_ID).toBe('b5946137-7b9f-4925-af80-51abd60b20d5');
    expect([S_OK, S_FALSE, E_ACCESSDENIED, E_INVALIDARG]).toEqual([0, 1, 0x80070005, 0x80070057]);
    expect([
      VSS_E_PROVIDER_NOT_REGISTERED,
      VSS_E_PROVIDER_VETO,
      VSS_E_OBJECT_NOT_FOUND,
      VSS_E_VOLUME_NOT_SUPPORTED,
      VSS_E_OBJECT_ALREADY_EXISTS,
      VSS_E_VOLUME_IN_USE,
      VSS_E_MAXIMUM_DIFFAREA_ASSOCIATIONS_REACHED,
      VSS_E_INSUFFICIENT_STORAGE,
    ]).toEqual([0x80042304, 0x80042306, 0x80042308, 0x8004230c, 0x8004230d, 0x8004231d, 0x8004231e, 0x8004231f]);
    expect([VSS_OBJECT_SNAPSHOT_SET, VSS_OBJECT_SNAPSHOT, VSS_OBJECT_PROVIDER, VSS_OBJECT_TYPE_COUNT]).toEqual([2, 3, 4, 5]);
    expect([VSS_MGMT_OBJECT_VOLUME, VSS_MGMT_OBJECT_DIFF_VOLUME, VSS_MGMT_OBJECT_DIFF_AREA]).toEqual([1, 2, 3]);
    expect(VSS_SS_CREATED).toBe(12);
    expect(ATTRS).toBe(0x1d);
    expect(VSS_CTX_CLIENT_ACCESSIBLE).toBe(0x1d);
    expect(VSS_CTX_ALL).toBe(-1);
  });

  it('the earlier exports stay where they were', () => {
    expect(IVssSnapshotMgmtReexported).toBe(IVssSnapshotMgmt);
    expect(VSS_ID_Reexported).toBe(VSS_ID);
    expect(IID_FromClass).toBe(IID_IVssSnapshotMgmt);
  });
});

describe('interface declarations (MS-SCMP 6)', () => {
  const table = (decl: { uuid: string; major: number; minor: number; opnums: ReadonlyArray<{ name: string } | undefined> }) => ({
    uuid: decl.uuid,
    version: [decl.major, decl.minor],
    opnums: Array.from(decl.opnums, (m) => m?.name ?? null),
  });

  it('IIDs, version 0.0 and every opnum', () => {
    expect(table(IVssSnapshotMgmt)).toEqual({
      uuid: IID_IVssSnapshotMgmt,
      version: [0, 0],
      opnums: [null, null, null, 'GetProviderMgmtInterface', 'QueryVolumesSupportedForSnapshots', 'QuerySnapshotsByVolume'],
    });
    // Opnum 8 (Opnum08NotUsedOnWire) is not served.
    expect(table(IVssDifferentialSoftwareSnapshotMgmt)).toEqual({
      uuid: IID_IVssDifferentialSoftwareSnapshotMgmt,
      version: [0, 0],
      opnums: [null, null, null, 'AddDiffArea', 'ChangeDiffAreaMaximumSize', 'QueryVolumesSupportedForDiffAreas', 'QueryDiffAreasForVolume', 'QueryDiffAreasOnVolume'],
    });
    for (const [decl, iid] of [
      [IVssEnumObject, IID_IVssEnumObject],
      [IVssEnumMgmtObject, IID_IVssEnumMgmtObject],
    ] as const) {
      expect(table(decl)).toEqual({ uuid: iid, version: [0, 0], opnums: [null, null, null, 'Next', 'Skip', 'Reset', 'Clone'] });
    }
  });
});

describe('VSS_VOLUME_PROP', () => {
  it('two referent ids, then the two strings (the first of an odd count, so 2 octets of padding)', () => {
    vector(
      VSS_VOLUME_PROP,
      { m_pwszVolumeName: '\\\\?\\V\\', m_pwszVolumeDisplayName: 'C:\\' },
      '00000200 04000200' +
        '07000000 00000000 07000000 5c00 5c00 3f00 5c00 5600 5c00 0000' + '0000' + // \\?\V\ (36)
        STR_C_LE,
      '00020000 00020004' +
        '00000007 00000000 00000007 005c 005c 003f 005c 0056 005c 0000' + '0000' +
        STR_C_BE,
    );
  });

  it('a null string is a null referent id and nothing deferred', () => {
    vector(VSS_VOLUME_PROP, { m_pwszVolumeName: 'C:\\', m_pwszVolumeDisplayName: null }, '00000200 00000000' + STR_C_LE, '00020000 00000000' + STR_C_BE);
  });
});

/** One VSS_OBJECT_PROP's scalars (100 octets from an 8-aligned start), with its referent ids. */
const snapScalarsLE = (snap: string, set: string, ids: string[], ts: string) =>
  '03000000 03000000' + // Type VSS_OBJECT_SNAPSHOT, the union's discriminant; the arm at +8
  snap + set + '01000000' + // m_SnapshotId, m_SnapshotSetId, m_lSnapshotsCount
  ids.join(' ') + '00000000 00000000' + // four strings, then ExposedName and ExposedPath NULL
  PROV_LE + '1d000000' + // m_ProviderId, m_lSnapshotAttributes (at +84)
  ts + // m_tsCreationTimestamp at +88: 8-aligned without padding
  '0c000000'; // m_eStatus VSS_SS_CREATED; ends at +100 (no trailing padding)
const snapScalarsBE = (snap: string, set: string, ids: string[], ts: string) =>
  '00000003 00000003' + snap + set + '00000001' + ids.join(' ') + '00000000 00000000' + PROV_BE + '0000001d' + ts + '0000000c';

describe('VSS_OBJECT_PROP carrying a VSS_SNAPSHOT_PROP', () => {
  const value = snapshotObject(snap1);
  const le =
    snapScalarsLE(SNAP1_LE, SET1_LE, ['00000200', '04000200', '08000200', '0c000200'], 'e5d4c3b2a1f0d901') +
    STR_S1_LE + '0000' + // at 100; 'S1' ends at 118, the next string aligns to 120
    STR_C_LE + STR_AB_LE + STR_AB_LE; // ends at 180
  const be =
    snapScalarsBE(SNAP1_BE, SET1_BE, ['00020000', '00020004', '00020008', '0002000c'], '01d9f0a1b2c3d4e5') +
    STR_S1_BE + '0000' + STR_C_BE + STR_AB_BE + STR_AB_BE;

  it('Type, discriminant, the 8-aligned arm, then the strings in field order', () => {
    expect(hex(le).length).toBe(180);
    vector(VSS_OBJECT_PROP, value, le, be);
  });

  it('every truncation is bad stub data', () => {
    everyPrefixFails(VSS_OBJECT_PROP, hex(le), true);
    everyPrefixFails(VSS_OBJECT_PROP, hex(be), false);
  });

  it('a discriminant that is not the Type is bad stub data; encoding one is refused', () => {
    const bad = hex(le);
    bad.writeUInt32LE(VSS_OBJECT_SNAPSHOT_SET, 0); // Type 2, arm 3
    expectNdrError(() => ndrDecode(VSS_OBJECT_PROP, bad));
    expect(() => ndrEncode(VSS_OBJECT_PROP, { Type: VSS_OBJECT_SNAPSHOT_SET, Obj: value.Obj })).toThrow(TypeError);
  });

  it('the other object types are the empty [default] arm: 8 octets', () => {
    vector(VSS_OBJECT_PROP, { Type: VSS_OBJECT_SNAPSHOT_SET, Obj: { tag: VSS_OBJECT_SNAPSHOT_SET, value: null } }, '02000000 02000000', '00000002 00000002');
    // A value no IDL case names still decodes (the [default] arm).
    vector(VSS_OBJECT_PROP, { Type: 0x77, Obj: { tag: 0x77, value: null } } as never, '77000000 77000000', '00000077 00000077');
  });

  it('VSS_OBJECT_PROVIDER selects VSS_PROVIDER_PROP (not used by MS-SCMP, but on the wire)', () => {
    const prov = {
      m_ProviderId: VSS_SYSTEM_PROVIDER_ID,
      m_pwszProviderName: 'a.b',
      m_eProviderType: 0,
      m_pwszProviderVersion: null,
      m_ProviderVersionId: SNAP1,
      m_ClassId: SET1,
    };
    vector(
      VSS_OBJECT_PROP,
      { Type: VSS_OBJECT_PROVIDER, Obj: { tag: VSS_OBJECT_PROVIDER, value: prov } },
      '04000000 04000000' + PROV_LE + '00000200 00000000 00000000' + SNAP1_LE + SET1_LE + STR_AB_LE,
      '00000004 00000004' + PROV_BE + '00020000 00000000 00000000' + SNAP1_BE + SET1_BE + STR_AB_BE,
    );
  });
});

describe('IVssEnumObject::Next', () => {
  const args = { ORPCthis: orpcThis, celt: 3 };
  const out = { ORPCthat: orpcThat, rgelt: [snapshotObject(snap1), snapshotObject(snap2)], pceltFetched: 2, hr: S_FALSE };
  const le =
    ORPCTHAT_LE +
    '03000000 00000000 02000000' + // max_count = celt 3, offset 0, actual_count = *pceltFetched 2
    '00000000' + // the elements align to 8: 20 → 24
    snapScalarsLE(SNAP1_LE, SET1_LE, ['00000200', '04000200', '08000200', '0c000200'], 'e5d4c3b2a1f0d901') + // 24..124
    '00000000' + // 124 → 128
    snapScalarsLE(SNAP2_LE, SET2_LE, ['10000200', '14000200', '18000200', '1c000200'], 'f6e5d4c3a2f0d901') + // 128..228
    STR_S1_LE + '0000' + STR_C_LE + STR_AB_LE + STR_AB_LE + // element 0's strings, 228..308
    STR_S2_LE + '0000' + STR_C_LE + STR_AB_LE + STR_AB_LE + // element 1's strings, 308..388
    '02000000' + // pceltFetched
    '01000000'; // S_FALSE: fewer than celt
  const be =
    ORPCTHAT_BE +
    '00000003 00000000 00000002' +
    '00000000' +
    snapScalarsBE(SNAP1_BE, SET1_BE, ['00020000', '00020004', '00020008', '0002000c'], '01d9f0a1b2c3d4e5') +
    '00000000' +
    snapScalarsBE(SNAP2_BE, SET2_BE, ['00020010', '00020014', '00020018', '0002001c'], '01d9f0a2c3d4e5f6') +
    STR_S1_BE + '0000' + STR_C_BE + STR_AB_BE + STR_AB_BE +
    STR_S2_BE + '0000' + STR_C_BE + STR_AB_BE + STR_AB_BE +
    '00000002' +
    '00000001';

  it('the request: ORPCTHIS, celt', () => {
    vector(IVssEnumObject.methods.Next.request, args, ORPCTHIS_LE + '03000000', ORPCTHIS_BE + '00000003');
  });

  it('the response: two elements of three asked, all scalars first, then the strings, then pceltFetched and the HRESULT', () => {
    expect(hex(le).length).toBe(396);
    responseVector(IVssEnumObject.methods.Next, args, out, le, be);
    everyPrefixFails(IVssEnumObject.methods.Next.response, hex(le), true, args);
  });

  it('a max_count other than the client\'s celt is bad stub data', () => {
    expectNdrError(() => ndrDecode(IVssEnumObject.methods.Next.response, hex(le), true, { ...args, celt: 2 }));
    expectNdrError(() => ndrDecode(IVssEnumObject.methods.Next.response, hex(le), true, { ...args, celt: 4 }));
  });

  it('an empty answer still sends max_count = celt', () => {
    const empty = { ORPCthat: orpcThat, rgelt: [], pceltFetched: 0, hr: E_INVALIDARG };
    responseVector(IVssEnumObject.methods.Next, { ORPCthis: orpcThis, celt: 0 }, empty, ORPCTHAT_LE + '00000000 00000000 00000000 00000000 57000780', ORPCTHAT_BE + '00000000 00000000 00000000 00000000 80070057');
    responseVector(IVssEnumObject.methods.Next, { ORPCthis: orpcThis, celt: 5 }, { ...empty, hr: S_FALSE }, ORPCTHAT_LE + '05000000 00000000 00000000 00000000 01000000', ORPCTHAT_BE + '00000005 00000000 00000000 00000000 00000001');
  });

  it('the server cannot send more than celt, nor a pceltFetched that is not the array\'s length', () => {
    const m = IVssEnumObject.methods.Next;
    expect(() => ndrEncode(m.response, out, { celt: 1, ...out })).toThrow(TypeError);
    expect(() => ndrEncode(m.response, { ...out, pceltFetched: 1 }, { ...args, ...out, pceltFetched: 1 })).toThrow(TypeError);
  });

  it('Skip, Reset and Clone', () => {
    const { Skip, Reset, Clone } = IVssEnumObject.methods;
    vector(Skip.request, { ORPCthis: orpcThis, celt: 7 }, ORPCTHIS_LE + '07000000', ORPCTHIS_BE + '00000007');
    vector(Skip.response, { ORPCthat: orpcThat, hr: S_FALSE }, ORPCTHAT_LE + '01000000', ORPCTHAT_BE + '00000001');
    vector(Reset.request, { ORPCthis: orpcThis }, ORPCTHIS_LE, ORPCTHIS_BE);
    // [in, out] ppenum: the client sends a null interface pointer...
    vector(Clone.request, { ORPCthis: orpcThis, ppenum: null }, ORPCTHIS_LE + '00000000', ORPCTHIS_BE + '00000000');
    // ...and gets an MInterfacePointer: referent id, max_count (hoisted), ulCntData, the OBJREF octets.
    const objref = Buffer.from('MEOW', 'latin1');
    vector(
      Clone.response,
      { ORPCthat: orpcThat, ppenum: { ulCntData: 4, abData: objref }, hr: S_OK },
      ORPCTHAT_LE + '00000200 04000000 04000000 4d454f57 00000000',
      ORPCTHAT_BE + '00020000 00000004 00000004 4d454f57 00000000',
    );
  });
});

describe('IVssEnumMgmtObject::Next', () => {
  const args = { ORPCthis: orpcThis, celt: 3 };
  const rgelt: VSS_MGMT_OBJECT_PROP_T[] = [
    volumeObject({ m_pwszVolumeName: 'C:\\', m_pwszVolumeDisplayName: 'C:\\' }),
    diffVolumeObject({ m_pwszVolumeName: 'D:\\', m_pwszVolumeDisplayName: 'D:\\', m_llVolumeFreeSpace: 0x280000000n, m_llVolumeTotalSpace: 0xc80000000n }),
    diffAreaObject({
      m_pwszVolumeName: 'C:\\',
      m_pwszDiffAreaVolumeName: 'D:\\',
      m_llMaximumDiffSpace: -1n,
      m_llAllocatedDiffSpace: 0x20000000n,
      m_llUsedDiffSpace: 0x01234567n,
    }),
  ];
  const out = { ORPCthat: orpcThat, rgelt, pceltFetched: 3, hr: S_OK };
  const le =
    ORPCTHAT_LE +
    '03000000 00000000 03000000' + // max_count, offset, actual_count
    '00000000' + // 20 → 24: the structure aligns to 8 even for its 4-aligned arm
    '01000000 01000000 00000200 04000200' + // 24: VSS_MGMT_OBJECT_VOLUME, VSS_VOLUME_PROP's two pointers
    '02000000 02000000 08000200 0c000200' + // 40: VSS_MGMT_OBJECT_DIFF_VOLUME, two pointers,
    '0000008002000000 000000800c000000' + //     free 10 GiB (at 56), total 50 GiB
    '03000000 03000000 10000200 14000200' + // 72: VSS_MGMT_OBJECT_DIFF_AREA, two pointers,
    'ffffffffffffffff 0000002000000000 6745230100000000' + // maximum -1, allocated, used (88, 96, 104)
    STR_C_LE + STR_C_LE + // 112: element 0's strings
    STR_D_LE + STR_D_LE + // element 1's
    STR_C_LE + STR_D_LE + // element 2's, ending at 232
    '03000000 00000000'; // pceltFetched, S_OK
  const be =
    ORPCTHAT_BE +
    '00000003 00000000 00000003' +
    '00000000' +
    '00000001 00000001 00020000 00020004' +
    '00000002 00000002 00020008 0002000c' +
    '0000000280000000 0000000c80000000' +
    '00000003 00000003 00020010 00020014' +
    'ffffffffffffffff 0000000020000000 0000000001234567' +
    STR_C_BE + STR_C_BE +
    STR_D_BE + STR_D_BE +
    STR_C_BE + STR_D_BE +
    '00000003 00000000';

  it('volume, diff-volume and diff-area elements', () => {
    expect(hex(le).length).toBe(240);
    responseVector(IVssEnumMgmtObject.methods.Next, args, out, le, be);
    everyPrefixFails(IVssEnumMgmtObject.methods.Next.response, hex(le), true, args);
    everyPrefixFails(IVssEnumMgmtObject.methods.Next.response, hex(be), false, args);
  });

  it('a discriminant that is not the Type is bad stub data', () => {
    const bad = hex(le);
    bad.writeUInt32LE(VSS_MGMT_OBJECT_DIFF_VOLUME, 24); // element 0: Type 2, arm 1
    expectNdrError(() => ndrDecode(IVssEnumMgmtObject.methods.Next.response, bad, true, args));
  });
});

describe('IVssSnapshotMgmt and IVssDifferentialSoftwareSnapshotMgmt requests', () => {
  it('GetProviderMgmtInterface: REFIID is the GUID itself (a top-level [ref] pointer)', () => {
    vector(
      IVssSnapshotMgmt.methods.GetProviderMgmtInterface.request,
      { ORPCthis: orpcThis, ProviderId: VSS_SYSTEM_PROVIDER_ID, InterfaceId: IID_IVssDifferentialSoftwareSnapshotMgmt },
      ORPCTHIS_LE + PROV_LE + '280f4a21 37b7 2640 b8474f9e37d79529',
      ORPCTHIS_BE + PROV_BE + '214a0f28 b737 4026 b8474f9e37d79529',
    );
  });

  it('QueryVolumesSupportedForSnapshots: ProviderId, lContext (a LONG)', () => {
    vector(
      IVssSnapshotMgmt.methods.QueryVolumesSupportedForSnapshots.request,
      { ORPCthis: orpcThis, ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: VSS_CTX_ALL },
      ORPCTHIS_LE + PROV_LE + 'ffffffff',
      ORPCTHIS_BE + PROV_BE + 'ffffffff',
    );
  });

  it('QuerySnapshotsByVolume: a unique string, then the GUID; a null name is a null referent id', () => {
    const m = IVssSnapshotMgmt.methods.QuerySnapshotsByVolume;
    vector(m.request, { ORPCthis: orpcThis, pwszVolumeName: 'C:\\', ProviderId: VSS_SYSTEM_PROVIDER_ID }, ORPCTHIS_LE + '00000200' + STR_C_LE + PROV_LE, ORPCTHIS_BE + '00020000' + STR_C_BE + PROV_BE);
    vector(m.request, { ORPCthis: orpcThis, pwszVolumeName: null, ProviderId: VSS_SYSTEM_PROVIDER_ID }, ORPCTHIS_LE + '00000000' + PROV_LE, ORPCTHIS_BE + '00000000' + PROV_BE);
  });

  it('an interface out-parameter: null, with its HRESULT', () => {
    vector(
      IVssSnapshotMgmt.methods.QuerySnapshotsByVolume.response,
      { ORPCthat: orpcThat, ppEnum: null, hr: VSS_E_PROVIDER_NOT_REGISTERED },
      ORPCTHAT_LE + '00000000 04230480',
      ORPCTHAT_BE + '00000000 80042304',
    );
  });

  it('AddDiffArea: two unique strings, then the LONGLONG aligned to 8', () => {
    vector(
      IVssDifferentialSoftwareSnapshotMgmt.methods.AddDiffArea.request,
      { ORPCthis: orpcThis, pwszVolumeName: 'C:\\', pwszDiffAreaVolumeName: 'E:', llMaximumDiffSpace: 0x40000000n },
      ORPCTHIS_LE +
        '00000200' + STR_C_LE + // 32..56
        '04000200' + '03000000 00000000 03000000 4500 3a00 0000' + // 56..78
        '0000' + // 78 → 80
        '0000004000000000',
      ORPCTHIS_BE + '00020000' + STR_C_BE + '00020004' + '00000003 00000000 00000003 0045 003a 0000' + '0000' + '0000000040000000',
    );
    vector(
      IVssDifferentialSoftwareSnapshotMgmt.methods.ChangeDiffAreaMaximumSize.request,
      { ORPCthis: orpcThis, pwszVolumeName: null, pwszDiffAreaVolumeName: null, llMaximumDiffSpace: 0n },
      ORPCTHIS_LE + '00000000 00000000 0000000000000000',
      ORPCTHIS_BE + '00000000 00000000 0000000000000000',
    );
    vector(IVssDifferentialSoftwareSnapshotMgmt.methods.AddDiffArea.response, { ORPCthat: orpcThat, hr: VSS_E_OBJECT_ALREADY_EXISTS }, ORPCTHAT_LE + '0d230480', ORPCTHAT_BE + '8004230d');
  });

  it('the three queries: one unique string each', () => {
    for (const m of [
      IVssDifferentialSoftwareSnapshotMgmt.methods.QueryDiffAreasForVolume,
      IVssDifferentialSoftwareSnapshotMgmt.methods.QueryDiffAreasOnVolume,
    ]) {
      vector(m.request, { ORPCthis: orpcThis, pwszVolumeName: 'D:\\' }, ORPCTHIS_LE + '00000200' + STR_D_LE, ORPCTHIS_BE + '00020000' + STR_D_BE);
    }
    vector(
      IVssDifferentialSoftwareSnapshotMgmt.methods.QueryVolumesSupportedForDiffAreas.request,
      { ORPCthis: orpcThis, pwszOriginalVolumeName: 'C:\\' },
      ORPCTHIS_LE + '00000200' + STR_C_LE,
      ORPCTHIS_BE + '00020000' + STR_C_BE,
    );
  });
});

// ---------------------------------------------------------------------------------------
// Properties

const guidArb = fc.uuid().map((g) => g.toLowerCase());
const utf16 = (maxLength: number) => fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength }).map((a) => String.fromCharCode(...a));
const pwszArb = fc.option(utf16(24), { nil: null });
const i32Arb = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const u32Arb = fc.integer({ min: 0, max: 0xffffffff });
const i64Arb = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });

const snapshotArb: fc.Arbitrary<VSS_SNAPSHOT_PROP_T> = fc.record({
  m_SnapshotId: guidArb,
  m_SnapshotSetId: guidArb,
  m_lSnapshotsCount: i32Arb,
  m_pwszSnapshotDeviceObject: pwszArb,
  m_pwszOriginalVolumeName: pwszArb,
  m_pwszOriginatingMachine: pwszArb,
  m_pwszServiceMachine: pwszArb,
  m_pwszExposedName: pwszArb,
  m_pwszExposedPath: pwszArb,
  m_ProviderId: guidArb,
  m_lSnapshotAttributes: i32Arb,
  m_tsCreationTimestamp: i64Arb,
  m_eStatus: u32Arb,
});
const providerArb = fc.record({
  m_ProviderId: guidArb,
  m_pwszProviderName: pwszArb,
  m_eProviderType: u32Arb,
  m_pwszProviderVersion: pwszArb,
  m_ProviderVersionId: guidArb,
  m_ClassId: guidArb,
});
const volumeArb = fc.record({ m_pwszVolumeName: pwszArb, m_pwszVolumeDisplayName: pwszArb });
const diffVolumeArb = fc.record({ m_pwszVolumeName: pwszArb, m_pwszVolumeDisplayName: pwszArb, m_llVolumeFreeSpace: i64Arb, m_llVolumeTotalSpace: i64Arb });
const diffAreaArb = fc.record({
  m_pwszVolumeName: pwszArb,
  m_pwszDiffAreaVolumeName: pwszArb,
  m_llMaximumDiffSpace: i64Arb,
  m_llAllocatedDiffSpace: i64Arb,
  m_llUsedDiffSpace: i64Arb,
});
const emptyArmTag = fc.oneof(fc.constantFrom(0, 1, 2, 5), fc.integer({ min: 6, max: 0xffffffff }));
const objectPropArb: fc.Arbitrary<VSS_OBJECT_PROP_T> = fc.oneof(
  snapshotArb.map(snapshotObject),
  providerArb.map((value) => ({ Type: VSS_OBJECT_PROVIDER, Obj: { tag: VSS_OBJECT_PROVIDER, value } }) as VSS_OBJECT_PROP_T),
  emptyArmTag.map((t) => ({ Type: t, Obj: { tag: t, value: null } }) as VSS_OBJECT_PROP_T),
);
const mgmtPropArb: fc.Arbitrary<VSS_MGMT_OBJECT_PROP_T> = fc.oneof(
  volumeArb.map(volumeObject),
  diffVolumeArb.map(diffVolumeObject),
  diffAreaArb.map(diffAreaObject),
  fc.oneof(fc.constant(0), fc.integer({ min: 4, max: 0xffffffff })).map((t) => ({ Type: t, Obj: { tag: t, value: null } }) as VSS_MGMT_OBJECT_PROP_T),
);

function roundTrips<T>(type: NdrType<T>, v: T): void {
  expect(ndrDecode(type, ndrEncode(type, v))).toEqual(v);
}

function onlyNdrErrors(decode: () => unknown): void {
  try {
    decode();
  } catch (e) {
    if (!(e instanceof NdrError)) throw e;
  }
}

describe('properties', () => {
  it('every property structure round-trips', () => {
    fc.assert(fc.property(snapshotArb, (v) => roundTrips(VSS_SNAPSHOT_PROP, v)), { numRuns: 100 });
    fc.assert(fc.property(providerArb, (v) => roundTrips(VSS_PROVIDER_PROP, v)), { numRuns: 50 });
    fc.assert(fc.property(volumeArb, (v) => roundTrips(VSS_VOLUME_PROP, v)), { numRuns: 50 });
    fc.assert(fc.property(diffVolumeArb, (v) => roundTrips(VSS_DIFF_VOLUME_PROP, v)), { numRuns: 50 });
    fc.assert(fc.property(diffAreaArb, (v) => roundTrips(VSS_DIFF_AREA_PROP, v)), { numRuns: 50 });
    fc.assert(fc.property(objectPropArb, (v) => roundTrips(VSS_OBJECT_PROP, v)), { numRuns: 100 });
    fc.assert(fc.property(mgmtPropArb, (v) => roundTrips(VSS_MGMT_OBJECT_PROP, v)), { numRuns: 100 });
  });

  it('Next responses of both enumerators round-trip for any celt ≥ the elements sent', () => {
    const check = <E>(m: MethodDecl<any, any>, arb: fc.Arbitrary<E>) =>
      fc.assert(
        fc.property(fc.array(arb, { maxLength: 5 }), fc.nat(4), u32Arb, (rgelt, extra, hr) => {
          const args = { ORPCthis: orpcThis, celt: rgelt.length + extra };
          const out = { ORPCthat: orpcThat, rgelt, pceltFetched: rgelt.length, hr };
          const bytes = ndrEncode(m.response, out, { ...args, ...out });
          expect(ndrDecode(m.response, bytes, true, args)).toEqual(out);
        }),
        { numRuns: 60 },
      );
    check(IVssEnumObject.methods.Next, objectPropArb);
    check(IVssEnumMgmtObject.methods.Next, mgmtPropArb);
  });

  const decoders: Array<[string, NdrType<any>, object | undefined]> = [
    ['VSS_OBJECT_PROP', VSS_OBJECT_PROP, undefined],
    ['VSS_MGMT_OBJECT_PROP', VSS_MGMT_OBJECT_PROP, undefined],
    ['VSS_SNAPSHOT_PROP', VSS_SNAPSHOT_PROP, undefined],
    ['VSS_DIFF_AREA_PROP', VSS_DIFF_AREA_PROP, undefined],
  ];
  for (const decl of [IVssSnapshotMgmt, IVssDifferentialSoftwareSnapshotMgmt, IVssEnumObject, IVssEnumMgmtObject]) {
    for (const m of Object.values(decl.methods) as MethodDecl[]) {
      decoders.push([`${decl.name}::${m.name} request`, m.request, undefined]);
      decoders.push([`${decl.name}::${m.name} response`, m.response, undefined]);
      if (m.name === 'Next') decoders.push([`${decl.name}::Next response, celt 3`, m.response, { celt: 3 }]);
    }
  }

  it('random bytes only ever raise NdrError', () => {
    for (const [, type, scope] of decoders) {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, le) => {
          onlyNdrErrors(() => ndrDecode(type, Buffer.from(bytes), le, scope as any));
        }),
        { numRuns: 150 },
      );
    }
  });

  it('mutated valid Next responses only ever raise NdrError', () => {
    const cases: Array<[MethodDecl, fc.Arbitrary<any>]> = [
      [IVssEnumObject.methods.Next, objectPropArb],
      [IVssEnumMgmtObject.methods.Next, mgmtPropArb],
    ];
    for (const [m, arb] of cases) {
      fc.assert(
        fc.property(
          fc.array(arb, { minLength: 1, maxLength: 3 }),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 0xff })), { minLength: 1, maxLength: 6 }),
          fc.boolean(),
          (rgelt, flips, le) => {
            const args = { ORPCthis: orpcThis, celt: rgelt.length };
            const out = { ORPCthat: orpcThat, rgelt, pceltFetched: rgelt.length, hr: 0 };
            const bytes = ndrEncode(m.response, out, { ...args, ...out });
            for (const [at, v] of flips) bytes[at % bytes.length] = v;
            onlyNdrErrors(() => ndrDecode(m.response, bytes, le, args));
            onlyNdrErrors(() => ndrDecode(m.response, bytes, le));
          },
        ),
        { numRuns: 150 },
      );
    }
  });
});
