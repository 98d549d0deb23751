import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RpcClient } from '../../../src/client/rpc-client.js';
import { AUTH_LEVEL } from '../../../src/dcerpc/constants.js';
import { DCOM_E } from '../../../src/dcom/exporter.js';
import { decodeObjref } from '../../../src/dcom/objref.js';
import { IVssDifferentialSoftwareSnapshotMgmt, IVssEnumMgmtObject, IVssEnumObject, IVssSnapshotMgmt } from '../../../src/interfaces/scmp/idl.js';
import {
  E_ACCESSDENIED,
  E_INVALIDARG,
  IID_IVssDifferentialSoftwareSnapshotMgmt,
  S_FALSE,
  VSS_E_INSUFFICIENT_STORAGE,
  VSS_E_OBJECT_ALREADY_EXISTS,
  VSS_E_OBJECT_NOT_FOUND,
  VSS_E_PROVIDER_NOT_REGISTERED,
  VSS_E_VOLUME_NOT_SUPPORTED,
  VSS_SS_CREATED,
  VSS_SYSTEM_PROVIDER_ID,
} from '../../../src/interfaces/scmp/types.js';
import { silentLogger } from '../../../src/log.js';
import { parseAccountSpec } from '../../../src/security/accounts.js';
import { activate, orpcThis } from '../../helpers/dcom.js';
import { ADMIN, USER, ntlm } from '../../helpers/security.js';
import { testServer } from '../../helpers/server.js';

let server: Awaited<ReturnType<typeof testServer>>;
let c: RpcClient;
let mgmtIpid: string;
beforeAll(async () => {
  server = await testServer({
    log: silentLogger,
    accounts: [parseAccountSpec(`${ADMIN.user}:${ADMIN.password}:admin`), parseAccountSpec(`${USER.user}:${USER.password}:user`)],
  });
  mgmtIpid = (await activate(server.host, server.port)).ipid;
  c = await RpcClient.connect(server.host, server.objects.port);
  await c.bindInterface(IVssSnapshotMgmt, { auth: { ctx: ntlm(), level: AUTH_LEVEL.pkt_privacy } });
  // One connection, one context per interface (one new context per PDU, as Windows).
  for (const [id, iface] of [
    [1, IVssDifferentialSoftwareSnapshotMgmt],
    [2, IVssEnumObject],
    [3, IVssEnumMgmtObject],
  ] as const) {
    const [r] = await c.alterContext([{ contextId: id, abstractSyntax: { uuid: iface.uuid, major: 0, minor: 0 } }]);
    expect(r!.result).toBe(0);
  }
});
afterAll(async () => {
  await c.close();
  await server.close();
});

const ipidOf = (ptr: { abData: Buffer } | null) => {
  const o = decodeObjref(ptr!.abData);
  if (o.kind !== 'standard') throw new Error('not a standard OBJREF');
  return o.std.ipid;
};

const GUID_NULL = '00000000-0000-0000-0000-000000000000';
const UNKNOWN_PROVIDER = '12345678-1234-1234-1234-123456789abc';

/** GetProviderMgmtInterface: the IVssDifferentialSoftwareSnapshotMgmt IPID of the system provider. */
async function diffMgmtIpid() {
  const g = await c.call(0, IVssSnapshotMgmt.methods.GetProviderMgmtInterface, { ORPCthis: orpcThis(), ProviderId: VSS_SYSTEM_PROVIDER_ID, InterfaceId: IID_IVssDifferentialSoftwareSnapshotMgmt }, { object: mgmtIpid });
  expect(g.hr).toBe(0);
  return ipidOf(g.ppItf);
}

async function drainMgmt(ipid: string, batch: number) {
  const all = [];
  for (;;) {
    const r = await c.call(3, IVssEnumMgmtObject.methods.Next, { ORPCthis: orpcThis(), celt: batch }, { object: ipid });
    all.push(...r.rgelt);
    if (r.hr === S_FALSE) return all;
    expect(r.hr).toBe(0);
  }
}

describe('IVssSnapshotMgmt', () => {
  test('QueryVolumesSupportedForSnapshots lists the volumes that take shadow copies, by mount name', async () => {
    const r = await c.call(0, IVssSnapshotMgmt.methods.QueryVolumesSupportedForSnapshots, { ORPCthis: orpcThis(), ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 }, { object: mgmtIpid });
    expect(r.hr).toBe(0);
    const vols = await drainMgmt(ipidOf(r.ppEnum), 1);
    expect(vols.length).toBe(4); // C:, D:, E:, the folder-mounted volume; not the FAT32 one
    for (const v of vols) expect((v.Obj.value as any).m_pwszVolumeName).toMatch(/^\\\\\?\\Volume\{[0-9a-f-]{36}\}\\$/i);
    expect(vols.map((v) => (v.Obj.value as any).m_pwszVolumeDisplayName)).toContain('C:\\');
  });

  test('QuerySnapshotsByVolume accepts every name form and fills the fields as MS-SCMP says', async () => {
    const names = ['D:\\', 'd:', (server.store.resolveVolume('D:')!).mountName.toUpperCase()];
    const counts = [];
    for (const pwszVolumeName of names) {
      const r = await c.call(0, IVssSnapshotMgmt.methods.QuerySnapshotsByVolume, { ORPCthis: orpcThis(), pwszVolumeName, ProviderId: VSS_SYSTEM_PROVIDER_ID }, { object: mgmtIpid });
      expect(r.hr).toBe(0);
      const e = ipidOf(r.ppEnum);
      const n = await c.call(2, IVssEnumObject.methods.Next, { ORPCthis: orpcThis(), celt: 64 }, { object: e });
      expect(n.hr).toBe(S_FALSE);
      counts.push(n.pceltFetched);
      for (const o of n.rgelt) {
        const s = o.Obj.value as any;
        expect(s.m_pwszOriginatingMachine).toBe('filesrv01.lab.local');
        expect(s.m_pwszServiceMachine).toBe('filesrv01.lab.local');
        expect(s.m_pwszExposedName).toBeNull();
        expect(s.m_pwszExposedPath).toBeNull();
        expect(s.m_eStatus).toBe(VSS_SS_CREATED);
        expect(s.m_pwszSnapshotDeviceObject).toMatch(/^\\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy\d+$/);
      }
    }
    expect(counts[0]).toBeGreaterThan(1);
    expect(new Set(counts).size).toBe(1);
  });

  test('error rows: NULL name and GUID_NULL provider E_INVALIDARG, another provider VSS_E_PROVIDER_NOT_REGISTERED', async () => {
    const q = (pwszVolumeName: string | null, ProviderId: string) =>
      c.call(0, IVssSnapshotMgmt.methods.QuerySnapshotsByVolume, { ORPCthis: orpcThis(), pwszVolumeName, ProviderId }, { object: mgmtIpid });
    expect((await q(null, VSS_SYSTEM_PROVIDER_ID)).hr).toBe(E_INVALIDARG);
    expect((await q('D:\\', '00000000-0000-0000-0000-000000000000')).hr).toBe(E_INVALIDARG);
    expect((await q('D:\\', '12345678-1234-1234-1234-123456789abc')).hr).toBe(VSS_E_PROVIDER_NOT_REGISTERED);
    const g = await c.call(0, IVssSnapshotMgmt.methods.GetProviderMgmtInterface, { ORPCthis: orpcThis(), ProviderId: VSS_SYSTEM_PROVIDER_ID, InterfaceId: IVssEnumObject.uuid }, { object: mgmtIpid });
    expect(g.hr).toBe(E_INVALIDARG);
  });

  // 3.1.1.4.1's table: VSS_E_PROVIDER_NOT_REGISTERED "when the provider with ID ProviderId
  // does not exist on the server"; E_INVALIDARG only for a NULL ppItf or another REFIID.
  test('GetProviderMgmtInterface: GUID_NULL is a provider that does not exist, VSS_E_PROVIDER_NOT_REGISTERED, no interface', async () => {
    const g = (ProviderId: string, InterfaceId: string) => c.call(0, IVssSnapshotMgmt.methods.GetProviderMgmtInterface, { ORPCthis: orpcThis(), ProviderId, InterfaceId }, { object: mgmtIpid });
    expect(await g(GUID_NULL, IID_IVssDifferentialSoftwareSnapshotMgmt)).toMatchObject({ hr: VSS_E_PROVIDER_NOT_REGISTERED, ppItf: null });
    expect(await g(UNKNOWN_PROVIDER, IID_IVssDifferentialSoftwareSnapshotMgmt)).toMatchObject({ hr: VSS_E_PROVIDER_NOT_REGISTERED, ppItf: null });
    // The provider row comes first in the table, and is checked first.
    expect(await g(GUID_NULL, IVssEnumObject.uuid)).toMatchObject({ hr: VSS_E_PROVIDER_NOT_REGISTERED, ppItf: null });
    expect(await g(VSS_SYSTEM_PROVIDER_ID, IVssEnumObject.uuid)).toMatchObject({ hr: E_INVALIDARG, ppItf: null });
  });

  // 3.1.1.4.2: lContext is a bitwise OR of PERSISTENT (0x1), CLIENT_ACCESSIBLE (0x4),
  // NO_AUTO_RELEASE (0x8) and NO_WRITERS (0x10); the answer holds every volume capable of
  // shadow copies, whichever combination it is.
  test.each([0x01, 0x04, 0x08, 0x05, 0x0c, 0x11, 0x1c, 0x15, 0x14, 0x1d, 0x00, -1])(
    'QueryVolumesSupportedForSnapshots with lContext %i lists the four volumes capable of shadow copies',
    async (lContext) => {
      const r = await c.call(0, IVssSnapshotMgmt.methods.QueryVolumesSupportedForSnapshots, { ORPCthis: orpcThis(), ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext }, { object: mgmtIpid });
      expect(r.hr).toBe(0);
      const vols = await drainMgmt(ipidOf(r.ppEnum), 64);
      expect(vols.map((v) => (v.Obj.value as any).m_pwszVolumeDisplayName)).toEqual(['C:\\', 'D:\\', 'E:\\', 'C:\\mnt\\archive\\']);
    },
  );

  test('QueryVolumesSupportedForSnapshots: a bit outside the four (NO_AUTORECOVERY 0x2, 0x20) is E_INVALIDARG, no enumerator', async () => {
    for (const lContext of [0x02, 0x20, 0x1f]) {
      const r = await c.call(0, IVssSnapshotMgmt.methods.QueryVolumesSupportedForSnapshots, { ORPCthis: orpcThis(), ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext }, { object: mgmtIpid });
      expect(r).toMatchObject({ hr: E_INVALIDARG, ppEnum: null });
    }
  });

  // 3.1.1.4.3: no error row for it; an empty IVssEnumObject when there are no shadow copies.
  test('QuerySnapshotsByVolume: a name that is no volume gives an empty enumerator, not an error', async () => {
    for (const pwszVolumeName of ['Z:\\', '']) {
      const r = await c.call(0, IVssSnapshotMgmt.methods.QuerySnapshotsByVolume, { ORPCthis: orpcThis(), pwszVolumeName, ProviderId: VSS_SYSTEM_PROVIDER_ID }, { object: mgmtIpid });
      expect(r.hr).toBe(0);
      const n = await c.call(2, IVssEnumObject.methods.Next, { ORPCthis: orpcThis(), celt: 8 }, { object: ipidOf(r.ppEnum) });
      expect(n).toMatchObject({ hr: S_FALSE, pceltFetched: 0, rgelt: [] });
    }
  });
});

describe('enumerators', () => {
  test('Next in batches, Skip past the end, Reset, Clone keeps the position independently', async () => {
    const r = await c.call(0, IVssSnapshotMgmt.methods.QueryVolumesSupportedForSnapshots, { ORPCthis: orpcThis(), ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 }, { object: mgmtIpid });
    const e = ipidOf(r.ppEnum);
    const next = (ipid: string, celt: number) => c.call(3, IVssEnumMgmtObject.methods.Next, { ORPCthis: orpcThis(), celt }, { object: ipid });
    expect((await next(e, 3)).pceltFetched).toBe(3);
    const clone = await c.call(3, IVssEnumMgmtObject.methods.Clone, { ORPCthis: orpcThis(), ppenum: null }, { object: e });
    const ce = ipidOf(clone.ppenum);
    expect(await next(ce, 5)).toMatchObject({ pceltFetched: 1, hr: S_FALSE });
    expect(await next(e, 1)).toMatchObject({ pceltFetched: 1, hr: 0 });
    expect((await c.call(3, IVssEnumMgmtObject.methods.Skip, { ORPCthis: orpcThis(), celt: 10 }, { object: e })).hr).toBe(S_FALSE);
    expect((await c.call(3, IVssEnumMgmtObject.methods.Reset, { ORPCthis: orpcThis() }, { object: e })).hr).toBe(0);
    expect((await next(e, 10)).pceltFetched).toBe(4);
    expect((await next(e, 0)).hr).toBe(E_INVALIDARG);
  });

  // 3.1.2.2 and 3.1.3.2: "it MUST verify that celt is greater than zero"; Next's table
  // (3.1.2.1, 3.1.3.1) gives E_INVALIDARG for the same rule.
  test('Skip(0) is E_INVALIDARG on IVssEnumMgmtObject and IVssEnumObject, and moves nothing', async () => {
    const v = await c.call(0, IVssSnapshotMgmt.methods.QueryVolumesSupportedForSnapshots, { ORPCthis: orpcThis(), ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 }, { object: mgmtIpid });
    const ve = ipidOf(v.ppEnum);
    expect((await c.call(3, IVssEnumMgmtObject.methods.Skip, { ORPCthis: orpcThis(), celt: 1 }, { object: ve })).hr).toBe(0);
    expect((await c.call(3, IVssEnumMgmtObject.methods.Skip, { ORPCthis: orpcThis(), celt: 0 }, { object: ve })).hr).toBe(E_INVALIDARG);
    const after = await c.call(3, IVssEnumMgmtObject.methods.Next, { ORPCthis: orpcThis(), celt: 1 }, { object: ve });
    expect((after.rgelt[0]!.Obj.value as any).m_pwszVolumeDisplayName).toBe('D:\\');

    const s = await c.call(0, IVssSnapshotMgmt.methods.QuerySnapshotsByVolume, { ORPCthis: orpcThis(), pwszVolumeName: 'D:\\', ProviderId: VSS_SYSTEM_PROVIDER_ID }, { object: mgmtIpid });
    const se = ipidOf(s.ppEnum);
    expect((await c.call(2, IVssEnumObject.methods.Skip, { ORPCthis: orpcThis(), celt: 0 }, { object: se })).hr).toBe(E_INVALIDARG);
    expect((await c.call(2, IVssEnumObject.methods.Next, { ORPCthis: orpcThis(), celt: 0 }, { object: se })).hr).toBe(E_INVALIDARG);
    expect((await c.call(2, IVssEnumObject.methods.Next, { ORPCthis: orpcThis(), celt: 64 }, { object: se })).pceltFetched).toBe(5);
  });
});

describe('IVssDifferentialSoftwareSnapshotMgmt', () => {
  test('AddDiffArea → shown by QueryDiffAreasForVolume / OnVolume → ChangeDiffAreaMaximumSize → delete with 0', async () => {
    const g = await c.call(0, IVssSnapshotMgmt.methods.GetProviderMgmtInterface, { ORPCthis: orpcThis(), ProviderId: VSS_SYSTEM_PROVIDER_ID, InterfaceId: IID_IVssDifferentialSoftwareSnapshotMgmt }, { object: mgmtIpid });
    expect(g.hr).toBe(0);
    const d = ipidOf(g.ppItf);
    const M = IVssDifferentialSoftwareSnapshotMgmt.methods;
    const mb = (n: number) => BigInt(n) * 1024n * 1024n;
    const add = (max: bigint) => c.call(1, M.AddDiffArea, { ORPCthis: orpcThis(), pwszVolumeName: 'E:\\', pwszDiffAreaVolumeName: 'D:\\', llMaximumDiffSpace: max }, { object: d });
    expect((await add(mb(100))).hr).toBe(E_INVALIDARG); // below 320 MB
    expect((await add(mb(512))).hr).toBe(0);
    expect((await add(mb(512))).hr).toBe(VSS_E_OBJECT_ALREADY_EXISTS);
    const forE = await c.call(1, M.QueryDiffAreasForVolume, { ORPCthis: orpcThis(), pwszVolumeName: 'E:\\' }, { object: d });
    const areas = await drainMgmt(ipidOf(forE.ppEnum), 64);
    expect(areas.map((a) => (a.Obj.value as any).m_llMaximumDiffSpace)).toEqual([mb(512)]);
    const onD = await c.call(1, M.QueryDiffAreasOnVolume, { ORPCthis: orpcThis(), pwszVolumeName: 'D:\\' }, { object: d });
    expect((await drainMgmt(ipidOf(onD.ppEnum), 64)).length).toBeGreaterThanOrEqual(1);
    const change = (max: bigint, vol = 'E:\\') => c.call(1, M.ChangeDiffAreaMaximumSize, { ORPCthis: orpcThis(), pwszVolumeName: vol, pwszDiffAreaVolumeName: 'D:\\', llMaximumDiffSpace: max }, { object: d });
    expect((await change(mb(1024))).hr).toBe(0);
    expect((await change(-1n)).hr).toBe(0);
    expect((await change(0n)).hr).toBe(0);
    expect((await change(0n)).hr).toBe(VSS_E_OBJECT_NOT_FOUND);
    const gone = await c.call(1, M.QueryDiffAreasForVolume, { ORPCthis: orpcThis(), pwszVolumeName: 'E:\\' }, { object: d });
    expect(await drainMgmt(ipidOf(gone.ppEnum), 64)).toEqual([]);
  });
});

describe('IVssDifferentialSoftwareSnapshotMgmt: names that are no volume', () => {
  const M = IVssDifferentialSoftwareSnapshotMgmt.methods;
  const MiB = 1024n * 1024n;

  // 3.1.4.4.2 validates that the volume supports shadow copies and the storage volume
  // supports shadow copy storage; the table's row for both is VSS_E_VOLUME_NOT_SUPPORTED.
  test('AddDiffArea: an original or storage volume that does not exist (the empty name too) is VSS_E_VOLUME_NOT_SUPPORTED', async () => {
    const d = await diffMgmtIpid();
    const add = (pwszVolumeName: string | null, pwszDiffAreaVolumeName: string | null) =>
      c.call(1, M.AddDiffArea, { ORPCthis: orpcThis(), pwszVolumeName, pwszDiffAreaVolumeName, llMaximumDiffSpace: 512n * MiB }, { object: d });
    for (const [volume, storage] of [
      ['Z:\\', 'D:\\'],
      ['', 'D:\\'],
      ['E:\\', 'Z:\\'],
      ['E:\\', ''],
      ['Z:\\', null],
    ] as const) {
      expect((await add(volume, storage)).hr, `${volume} on ${storage}`).toBe(VSS_E_VOLUME_NOT_SUPPORTED);
    }
    expect(server.store.diffAreasForVolume('E:\\')).toEqual([]);
  });

  // 3.1.4.4.4-3.1.4.4.6 refuse only NULL; nothing matching is an empty collection.
  test('QueryVolumesSupportedForDiffAreas, QueryDiffAreasForVolume, QueryDiffAreasOnVolume: an empty enumerator for a name that is no volume', async () => {
    const d = await diffMgmtIpid();
    for (const name of ['Z:\\', '']) {
      const supported = await c.call(1, M.QueryVolumesSupportedForDiffAreas, { ORPCthis: orpcThis(), pwszOriginalVolumeName: name }, { object: d });
      const forV = await c.call(1, M.QueryDiffAreasForVolume, { ORPCthis: orpcThis(), pwszVolumeName: name }, { object: d });
      const onV = await c.call(1, M.QueryDiffAreasOnVolume, { ORPCthis: orpcThis(), pwszVolumeName: name }, { object: d });
      for (const r of [supported, forV, onV]) {
        expect(r.hr).toBe(0);
        expect(await drainMgmt(ipidOf(r.ppEnum), 8)).toEqual([]);
      }
    }
  });

  // 3.1.4.4.3: E_INVALIDARG is only for NULL names; a nonzero maximum too small for one
  // shadow copy is VSS_E_INSUFFICIENT_STORAGE; a missing association VSS_E_OBJECT_NOT_FOUND.
  test('ChangeDiffAreaMaximumSize: a negative maximum other than -1 is VSS_E_INSUFFICIENT_STORAGE; no association (no volume) VSS_E_OBJECT_NOT_FOUND', async () => {
    const d = await diffMgmtIpid();
    const change = (pwszVolumeName: string, pwszDiffAreaVolumeName: string, llMaximumDiffSpace: bigint) =>
      c.call(1, M.ChangeDiffAreaMaximumSize, { ORPCthis: orpcThis(), pwszVolumeName, pwszDiffAreaVolumeName, llMaximumDiffSpace }, { object: d });
    const before = server.store.diffAreasForVolume('D:\\');
    expect((await change('D:\\', 'C:\\mnt\\archive\\', -2n)).hr).toBe(VSS_E_INSUFFICIENT_STORAGE);
    expect((await change('Z:\\', 'D:\\', -2n)).hr).toBe(VSS_E_OBJECT_NOT_FOUND);
    expect((await change('', '', 1024n * MiB)).hr).toBe(VSS_E_OBJECT_NOT_FOUND);
    expect(server.store.diffAreasForVolume('D:\\')).toEqual(before);
  });
});

test('a non-administrator holding an IPID still gets E_ACCESSDENIED', async () => {
  const u = await RpcClient.connect(server.host, server.objects.port);
  await u.bindInterface(IVssSnapshotMgmt, { auth: { ctx: ntlm(USER), level: AUTH_LEVEL.pkt_integrity } });
  const r = await u.call(0, IVssSnapshotMgmt.methods.QueryVolumesSupportedForSnapshots, { ORPCthis: orpcThis(), ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 }, { object: mgmtIpid });
  expect(r.hr).toBe(E_ACCESSDENIED);
  expect(DCOM_E.E_ACCESSDENIED).toBe(E_ACCESSDENIED);
  await u.close();
});

test('IVssDifferentialSoftwareSnapshotMgmt opnum 8 is not used on the wire: an unknown opnum', async () => {
  const e = await c.request(1, 8, Buffer.alloc(32), { object: mgmtIpid }).catch((x) => x);
  expect(e.status).toBe(0x1c010002);
  // The connection is still good.
  const r = await c.call(0, IVssSnapshotMgmt.methods.QueryVolumesSupportedForSnapshots, { ORPCthis: orpcThis(), ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 }, { object: mgmtIpid });
  expect(r.hr).toBe(0);
});
