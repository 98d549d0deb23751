/**
 * MS-SCMP's methods, their parameter validation and error tables: IVssSnapshotMgmt
 * (3.1.1.4.x) and IVssDifferentialSoftwareSnapshotMgmt (3.1.4.4.x). Where the spec leaves a
 * choice, the expectation is docs/decisions.md's (what Windows does).
 */
import { decodeObjref } from '../../dcom/objref.js';
import { IID_IVssDifferentialSoftwareSnapshotMgmt, IID_IVssEnumMgmtObject, IID_IVssEnumObject, VSS_SYSTEM_PROVIDER_ID } from '../../interfaces/scmp/types.js';
import {
  E_INVALIDARG,
  VSS_E_INSUFFICIENT_STORAGE,
  VSS_E_MAXIMUM_DIFFAREA_ASSOCIATIONS_REACHED,
  VSS_E_OBJECT_ALREADY_EXISTS,
  VSS_E_OBJECT_NOT_FOUND,
  VSS_E_PROVIDER_NOT_REGISTERED,
  VSS_E_VOLUME_IN_USE,
  VSS_E_VOLUME_NOT_SUPPORTED,
} from '../../status/codes.js';
import { expect, expectHr, Mismatch, NotApplicable, status, type Ctx, type EnumSource } from '../context.js';
import type { Check } from '../types.js';
import { answers, check, DIFF, GUID_NULL, IID_IUnknown, MGMT, NO_SUCH_PROVIDER, NO_SUCH_VOLUME, ref } from './define.js';

const MiB = 1024n * 1024n;
const GiB = 1024n * MiB;
const sp = (s: string) => ref('MS-SCMP', s);

/** A failing answer's interface pointer must be NULL (3.1.1.4 / 3.1.4.4: "MUST set … to NULL" on failure). */
function nullOnFailure(r: { hr: number; ppItf?: unknown; ppEnum?: unknown }, field: 'ppItf' | 'ppEnum'): void {
  expect((r.hr & 0x80000000) !== 0, 'a failing HRESULT', status(r.hr));
  expect(r[field] === null || r[field] === undefined, `${field} NULL with the failure`, 'an interface pointer');
}

/** An enumerator opened with S_OK must be empty: Next(1) answers S_FALSE with nothing. */
async function expectEmpty(c: Ctx, source: EnumSource, arg: string | null): Promise<void> {
  const items = await c.items(source, arg);
  expect(items.length === 0, 'S_OK and an empty enumerator', `${items.length} item(s)`);
}

/** The enumerator's OBJREF is a standard one for `iid`. */
async function expectEnumIid(c: Ctx, source: EnumSource, arg: string | null, iid: string): Promise<void> {
  const { r } = await c.open(source, arg);
  expectHr(r.hr, 0);
  const o = decodeObjref(r.ppEnum.abData);
  expect(o.kind === 'standard', 'a standard OBJREF', o.kind);
  expect(o.iid === iid, `an OBJREF for ${iid}`, o.iid);
}

/** The first volume, its mount names as the host gave them. */
async function someVolume(c: Ctx) {
  const v = (await c.volumes())[0];
  if (!v) throw new NotApplicable('the host has no volume that takes shadow copies');
  return v;
}

/** A volume with shadow copies (so the forms of its name can be compared). */
async function volumeWithSnapshots(c: Ctx) {
  const snaps = await c.snapshots();
  const v = (await c.volumes()).find((x) => snaps.some((s) => s.volume === x.name));
  if (!v) throw new NotApplicable('the host has no shadow copy');
  return { v, ids: snaps.filter((s) => s.volume === v.name).map((s) => s.prop.Obj.value.m_SnapshotId as string).sort() };
}

async function snapshotIdsOf(c: Ctx, name: string): Promise<string[]> {
  return (await c.items('snapshots', name)).map((p) => p.Obj.value.m_SnapshotId as string).sort();
}

/** An existing association: original, storage, maximum. */
async function someAssociation(c: Ctx, withCopies?: boolean) {
  const areas = await c.diffAreas();
  const snaps = await c.snapshots();
  for (const a of areas) {
    const v = a.prop.Obj.value;
    const has = snaps.some((s) => s.volume.toLowerCase() === String(v.m_pwszVolumeName).toLowerCase());
    if (withCopies === undefined || has === withCopies) return { volume: v.m_pwszVolumeName as string, storage: v.m_pwszDiffAreaVolumeName as string, max: v.m_llMaximumDiffSpace as bigint };
  }
  throw new NotApplicable(`the host has no storage association${withCopies === undefined ? '' : withCopies ? ' with shadow copies' : ' without shadow copies'}`);
}

/** A volume without an association and the storage volume with the most free space it may use. */
async function freeOriginal(c: Ctx) {
  const areas = await c.diffAreas();
  const dv = await c.diffVolumes();
  for (const v of await c.volumes()) {
    if (areas.some((a) => a.volume === v.name)) continue;
    const cands = dv.filter((d) => d.volume === v.name).map((d) => d.prop.Obj.value).sort((a, b) => (a.m_llVolumeFreeSpace > b.m_llVolumeFreeSpace ? -1 : 1));
    if (cands[0] && cands[0].m_llVolumeFreeSpace >= 2n * GiB) return { volume: v.name, storage: cands[0].m_pwszVolumeName as string };
  }
  throw new NotApplicable('no volume without shadow copy storage that could be given some');
}

/** A volume that takes shadow copies but is not among an original's storage volumes. */
async function notStorageFor(c: Ctx, original: string): Promise<string> {
  const dv = (await c.diffVolumes()).filter((d) => d.volume === original).map((d) => String(d.prop.Obj.value.m_pwszVolumeName).toLowerCase());
  const v = (await c.volumes()).find((x) => !dv.includes(x.name.toLowerCase()));
  if (!v) throw new NotApplicable('every volume can hold shadow copy storage');
  return v.name;
}

/** The association's maximum now, or undefined if it is gone. */
async function maximumOf(c: Ctx, volume: string, storage: string): Promise<bigint | undefined> {
  const areas = await c.items('diff-areas-for', volume);
  const a = areas.find((p) => String(p.Obj.value.m_pwszDiffAreaVolumeName).toLowerCase() === storage.toLowerCase());
  return a?.Obj.value.m_llMaximumDiffSpace;
}

/** Runs a change that should be refused; if the host took it, puts the maximum back and fails. */
async function refusedResize(c: Ctx, size: bigint, want: number): Promise<void> {
  c.needChanges();
  const a = await someAssociation(c);
  const r = await c.diff('ChangeDiffAreaMaximumSize', { pwszVolumeName: a.volume, pwszDiffAreaVolumeName: a.storage, llMaximumDiffSpace: size });
  if (r.hr === 0) await c.diff('ChangeDiffAreaMaximumSize', { pwszVolumeName: a.volume, pwszDiffAreaVolumeName: a.storage, llMaximumDiffSpace: a.max });
  expectHr(r.hr, want);
  const now = await maximumOf(c, a.volume, a.storage);
  expect(now === a.max, `the maximum unchanged (${a.max})`, String(now));
}

/** An AddDiffArea that should be refused; one the host took is removed again. */
async function refusedAdd(c: Ctx, volume: string | null, storage: string | null, size: bigint, want: number): Promise<void> {
  const r = await c.diff('AddDiffArea', { pwszVolumeName: volume, pwszDiffAreaVolumeName: storage, llMaximumDiffSpace: size });
  if (r.hr === 0 && volume && storage) await c.diff('ChangeDiffAreaMaximumSize', { pwszVolumeName: volume, pwszDiffAreaVolumeName: storage, llMaximumDiffSpace: 0n });
  expectHr(r.hr, want);
}

const gpmi = (ProviderId: string, InterfaceId: string) => (c: Ctx) => c.mgmt('GetProviderMgmtInterface', { ProviderId, InterfaceId });
const qvss = (ProviderId: string, lContext: number) => (c: Ctx) => c.mgmt('QueryVolumesSupportedForSnapshots', { ProviderId, lContext });
const qsbv = (pwszVolumeName: string | null, ProviderId = VSS_SYSTEM_PROVIDER_ID) => (c: Ctx) => c.mgmt('QuerySnapshotsByVolume', { pwszVolumeName, ProviderId });

const B_GPMI = answers(MGMT, 'GetProviderMgmtInterface');
const B_QVSS = answers(MGMT, 'QueryVolumesSupportedForSnapshots');
const B_QSBV = answers(MGMT, 'QuerySnapshotsByVolume');
const B_ADD = answers(DIFF, 'AddDiffArea');
const B_CHANGE = answers(DIFF, 'ChangeDiffAreaMaximumSize');
const B_QVSD = answers(DIFF, 'QueryVolumesSupportedForDiffAreas');
const B_FOR = answers(DIFF, 'QueryDiffAreasForVolume');
const B_ON = answers(DIFF, 'QueryDiffAreasOnVolume');

/** lContext values 3.1.1.4.2 allows (bitwise ORs of the four flags, and VSS_CTX_ALL) and their names. */
const CONTEXTS: Array<[string, number]> = [
  ['persistent', 0x1],
  ['client-accessible', 0x4],
  ['no-auto-release', 0x8],
  ['no-writers', 0x10],
  ['all-four-flags', 0x1d],
  ['vss-ctx-all', -1],
];

export const SCMP_METHOD_CHECKS: Check[] = [
  // --- IVssSnapshotMgmt::GetProviderMgmtInterface (3.1.1.4.1) ---
  check('scmp.gpmi.system-provider', 'GetProviderMgmtInterface(system provider, IID_IVssDifferentialSoftwareSnapshotMgmt) answers S_OK and an interface pointer', sp('3.1.1.4.1'), B_GPMI, async (c) => {
    const r = await gpmi(VSS_SYSTEM_PROVIDER_ID, IID_IVssDifferentialSoftwareSnapshotMgmt)(c);
    expectHr(r.hr, 0);
    expect(!!r.ppItf, 'a non-NULL ppItf', 'NULL');
  }),
  check('scmp.gpmi.objref-iid', 'the pointer GetProviderMgmtInterface returns is a standard OBJREF for IID_IVssDifferentialSoftwareSnapshotMgmt', ref('MS-DCOM', '2.2.18'), B_GPMI, async (c) => {
    const r = await gpmi(VSS_SYSTEM_PROVIDER_ID, IID_IVssDifferentialSoftwareSnapshotMgmt)(c);
    expectHr(r.hr, 0);
    const o = decodeObjref(r.ppItf.abData);
    expect(o.kind === 'standard' && o.iid === IID_IVssDifferentialSoftwareSnapshotMgmt, 'a standard OBJREF for the diff-area interface', `${o.kind} ${o.iid}`);
  }),
  check('scmp.gpmi.unknown-provider', 'GetProviderMgmtInterface with a provider the host does not have answers VSS_E_PROVIDER_NOT_REGISTERED', sp('3.1.1.4.1'), B_GPMI, async (c) => {
    expectHr((await gpmi(NO_SUCH_PROVIDER, IID_IVssDifferentialSoftwareSnapshotMgmt)(c)).hr, VSS_E_PROVIDER_NOT_REGISTERED);
  }),
  check('scmp.gpmi.null-provider', 'GetProviderMgmtInterface with ProviderId GUID_NULL answers VSS_E_PROVIDER_NOT_REGISTERED (no provider has that id)', sp('3.1.1.4.1'), B_GPMI, async (c) => {
    expectHr((await gpmi(GUID_NULL, IID_IVssDifferentialSoftwareSnapshotMgmt)(c)).hr, VSS_E_PROVIDER_NOT_REGISTERED);
  }),
  check('scmp.gpmi.other-iid', 'GetProviderMgmtInterface with an InterfaceId other than IID_IVssDifferentialSoftwareSnapshotMgmt (IVssEnumObject) answers E_INVALIDARG', sp('3.1.1.4.1'), B_GPMI, async (c) => {
    expectHr((await gpmi(VSS_SYSTEM_PROVIDER_ID, IID_IVssEnumObject)(c)).hr, E_INVALIDARG);
  }),
  check('scmp.gpmi.iunknown-iid', 'GetProviderMgmtInterface with InterfaceId IID_IUnknown answers E_INVALIDARG', sp('3.1.1.4.1'), B_GPMI, async (c) => {
    expectHr((await gpmi(VSS_SYSTEM_PROVIDER_ID, IID_IUnknown)(c)).hr, E_INVALIDARG);
  }),
  check('scmp.gpmi.null-iid', 'GetProviderMgmtInterface with InterfaceId GUID_NULL answers E_INVALIDARG', sp('3.1.1.4.1'), B_GPMI, async (c) => {
    expectHr((await gpmi(VSS_SYSTEM_PROVIDER_ID, GUID_NULL)(c)).hr, E_INVALIDARG);
  }),
  check('scmp.gpmi.null-on-failure', 'a refused GetProviderMgmtInterface returns a NULL ppItf', sp('3.1.1.4.1'), answers(MGMT, 'GetProviderMgmtInterface', 0), async (c) => {
    nullOnFailure(await gpmi(NO_SUCH_PROVIDER, IID_IVssDifferentialSoftwareSnapshotMgmt)(c), 'ppItf');
  }),
  check('scmp.gpmi.twice', 'GetProviderMgmtInterface may be called again on the same object and answers S_OK each time', sp('3.1.1.4.1'), B_GPMI, async (c) => {
    for (let i = 0; i < 2; i++) expectHr((await gpmi(VSS_SYSTEM_PROVIDER_ID, IID_IVssDifferentialSoftwareSnapshotMgmt)(c)).hr, 0, `call ${i + 1}`);
  }),

  // --- IVssSnapshotMgmt::QueryVolumesSupportedForSnapshots (3.1.1.4.2) ---
  check('scmp.qvss.ok', 'QueryVolumesSupportedForSnapshots(system provider, 0) answers S_OK and an IVssEnumMgmtObject', sp('3.1.1.4.2'), B_QVSS, async (c) => {
    await expectEnumIid(c, 'volumes', '0', IID_IVssEnumMgmtObject);
  }),
  check('scmp.qvss.null-provider', 'QueryVolumesSupportedForSnapshots with ProviderId GUID_NULL answers E_INVALIDARG', sp('3.1.1.4.2'), B_QVSS, async (c) => {
    expectHr((await qvss(GUID_NULL, 0)(c)).hr, E_INVALIDARG);
  }),
  check('scmp.qvss.unknown-provider', 'QueryVolumesSupportedForSnapshots with an unknown provider answers VSS_E_PROVIDER_NOT_REGISTERED', sp('3.1.1.4.2'), B_QVSS, async (c) => {
    expectHr((await qvss(NO_SUCH_PROVIDER, 0)(c)).hr, VSS_E_PROVIDER_NOT_REGISTERED);
  }),
  check('scmp.qvss.bad-context', 'QueryVolumesSupportedForSnapshots with an lContext outside the four flags (0x100) answers E_INVALIDARG', sp('3.1.1.4.2'), B_QVSS, async (c) => {
    expectHr((await qvss(VSS_SYSTEM_PROVIDER_ID, 0x100)(c)).hr, E_INVALIDARG);
  }),
  check('scmp.qvss.null-on-failure', 'a refused QueryVolumesSupportedForSnapshots returns a NULL ppEnum', sp('3.1.1.4.2'), answers(MGMT, 'QueryVolumesSupportedForSnapshots', 0), async (c) => {
    nullOnFailure(await qvss(GUID_NULL, 0)(c), 'ppEnum');
  }),
  ...CONTEXTS.map(([name, ctx]) =>
    check(`scmp.qvss.context-${name}`, `QueryVolumesSupportedForSnapshots with lContext ${ctx === -1 ? 'VSS_CTX_ALL' : `0x${ctx.toString(16)}`} lists the same volumes as with 0`, sp('3.1.1.4.2'), B_QVSS, async (c) => {
      const base = (await c.volumes()).map((v) => v.name).sort();
      const got = (await c.items('volumes', String(ctx))).map((p) => p.Obj.value.m_pwszVolumeName as string).sort();
      expect(JSON.stringify(base) === JSON.stringify(got), base.join(' '), got.join(' '));
    }),
  ),

  // --- IVssSnapshotMgmt::QuerySnapshotsByVolume (3.1.1.4.3) ---
  check('scmp.qsbv.ok', 'QuerySnapshotsByVolume on a volume answers S_OK and an IVssEnumObject', sp('3.1.1.4.3'), B_QSBV, async (c) => {
    await expectEnumIid(c, 'snapshots', (await someVolume(c)).name, IID_IVssEnumObject);
  }),
  check('scmp.qsbv.null-name', 'QuerySnapshotsByVolume with a NULL pwszVolumeName answers E_INVALIDARG', sp('3.1.1.4.3'), B_QSBV, async (c) => {
    expectHr((await qsbv(null)(c)).hr, E_INVALIDARG);
  }),
  check('scmp.qsbv.null-provider', 'QuerySnapshotsByVolume with ProviderId GUID_NULL answers E_INVALIDARG', sp('3.1.1.4.3'), B_QSBV, async (c) => {
    expectHr((await qsbv((await someVolume(c)).name, GUID_NULL)(c)).hr, E_INVALIDARG);
  }),
  check('scmp.qsbv.unknown-provider', 'QuerySnapshotsByVolume with an unknown provider answers VSS_E_PROVIDER_NOT_REGISTERED', sp('3.1.1.4.3'), B_QSBV, async (c) => {
    expectHr((await qsbv((await someVolume(c)).name, NO_SUCH_PROVIDER)(c)).hr, VSS_E_PROVIDER_NOT_REGISTERED);
  }),
  check('scmp.qsbv.null-on-failure', 'a refused QuerySnapshotsByVolume returns a NULL ppEnum', sp('3.1.1.4.3'), answers(MGMT, 'QuerySnapshotsByVolume', 0), async (c) => {
    nullOnFailure(await qsbv(null)(c), 'ppEnum');
  }),
  check('scmp.qsbv.unknown-volume', 'QuerySnapshotsByVolume on a name that is no volume answers S_OK and an empty enumerator', sp('3.1.1.4.3'), B_QSBV, (c) => expectEmpty(c, 'snapshots', NO_SUCH_VOLUME)),
  check('scmp.qsbv.empty-name', 'QuerySnapshotsByVolume on the empty name answers S_OK and an empty enumerator', sp('3.1.1.4.3'), B_QSBV, (c) => expectEmpty(c, 'snapshots', '')),
  check('scmp.qsbv.only-that-volume', "every shadow copy QuerySnapshotsByVolume lists has that volume as m_pwszOriginalVolumeName", sp('3.1.1.4.3'), B_QSBV, async (c) => {
    for (const s of await c.snapshots()) {
      const o = String(s.prop.Obj.value.m_pwszOriginalVolumeName);
      expect(o.toLowerCase() === s.volume.toLowerCase(), `original volume ${s.volume}`, o);
    }
  }),
  ...(
    [
      ['display-name', 'its display name (C:\\)', (v: { displayName: string }) => v.displayName],
      ['drive-letter', 'its drive letter without the backslash (C:)', (v: { displayName: string }) => (/^[A-Z]:\\$/i.test(v.displayName) ? v.displayName.slice(0, 2) : undefined)],
      ['upper-case', 'its volume name in upper case', (v: { name: string }) => v.name.toUpperCase()],
      ['no-trailing-backslash', 'its volume name without the trailing backslash', (v: { name: string }) => v.name.replace(/\\$/, '')],
    ] as Array<[string, string, (v: { name: string; displayName: string }) => string | undefined]>
  ).map(([id, form, of]) =>
    check(`scmp.qsbv.name-form-${id}`, `QuerySnapshotsByVolume names a volume by ${form} as by its volume name: the same shadow copies`, sp('3.1.1.4.3'), B_QSBV, async (c) => {
      const { v, ids } = await volumeWithSnapshots(c);
      const name = of(v);
      if (name === undefined) throw new NotApplicable(`the volume ${v.name} has no such name`);
      const got = await snapshotIdsOf(c, name);
      expect(JSON.stringify(ids) === JSON.stringify(got), ids.join(' '), got.join(' ') || 'none');
    }),
  ),

  // --- AddDiffArea (3.1.4.4.2) ---
  check('scmp.add.null-volume', 'AddDiffArea with a NULL pwszVolumeName answers E_INVALIDARG', sp('3.1.4.4.2'), B_ADD, async (c) => refusedAdd(c, null, (await someVolume(c)).name, 1n * GiB, E_INVALIDARG)),
  check('scmp.add.null-storage', 'AddDiffArea with a NULL pwszDiffAreaVolumeName answers E_INVALIDARG', sp('3.1.4.4.2'), B_ADD, async (c) => refusedAdd(c, (await someVolume(c)).name, null, 1n * GiB, E_INVALIDARG)),
  check('scmp.add.unknown-volume', 'AddDiffArea for a name that is no volume answers VSS_E_VOLUME_NOT_SUPPORTED', sp('3.1.4.4.2'), B_ADD, async (c) => refusedAdd(c, NO_SUCH_VOLUME, (await someVolume(c)).name, 1n * GiB, VSS_E_VOLUME_NOT_SUPPORTED)),
  check('scmp.add.unknown-storage', 'AddDiffArea on a storage name that is no volume answers VSS_E_VOLUME_NOT_SUPPORTED', sp('3.1.4.4.2'), B_ADD, async (c) => refusedAdd(c, (await someVolume(c)).name, NO_SUCH_VOLUME, 1n * GiB, VSS_E_VOLUME_NOT_SUPPORTED)),
  check('scmp.add.empty-volume', 'AddDiffArea for the empty name answers VSS_E_VOLUME_NOT_SUPPORTED', sp('3.1.4.4.2'), B_ADD, async (c) => refusedAdd(c, '', (await someVolume(c)).name, 1n * GiB, VSS_E_VOLUME_NOT_SUPPORTED)),
  check('scmp.add.zero-size', 'AddDiffArea with llMaximumDiffSpace 0 answers E_INVALIDARG', sp('3.1.4.4.2'), B_ADD, async (c) => {
    c.needChanges();
    const f = await freeOriginal(c);
    await refusedAdd(c, f.volume, f.storage, 0n, E_INVALIDARG);
  }, ['changes']),
  check('scmp.add.negative-size', 'AddDiffArea with a negative llMaximumDiffSpace other than -1 (-2) answers E_INVALIDARG', sp('3.1.4.4.2'), B_ADD, async (c) => {
    c.needChanges();
    const f = await freeOriginal(c);
    await refusedAdd(c, f.volume, f.storage, -2n, E_INVALIDARG);
  }, ['changes']),
  check('scmp.add.below-minimum', 'AddDiffArea with a maximum below the 320 MiB a shadow copy needs (1 MiB) answers E_INVALIDARG', sp('3.1.4.4.2'), B_ADD, async (c) => {
    c.needChanges();
    const f = await freeOriginal(c);
    await refusedAdd(c, f.volume, f.storage, 1n * MiB, E_INVALIDARG);
  }, ['changes']),
  check('scmp.add.exists', 'AddDiffArea for an association that exists answers VSS_E_OBJECT_ALREADY_EXISTS', sp('3.1.4.4.2'), B_ADD, async (c) => {
    c.needChanges();
    const a = await someAssociation(c);
    const r = await c.diff('AddDiffArea', { pwszVolumeName: a.volume, pwszDiffAreaVolumeName: a.storage, llMaximumDiffSpace: 1n * GiB });
    if (r.hr === 0) await c.diff('ChangeDiffAreaMaximumSize', { pwszVolumeName: a.volume, pwszDiffAreaVolumeName: a.storage, llMaximumDiffSpace: a.max });
    expectHr(r.hr, VSS_E_OBJECT_ALREADY_EXISTS);
  }, ['changes']),
  check('scmp.add.second-storage', 'AddDiffArea for a volume whose storage is elsewhere answers VSS_E_MAXIMUM_DIFFAREA_ASSOCIATIONS_REACHED', sp('3.1.4.4.2'), B_ADD, async (c) => {
    c.needChanges();
    const a = await someAssociation(c);
    const other = (await c.diffVolumes()).find((d) => d.volume === a.volume && String(d.prop.Obj.value.m_pwszVolumeName).toLowerCase() !== a.storage.toLowerCase());
    if (!other) throw new NotApplicable(`${a.volume} has no other storage volume`);
    await refusedAdd(c, a.volume, other.prop.Obj.value.m_pwszVolumeName, 1n * GiB, VSS_E_MAXIMUM_DIFFAREA_ASSOCIATIONS_REACHED);
  }, ['changes']),
  check('scmp.add.unsupported-storage', 'AddDiffArea on a volume that cannot hold shadow copy storage answers VSS_E_VOLUME_NOT_SUPPORTED', sp('3.1.4.4.2'), B_ADD, async (c) => {
    c.needChanges();
    const f = await freeOriginal(c);
    await refusedAdd(c, f.volume, await notStorageFor(c, f.volume), 1n * GiB, VSS_E_VOLUME_NOT_SUPPORTED);
  }, ['changes']),
  check('scmp.add.round-trip', 'AddDiffArea answers S_OK for a new association, which QueryDiffAreasForVolume then lists with its maximum (removed again)', sp('3.1.4.4.2'), B_ADD, async (c) => {
    c.needChanges();
    const f = await freeOriginal(c);
    const r = await c.diff('AddDiffArea', { pwszVolumeName: f.volume, pwszDiffAreaVolumeName: f.storage, llMaximumDiffSpace: 1n * GiB });
    expectHr(r.hr, 0);
    const max = await maximumOf(c, f.volume, f.storage);
    const rm = await c.diff('ChangeDiffAreaMaximumSize', { pwszVolumeName: f.volume, pwszDiffAreaVolumeName: f.storage, llMaximumDiffSpace: 0n });
    expect(max === 1n * GiB, 'the association listed with a maximum of 1 GiB', String(max));
    expectHr(rm.hr, 0, 'removing it again');
  }, ['changes']),
  check('scmp.add.unbounded', 'AddDiffArea accepts -1 (VSS_ASSOC_NO_MAX_SPACE) as the maximum, listed back as -1 (removed again)', sp('3.1.4.4.2'), B_ADD, async (c) => {
    c.needChanges();
    const f = await freeOriginal(c);
    expectHr((await c.diff('AddDiffArea', { pwszVolumeName: f.volume, pwszDiffAreaVolumeName: f.storage, llMaximumDiffSpace: -1n })).hr, 0);
    const max = await maximumOf(c, f.volume, f.storage);
    await c.diff('ChangeDiffAreaMaximumSize', { pwszVolumeName: f.volume, pwszDiffAreaVolumeName: f.storage, llMaximumDiffSpace: 0n });
    expect(max === -1n, 'a maximum of -1', String(max));
  }, ['changes']),

  // --- ChangeDiffAreaMaximumSize (3.1.4.4.3) ---
  check('scmp.change.null-volume', 'ChangeDiffAreaMaximumSize with a NULL pwszVolumeName answers E_INVALIDARG', sp('3.1.4.4.3'), B_CHANGE, async (c) => {
    expectHr((await c.diff('ChangeDiffAreaMaximumSize', { pwszVolumeName: null, pwszDiffAreaVolumeName: (await someVolume(c)).name, llMaximumDiffSpace: 1n * GiB })).hr, E_INVALIDARG);
  }),
  check('scmp.change.null-storage', 'ChangeDiffAreaMaximumSize with a NULL pwszDiffAreaVolumeName answers E_INVALIDARG', sp('3.1.4.4.3'), B_CHANGE, async (c) => {
    expectHr((await c.diff('ChangeDiffAreaMaximumSize', { pwszVolumeName: (await someVolume(c)).name, pwszDiffAreaVolumeName: null, llMaximumDiffSpace: 1n * GiB })).hr, E_INVALIDARG);
  }),
  check('scmp.change.unknown', 'ChangeDiffAreaMaximumSize for an association that does not exist (a name that is no volume) answers VSS_E_OBJECT_NOT_FOUND', sp('3.1.4.4.3'), B_CHANGE, async (c) => {
    expectHr((await c.diff('ChangeDiffAreaMaximumSize', { pwszVolumeName: NO_SUCH_VOLUME, pwszDiffAreaVolumeName: NO_SUCH_VOLUME, llMaximumDiffSpace: 1n * GiB })).hr, VSS_E_OBJECT_NOT_FOUND);
  }),
  check('scmp.change.too-small', 'ChangeDiffAreaMaximumSize to a nonzero size too small for one shadow copy (1 byte) answers VSS_E_INSUFFICIENT_STORAGE', sp('3.1.4.4.3'), B_CHANGE, (c) => refusedResize(c, 1n, VSS_E_INSUFFICIENT_STORAGE), ['changes']),
  check('scmp.change.negative', 'ChangeDiffAreaMaximumSize to a negative size other than -1 (-5) answers VSS_E_INSUFFICIENT_STORAGE', sp('3.1.4.4.3'), B_CHANGE, (c) => refusedResize(c, -5n, VSS_E_INSUFFICIENT_STORAGE), ['changes']),
  check('scmp.change.remove-in-use', 'ChangeDiffAreaMaximumSize with VSS_ASSOC_REMOVE (0) on an association whose volume has shadow copies answers VSS_E_VOLUME_IN_USE', sp('3.1.4.4.3'), B_CHANGE, async (c) => {
    c.needChanges();
    const a = await someAssociation(c, true);
    const r = await c.diff('ChangeDiffAreaMaximumSize', { pwszVolumeName: a.volume, pwszDiffAreaVolumeName: a.storage, llMaximumDiffSpace: 0n });
    if (r.hr === 0) await c.diff('AddDiffArea', { pwszVolumeName: a.volume, pwszDiffAreaVolumeName: a.storage, llMaximumDiffSpace: a.max });
    expectHr(r.hr, VSS_E_VOLUME_IN_USE);
  }, ['changes']),
  check('scmp.change.same-size', 'ChangeDiffAreaMaximumSize to the maximum the association has answers S_OK and leaves it as it was', sp('3.1.4.4.3'), B_CHANGE, async (c) => {
    c.needChanges();
    const a = await someAssociation(c);
    expectHr((await c.diff('ChangeDiffAreaMaximumSize', { pwszVolumeName: a.volume, pwszDiffAreaVolumeName: a.storage, llMaximumDiffSpace: a.max })).hr, 0);
    const now = await maximumOf(c, a.volume, a.storage);
    expect(now === a.max, String(a.max), String(now));
  }, ['changes']),
  check('scmp.change.unbounded', 'ChangeDiffAreaMaximumSize to -1 lifts the limit (listed back as -1); the old maximum is put back', sp('3.1.4.4.3'), B_CHANGE, async (c) => {
    c.needChanges();
    const a = await someAssociation(c);
    const r = await c.diff('ChangeDiffAreaMaximumSize', { pwszVolumeName: a.volume, pwszDiffAreaVolumeName: a.storage, llMaximumDiffSpace: -1n });
    const now = await maximumOf(c, a.volume, a.storage);
    await c.diff('ChangeDiffAreaMaximumSize', { pwszVolumeName: a.volume, pwszDiffAreaVolumeName: a.storage, llMaximumDiffSpace: a.max });
    expectHr(r.hr, 0);
    expect(now === -1n, '-1', String(now));
  }, ['changes']),
  check('scmp.change.round-trip', 'ChangeDiffAreaMaximumSize to a larger maximum is listed back exactly; the old maximum is put back', sp('3.1.4.4.3'), B_CHANGE, async (c) => {
    c.needChanges();
    const a = await someAssociation(c);
    const bigger = a.max < 0n ? 400n * GiB : a.max + 1n * GiB;
    const r = await c.diff('ChangeDiffAreaMaximumSize', { pwszVolumeName: a.volume, pwszDiffAreaVolumeName: a.storage, llMaximumDiffSpace: bigger });
    const now = await maximumOf(c, a.volume, a.storage);
    await c.diff('ChangeDiffAreaMaximumSize', { pwszVolumeName: a.volume, pwszDiffAreaVolumeName: a.storage, llMaximumDiffSpace: a.max });
    expectHr(r.hr, 0);
    expect(now === bigger, String(bigger), String(now));
  }, ['changes']),

  // --- QueryVolumesSupportedForDiffAreas (3.1.4.4.4) ---
  check('scmp.qvsd.ok', 'QueryVolumesSupportedForDiffAreas on a volume answers S_OK and an IVssEnumMgmtObject', sp('3.1.4.4.4'), B_QVSD, async (c) => {
    await expectEnumIid(c, 'diff-volumes', (await someVolume(c)).name, IID_IVssEnumMgmtObject);
  }),
  check('scmp.qvsd.null-name', 'QueryVolumesSupportedForDiffAreas with a NULL name answers E_INVALIDARG', sp('3.1.4.4.4'), B_QVSD, async (c) => {
    expectHr((await c.diff('QueryVolumesSupportedForDiffAreas', { pwszOriginalVolumeName: null })).hr, E_INVALIDARG);
  }),
  check('scmp.qvsd.null-on-failure', 'a refused QueryVolumesSupportedForDiffAreas returns a NULL ppEnum', sp('3.1.4.4.4'), answers(DIFF, 'QueryVolumesSupportedForDiffAreas', 0), async (c) => {
    nullOnFailure(await c.diff('QueryVolumesSupportedForDiffAreas', { pwszOriginalVolumeName: null }), 'ppEnum');
  }),
  check('scmp.qvsd.unknown-volume', 'QueryVolumesSupportedForDiffAreas on a name that is no volume answers S_OK and an empty enumerator', sp('3.1.4.4.4'), B_QVSD, (c) => expectEmpty(c, 'diff-volumes', NO_SUCH_VOLUME)),
  check('scmp.qvsd.some-storage', 'some volume of the host can hold shadow copy storage for some volume (QueryVolumesSupportedForDiffAreas lists one)', sp('3.1.4.4.4'), B_QVSD, async (c) => {
    expect((await c.diffVolumes()).length > 0, 'at least one storage volume', 'none for any volume');
  }),

  // --- QueryDiffAreasForVolume (3.1.4.4.5) ---
  check('scmp.for.ok', 'QueryDiffAreasForVolume on a volume answers S_OK and an IVssEnumMgmtObject', sp('3.1.4.4.5'), B_FOR, async (c) => {
    await expectEnumIid(c, 'diff-areas-for', (await someVolume(c)).name, IID_IVssEnumMgmtObject);
  }),
  check('scmp.for.null-name', 'QueryDiffAreasForVolume with a NULL name answers E_INVALIDARG', sp('3.1.4.4.5'), B_FOR, async (c) => {
    expectHr((await c.diff('QueryDiffAreasForVolume', { pwszVolumeName: null })).hr, E_INVALIDARG);
  }),
  check('scmp.for.null-on-failure', 'a refused QueryDiffAreasForVolume returns a NULL ppEnum', sp('3.1.4.4.5'), answers(DIFF, 'QueryDiffAreasForVolume', 0), async (c) => {
    nullOnFailure(await c.diff('QueryDiffAreasForVolume', { pwszVolumeName: null }), 'ppEnum');
  }),
  check('scmp.for.unknown-volume', 'QueryDiffAreasForVolume on a name that is no volume answers S_OK and an empty enumerator', sp('3.1.4.4.5'), B_FOR, (c) => expectEmpty(c, 'diff-areas-for', NO_SUCH_VOLUME)),
  check('scmp.for.only-that-volume', 'every association QueryDiffAreasForVolume lists has that volume as m_pwszVolumeName', sp('3.1.4.4.5'), B_FOR, async (c) => {
    const all = await c.diffAreas();
    if (all.length === 0) throw new NotApplicable('the host has no storage association');
    for (const a of all) expect(String(a.prop.Obj.value.m_pwszVolumeName).toLowerCase() === a.volume.toLowerCase(), a.volume, String(a.prop.Obj.value.m_pwszVolumeName));
  }),

  // --- QueryDiffAreasOnVolume (3.1.4.4.6) ---
  check('scmp.on.ok', 'QueryDiffAreasOnVolume on a volume answers S_OK and an IVssEnumMgmtObject', sp('3.1.4.4.6'), B_ON, async (c) => {
    await expectEnumIid(c, 'diff-areas-on', (await someVolume(c)).name, IID_IVssEnumMgmtObject);
  }),
  check('scmp.on.null-name', 'QueryDiffAreasOnVolume with a NULL name answers E_INVALIDARG', sp('3.1.4.4.6'), B_ON, async (c) => {
    expectHr((await c.diff('QueryDiffAreasOnVolume', { pwszVolumeName: null })).hr, E_INVALIDARG);
  }),
  check('scmp.on.null-on-failure', 'a refused QueryDiffAreasOnVolume returns a NULL ppEnum', sp('3.1.4.4.6'), answers(DIFF, 'QueryDiffAreasOnVolume', 0), async (c) => {
    nullOnFailure(await c.diff('QueryDiffAreasOnVolume', { pwszVolumeName: null }), 'ppEnum');
  }),
  check('scmp.on.unknown-volume', 'QueryDiffAreasOnVolume on a name that is no volume answers S_OK and an empty enumerator', sp('3.1.4.4.6'), B_ON, (c) => expectEmpty(c, 'diff-areas-on', NO_SUCH_VOLUME)),
  check('scmp.on.matches-for', 'QueryDiffAreasOnVolume on each storage volume lists exactly the associations QueryDiffAreasForVolume places there', sp('3.1.4.4.6'), B_ON, async (c) => {
    const all = await c.diffAreas();
    if (all.length === 0) throw new NotApplicable('the host has no storage association');
    const key = (p: any) => `${String(p.Obj.value.m_pwszVolumeName).toLowerCase()}>${String(p.Obj.value.m_pwszDiffAreaVolumeName).toLowerCase()}`;
    const storages = [...new Set(all.map((a) => String(a.prop.Obj.value.m_pwszDiffAreaVolumeName)))];
    for (const s of storages) {
      const want = all.filter((a) => String(a.prop.Obj.value.m_pwszDiffAreaVolumeName).toLowerCase() === s.toLowerCase()).map((a) => key(a.prop)).sort();
      const got = (await c.items('diff-areas-on', s)).map(key).sort();
      expect(JSON.stringify(want) === JSON.stringify(got), `${s}: ${want.join(', ')}`, got.join(', ') || 'none');
    }
  }),
];

export { Mismatch };
