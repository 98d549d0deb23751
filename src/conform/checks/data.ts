/**
 * The data rules of MS-SCMP's structures (2.2.x): what every VSS_SNAPSHOT_PROP,
 * VSS_VOLUME_PROP, VSS_DIFF_VOLUME_PROP and VSS_DIFF_AREA_PROP the host lists must hold.
 */
import { VSS_MGMT_OBJECT_DIFF_AREA, VSS_MGMT_OBJECT_DIFF_VOLUME, VSS_MGMT_OBJECT_VOLUME, VSS_OBJECT_SNAPSHOT, VSS_SYSTEM_PROVIDER_ID } from '../../interfaces/scmp/types.js';
import { expect, NotApplicable, type Ctx } from '../context.js';
import type { Check } from '../types.js';
import { answers, check, DIFF, ENUM_MGMT, ENUM_OBJ, GUID_NULL, MGMT, ref, VOLUME_NAME, wrongData } from './define.js';
import type { Breaker } from '../types.js';

/** FILETIME of 2000-01-01 and one day. */
const FT_2000 = 125911584000000000n;
const FT_DAY = 864000000000n;
const nowFt = () => BigInt(Date.now()) * 10000n + 116444736000000000n;
/** vss.h's VSS_VOLSNAP_ATTR_* bits (MS-SCMP 2.2.2.3). */
const KNOWN_ATTRIBUTES = 0x0001 | 0x0002 | 0x0004 | 0x0008 | 0x0010 | 0x0020 | 0x0040 | 0x0080 | 0x0100 | 0x0200 | 0x0400 | 0x0800 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x80000 | 0x100000 | 0x200000 | 0x400000;
const VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY = 0x800;
const VSS_VOLSNAP_ATTR_EXPOSED_REMOTELY = 0x1000;

type Item = { volume: string; prop: any };
type Rule = [id: string, requirement: string, section: string, test: (x: any, item: Item, all: Item[]) => [ok: boolean, expected: string, got: string], breaker?: Breaker];

function each(id: string, requirement: string, section: string, list: (c: Ctx) => Promise<Item[]>, breaker: Breaker, test: Rule[3], what: string): Check {
  return check(id, requirement, ref('MS-SCMP', section), breaker, async (c) => {
    const all = await list(c);
    if (all.length === 0) throw new NotApplicable(`the host lists no ${what}`);
    for (const it of all) {
      const [ok, expected, got] = test(it.prop.Obj.value, it, all);
      expect(ok, expected, `${got} (in ${it.volume})`);
    }
  });
}

const SNAPSHOT_RULES: Rule[] = [
  ['type', 'VSS_OBJECT_PROP.Type is VSS_OBJECT_SNAPSHOT', '2.2.3.2', (_x, it) => [it.prop.Type === VSS_OBJECT_SNAPSHOT, 'Type 3', `Type ${it.prop.Type}`]],
  ['id', 'm_SnapshotId is not GUID_NULL', '2.2.3.3', (x) => [x.m_SnapshotId !== GUID_NULL, 'a shadow copy id', x.m_SnapshotId]],
  ['id-unique', 'no two shadow copies share an m_SnapshotId', '2.2.3.3', (x, _it, all) => [all.filter((o) => o.prop.Obj.value.m_SnapshotId === x.m_SnapshotId).length === 1, 'a unique id', `${x.m_SnapshotId} twice`]],
  ['set-id', 'm_SnapshotSetId is not GUID_NULL', '2.2.3.3', (x) => [x.m_SnapshotSetId !== GUID_NULL, 'a set id', x.m_SnapshotSetId]],
  ['count', 'm_lSnapshotsCount is at least 1', '2.2.3.3', (x) => [x.m_lSnapshotsCount >= 1, 'at least 1', String(x.m_lSnapshotsCount)]],
  ['count-of-set', 'm_lSnapshotsCount is at least the number of listed shadow copies of its set', '2.2.3.3', (x, _it, all) => {
    const n = all.filter((o) => o.prop.Obj.value.m_SnapshotSetId === x.m_SnapshotSetId).length;
    return [x.m_lSnapshotsCount >= n, `at least ${n}`, String(x.m_lSnapshotsCount)];
  }, wrongData('a copy of a two-copy set counting 1', (m) => { m.snapshots[3].countInSet = 1; })],
  ['device-object', 'm_pwszSnapshotDeviceObject names a device (\\\\?\\GLOBALROOT\\Device\\…)', '2.2.3.3', (x) => [/^\\\\\?\\GLOBALROOT\\Device\\./i.test(x.m_pwszSnapshotDeviceObject ?? ''), 'a \\\\?\\GLOBALROOT\\Device\\ path', String(x.m_pwszSnapshotDeviceObject)]],
  ['original-volume', 'm_pwszOriginalVolumeName is a volume name \\\\?\\Volume{GUID}\\', '2.2.3.3', (x) => [VOLUME_NAME.test(x.m_pwszOriginalVolumeName ?? ''), 'a volume GUID name', String(x.m_pwszOriginalVolumeName)]],
  ['originating-machine', 'm_pwszOriginatingMachine names a machine', '2.2.3.3', (x) => [!!x.m_pwszOriginatingMachine, 'a machine name', String(x.m_pwszOriginatingMachine)]],
  ['service-machine', 'm_pwszServiceMachine names a machine', '2.2.3.3', (x) => [!!x.m_pwszServiceMachine, 'a machine name', String(x.m_pwszServiceMachine)]],
  ['provider', 'm_ProviderId is the system provider the query named', '2.2.3.3', (x) => [x.m_ProviderId === VSS_SYSTEM_PROVIDER_ID, VSS_SYSTEM_PROVIDER_ID, x.m_ProviderId]],
  ['attributes', 'm_lSnapshotAttributes holds only VSS_VOLSNAP_ATTR_* bits', '2.2.2.3', (x) => [(x.m_lSnapshotAttributes & ~KNOWN_ATTRIBUTES) === 0, 'known bits only', `0x${(x.m_lSnapshotAttributes >>> 0).toString(16)}`]],
  ['exposed', 'm_pwszExposedName is NULL unless the copy is exposed (EXPOSED_LOCALLY or EXPOSED_REMOTELY)', '2.2.3.3', (x) => {
    const exposed = (x.m_lSnapshotAttributes & (VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY | VSS_VOLSNAP_ATTR_EXPOSED_REMOTELY)) !== 0;
    return [exposed || x.m_pwszExposedName === null, 'NULL', String(x.m_pwszExposedName)];
  }],
  ['timestamp-set', 'm_tsCreationTimestamp is a time after 2000-01-01', '2.2.3.3', (x) => [x.m_tsCreationTimestamp > FT_2000, 'after 2000', String(x.m_tsCreationTimestamp)], wrongData('a copy created in 1990', (m) => { m.snapshots[0].created = '1990-01-01T00:00:00Z'; })],
  ['timestamp-past', 'm_tsCreationTimestamp is not in the future (a day of clock skew allowed)', '2.2.3.3', (x) => [x.m_tsCreationTimestamp < nowFt() + FT_DAY, 'not in the future', String(x.m_tsCreationTimestamp)], wrongData('a copy created in 2199', (m) => { m.snapshots[0].created = '2199-01-01T00:00:00Z'; })],
  ['state', 'm_eStatus is VSS_SS_CREATED (12) for a listed shadow copy', '2.2.2.4', (x) => [x.m_eStatus === 12, 'VSS_SS_CREATED', String(x.m_eStatus)]],
  ['set-time', 'the shadow copies of one set share their creation time', '2.2.3.3', (x, _it, all) => [all.every((o) => o.prop.Obj.value.m_SnapshotSetId !== x.m_SnapshotSetId || o.prop.Obj.value.m_tsCreationTimestamp === x.m_tsCreationTimestamp), 'one time per set', 'different times in a set'], wrongData('the two copies of a set a second apart', (m) => { m.snapshots[3].created = '2025-11-17T23:30:12.250Z'; })],
];

const VOLUME_RULES: Rule[] = [
  ['type', 'VSS_MGMT_OBJECT_PROP.Type is VSS_MGMT_OBJECT_VOLUME', '2.2.3.6', (_x, it) => [it.prop.Type === VSS_MGMT_OBJECT_VOLUME, 'Type 1', `Type ${it.prop.Type}`]],
  ['name', 'm_pwszVolumeName is a volume name \\\\?\\Volume{GUID}\\', '2.2.3.7', (x) => [VOLUME_NAME.test(x.m_pwszVolumeName ?? ''), 'a volume GUID name', String(x.m_pwszVolumeName)]],
  ['display-name', 'm_pwszVolumeDisplayName is given and ends with a backslash', '2.2.3.7', (x) => [/\\$/.test(x.m_pwszVolumeDisplayName ?? ''), 'a path ending in \\', String(x.m_pwszVolumeDisplayName)]],
  ['unique', 'no volume is listed twice', '2.2.3.7', (x, _it, all) => [all.filter((o) => String(o.prop.Obj.value.m_pwszVolumeName).toLowerCase() === String(x.m_pwszVolumeName).toLowerCase()).length === 1, 'once', 'twice']],
];

const DIFF_VOLUME_RULES: Rule[] = [
  ['type', 'VSS_MGMT_OBJECT_PROP.Type is VSS_MGMT_OBJECT_DIFF_VOLUME', '2.2.3.6', (_x, it) => [it.prop.Type === VSS_MGMT_OBJECT_DIFF_VOLUME, 'Type 2', `Type ${it.prop.Type}`]],
  ['name', 'm_pwszVolumeName is a volume name \\\\?\\Volume{GUID}\\', '2.2.3.8', (x) => [VOLUME_NAME.test(x.m_pwszVolumeName ?? ''), 'a volume GUID name', String(x.m_pwszVolumeName)]],
  ['display-name', 'm_pwszVolumeDisplayName is given', '2.2.3.8', (x) => [!!x.m_pwszVolumeDisplayName, 'a display name', String(x.m_pwszVolumeDisplayName)]],
  ['total', 'm_llVolumeTotalSpace is greater than zero', '2.2.3.8', (x) => [x.m_llVolumeTotalSpace > 0n, '> 0', String(x.m_llVolumeTotalSpace)]],
  ['free', 'm_llVolumeFreeSpace is between 0 and m_llVolumeTotalSpace', '2.2.3.8', (x) => [x.m_llVolumeFreeSpace >= 0n && x.m_llVolumeFreeSpace <= x.m_llVolumeTotalSpace, `0..${x.m_llVolumeTotalSpace}`, String(x.m_llVolumeFreeSpace)]],
];

const DIFF_AREA_RULES: Rule[] = [
  ['type', 'VSS_MGMT_OBJECT_PROP.Type is VSS_MGMT_OBJECT_DIFF_AREA', '2.2.3.6', (_x, it) => [it.prop.Type === VSS_MGMT_OBJECT_DIFF_AREA, 'Type 3', `Type ${it.prop.Type}`]],
  ['volume-name', 'm_pwszVolumeName is a volume name \\\\?\\Volume{GUID}\\', '2.2.3.9', (x) => [VOLUME_NAME.test(x.m_pwszVolumeName ?? ''), 'a volume GUID name', String(x.m_pwszVolumeName)]],
  ['storage-name', 'm_pwszDiffAreaVolumeName is a volume name \\\\?\\Volume{GUID}\\', '2.2.3.9', (x) => [VOLUME_NAME.test(x.m_pwszDiffAreaVolumeName ?? ''), 'a volume GUID name', String(x.m_pwszDiffAreaVolumeName)]],
  ['used', 'm_llUsedDiffSpace is at least 0', '2.2.3.9', (x) => [x.m_llUsedDiffSpace >= 0n, '>= 0', String(x.m_llUsedDiffSpace)]],
  ['used-allocated', 'm_llUsedDiffSpace is at most m_llAllocatedDiffSpace', '2.2.3.9', (x) => [x.m_llUsedDiffSpace <= x.m_llAllocatedDiffSpace, `<= ${x.m_llAllocatedDiffSpace}`, String(x.m_llUsedDiffSpace)]],
  ['allocated-maximum', 'm_llAllocatedDiffSpace is at most m_llMaximumDiffSpace (unless that is -1, no limit)', '2.2.3.9', (x) => [x.m_llMaximumDiffSpace === -1n || x.m_llAllocatedDiffSpace <= x.m_llMaximumDiffSpace, `<= ${x.m_llMaximumDiffSpace}`, String(x.m_llAllocatedDiffSpace)]],
  ['maximum', 'm_llMaximumDiffSpace is -1 (no limit) or greater than zero', '2.2.3.9', (x) => [x.m_llMaximumDiffSpace === -1n || x.m_llMaximumDiffSpace > 0n, '-1 or > 0', String(x.m_llMaximumDiffSpace)]],
  ['one-per-volume', 'a volume has at most one storage association', '3.1.4.4.2', (x, _it, all) => [all.filter((o) => String(o.prop.Obj.value.m_pwszVolumeName).toLowerCase() === String(x.m_pwszVolumeName).toLowerCase()).length === 1, 'one', 'several']],
];

export const DATA_CHECKS: Check[] = [
  ...SNAPSHOT_RULES.map(([id, req, sec, t, b]) => each(`data.snapshot.${id}`, `every shadow copy listed: ${req}`, sec, (c) => c.snapshots(), b ?? answers(ENUM_OBJ, 'Next'), t, 'shadow copy')),
  ...VOLUME_RULES.map(([id, req, sec, t]) => each(`data.volume.${id}`, `every volume listed: ${req}`, sec, async (c) => (await c.items('volumes', '0')).map((prop) => ({ volume: 'QueryVolumesSupportedForSnapshots', prop })), answers(MGMT, 'QueryVolumesSupportedForSnapshots'), t, 'volume')),
  ...DIFF_VOLUME_RULES.map(([id, req, sec, t]) => each(`data.diff-volume.${id}`, `every storage volume listed: ${req}`, sec, (c) => c.diffVolumes(), answers(DIFF, 'QueryVolumesSupportedForDiffAreas'), t, 'storage volume')),
  ...DIFF_AREA_RULES.map(([id, req, sec, t, b]) => each(`data.diff-area.${id}`, `every association listed: ${req}`, sec, (c) => c.diffAreas(), b ?? answers(DIFF, 'QueryDiffAreasForVolume'), t, 'storage association')),
  check('data.diff-area.storage-supported', "every association's storage volume is among QueryVolumesSupportedForDiffAreas of its volume", ref('MS-SCMP', '3.1.4.4.4'), answers(DIFF, 'QueryVolumesSupportedForDiffAreas'), async (c) => {
    const areas = await c.diffAreas();
    if (areas.length === 0) throw new NotApplicable('the host has no storage association');
    const dv = await c.diffVolumes();
    for (const a of areas) {
      const s = String(a.prop.Obj.value.m_pwszDiffAreaVolumeName).toLowerCase();
      expect(dv.some((d) => d.volume === a.volume && String(d.prop.Obj.value.m_pwszVolumeName).toLowerCase() === s), `${s} listed for ${a.volume}`, 'not listed');
    }
  }),
  check('data.volume.snapshots-of-volumes', 'every shadow copy is of a volume QueryVolumesSupportedForSnapshots lists', ref('MS-SCMP', '3.1.1.4.3'), answers(ENUM_MGMT, 'Next'), async (c) => {
    const names = (await c.volumes()).map((v) => v.name.toLowerCase());
    for (const s of await c.snapshots()) expect(names.includes(String(s.prop.Obj.value.m_pwszOriginalVolumeName).toLowerCase()), 'a listed volume', String(s.prop.Obj.value.m_pwszOriginalVolumeName));
  }),
];
