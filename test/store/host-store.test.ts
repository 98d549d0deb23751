/**
 * The host store's rules, one test per rule and per row of each method's error table
 * (MS-SCMP 3.1.1.4.x and 3.1.4.4.x), over the embedded default host:
 *   C:\ (NTFS, one shadow copy, storage on itself, no limit), D:\ (NTFS, five shadow
 *   copies, storage on the archive volume, 200 GiB), E:\ (ReFS), C:\mnt\archive\ (NTFS,
 *   no drive letter), F:\ (FAT32, takes no shadow copy).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DEFAULT_SNAPSHOTS as S, DEFAULT_SNAPSHOT_SETS as SET, DEFAULT_VOLUMES as V, defaultHostModel } from '../../src/store/default-host.js';
import { countingGuids, hresultOf } from '../helpers/store.js';
import { parseGuid } from '../../src/ndr/guid.js';
import { filetimeFromDate } from '../../src/store/filetime.js';
import { HostStore, type HostStoreOptions } from '../../src/store/host-store.js';
import {
  E_INVALIDARG,
  VSS_E_INSUFFICIENT_STORAGE,
  VSS_E_MAXIMUM_DIFFAREA_ASSOCIATIONS_REACHED,
  VSS_E_OBJECT_ALREADY_EXISTS,
  VSS_E_OBJECT_NOT_FOUND,
  VSS_E_PROVIDER_NOT_REGISTERED,
  VSS_E_VOLUME_IN_USE,
  VSS_E_VOLUME_NOT_SUPPORTED,
} from '../../src/status/index.js';
import type { HostModel } from '../../src/store/model.js';
import {
  GUID_NULL,
  VSS_CTX_ALL,
  VSS_CTX_APP_ROLLBACK,
  VSS_CTX_BACKUP,
  VSS_CTX_CLIENT_ACCESSIBLE,
  VSS_SS_CREATED,
  VSS_SYSTEM_PROVIDER_ID as SYS,
  VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE,
  VSS_VOLSNAP_ATTR_NO_AUTORECOVERY,
  VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE,
  VSS_VOLSNAP_ATTR_NO_WRITERS,
  VSS_VOLSNAP_ATTR_PERSISTENT,
  VSS_VOLSNAP_ATTR_DIFFERENTIAL,
} from '../../src/store/vss.js';

const MiB = 1024n * 1024n;
const GiB = 1024n * MiB;
const MIN = 320n * MiB;
const UNKNOWN_PROVIDER = '11111111-2222-3333-4444-555555555555';
const NOW = filetimeFromDate(new Date('2025-11-19T09:15:00Z'));

function store(options: HostStoreOptions = {}, model: HostModel = defaultHostModel()): HostStore {
  return new HostStore(model, { newGuid: countingGuids(), now: () => NOW, ...options });
}


/** Expects the refusal, and that it changed nothing. */
function expectRefused(s: HostStore, call: () => unknown, hresult: number): void {
  const before = s.model();
  expect(hresultOf(call)?.toString(16)).toBe(hresult.toString(16));
  expect(s.model()).toEqual(before);
}

const ids = (list: { id: string }[]) => list.map((x) => x.id);
const mountNames = (list: { mountName: string }[]) => list.map((v) => v.mountName);
const freeOf = (s: HostStore, name: string) => s.resolveVolume(name)!.freeBytes;
const diffAreaOf = (s: HostStore, name: string) => s.diffAreasForVolume(name)[0];

describe('resolveVolume: the names MS-SCMP accepts', () => {
  const s = store();
  test.each([
    ['a drive letter with its backslash', 'D:\\', V.data],
    ['a drive letter without its backslash', 'D:', V.data],
    ['a drive letter in lower case', 'd:\\', V.data],
    ['a bare drive letter in lower case', 'd:', V.data],
    ['a mount point with its trailing backslash', 'C:\\mnt\\archive\\', V.archive],
    ['a mount point without its trailing backslash', 'C:\\mnt\\archive', V.archive],
    ['a mount point in mixed case', 'c:\\MNT\\Archive\\', V.archive],
    ['a volume mount name', V.refs, V.refs],
    ['a volume mount name in upper case', V.refs.toUpperCase(), V.refs],
    ['a volume mount name in lower case', V.refs.toLowerCase(), V.refs],
    ['a volume mount name without its trailing backslash', V.refs.slice(0, -1), V.refs],
  ])('%s', (_, name, mountName) => {
    expect(s.resolveVolume(name)?.mountName).toBe(mountName);
  });

  test('C:\\ is the system volume, not the volume mounted under it', () => {
    expect(s.resolveVolume('C:\\')?.mountName).toBe(V.system);
  });

  test.each([
    ['a drive letter no volume has', 'Z:\\'],
    ['a folder that is not a mount point', 'D:\\shares\\'],
    ['the folder above a mount point', 'C:\\mnt\\'],
    ['a letter without its colon', 'D'],
    ['an empty name', ''],
    ['a lone backslash', '\\'],
    ['two trailing backslashes', 'D:\\\\'],
    ['forward slashes', 'D:/'],
    ['a mount name no volume has', '\\\\?\\Volume{00000000-1111-2222-3333-444444444444}\\'],
  ])('%s names no volume', (_, name) => {
    expect(s.resolveVolume(name)).toBeUndefined();
  });
});

describe('QueryVolumesSupportedForSnapshots (3.1.1.4.2)', () => {
  test('E_INVALIDARG: ProviderId is GUID_NULL', () => {
    expect(hresultOf(() => store().volumesSupportedForSnapshots(GUID_NULL, VSS_CTX_CLIENT_ACCESSIBLE))).toBe(E_INVALIDARG);
  });

  test.each([
    ['NO_AUTORECOVERY, a bit outside the context mask', VSS_VOLSNAP_ATTR_NO_AUTORECOVERY],
    ['a bit VSS does not define', 0x20],
    ['a negative value other than VSS_CTX_ALL', -2],
    ['0x80000000', 0x80000000 | 0],
  ])('E_INVALIDARG: lContext with %s', (_, context) => {
    expect(hresultOf(() => store().volumesSupportedForSnapshots(SYS, context))).toBe(E_INVALIDARG);
  });

  test('VSS_E_PROVIDER_NOT_REGISTERED: no provider with that id', () => {
    expect(hresultOf(() => store().volumesSupportedForSnapshots(UNKNOWN_PROVIDER, VSS_CTX_CLIENT_ACCESSIBLE))).toBe(VSS_E_PROVIDER_NOT_REGISTERED);
  });

  test('parameters are validated before the provider is looked up', () => {
    expect(hresultOf(() => store().volumesSupportedForSnapshots(UNKNOWN_PROVIDER, 0x20))).toBe(E_INVALIDARG);
  });

  // GUIDs have no case on the wire; text in any case becomes the one Guid at its boundary.
  test('the provider id, written in any case, once read at a boundary', () => {
    expect(store().volumesSupportedForSnapshots(parseGuid(SYS.toUpperCase()), VSS_CTX_CLIENT_ACCESSIBLE)).toHaveLength(4);
  });

  test('client-accessible: every volume but the FAT32 one, in the host order', () => {
    const list = store().volumesSupportedForSnapshots(SYS, VSS_CTX_CLIENT_ACCESSIBLE);
    expect(mountNames(list)).toEqual([V.system, V.data, V.refs, V.archive]);
    expect(list.map((v) => v.displayName)).toEqual(['C:\\', 'D:\\', 'E:\\', 'C:\\mnt\\archive\\']);
  });

  test('VSS_CTX_ALL: the volumes that take a shadow copy in any context', () => {
    expect(mountNames(store().volumesSupportedForSnapshots(SYS, VSS_CTX_ALL))).toEqual([V.system, V.data, V.refs, V.archive]);
  });

  test('VSS_CTX_BACKUP (0) is a context like any other', () => {
    expect(store().volumesSupportedForSnapshots(SYS, VSS_CTX_BACKUP)).toHaveLength(4);
  });

  // 3.1.1.4.2: lContext is "the bitwise OR combination" of PERSISTENT, CLIENT_ACCESSIBLE,
  // NO_AUTO_RELEASE and NO_WRITERS, and the answer is "a VSS_VOLUME_PROP structure for each
  // volume on the server that is capable of supporting shadow copies", whichever it is.
  test('every combination of the four attributes, a VSS_CTX_* value or not, lists every volume capable of shadow copies', () => {
    const s = store();
    const bits = [VSS_VOLSNAP_ATTR_PERSISTENT, VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE, VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE, VSS_VOLSNAP_ATTR_NO_WRITERS];
    for (let subset = 0; subset < 16; subset++) {
      const context = bits.reduce((c, bit, i) => (subset & (1 << i) ? c | bit : c), 0);
      expect(mountNames(s.volumesSupportedForSnapshots(SYS, context)), `lContext 0x${context.toString(16)}`).toEqual([V.system, V.data, V.refs, V.archive]);
    }
  });

  test('CLIENT_ACCESSIBLE alone (0x4, no VSS_CTX_* value) is not an empty list', () => {
    expect(mountNames(store().volumesSupportedForSnapshots(SYS, VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE))).toEqual([V.system, V.data, V.refs, V.archive]);
  });

  test('a volume is listed whatever lContext names, even a context it takes no shadow copy in', () => {
    const m = defaultHostModel();
    const s = store({}, { ...m, volumes: m.volumes.map((v) => (v.mountName === V.refs ? { ...v, snapshotContexts: [VSS_CTX_BACKUP] } : v)) });
    expect(mountNames(s.volumesSupportedForSnapshots(SYS, VSS_CTX_CLIENT_ACCESSIBLE))).toContain(V.refs);
    expect(mountNames(s.volumesSupportedForSnapshots(SYS, VSS_VOLSNAP_ATTR_NO_WRITERS | VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE))).toContain(V.refs);
  });
});

describe('QuerySnapshotsByVolume (3.1.1.4.3)', () => {
  test('E_INVALIDARG: pwszVolumeName is NULL', () => {
    expect(hresultOf(() => store().snapshotsByVolume(null, SYS))).toBe(E_INVALIDARG);
  });

  test('E_INVALIDARG: ProviderId is GUID_NULL', () => {
    expect(hresultOf(() => store().snapshotsByVolume('D:\\', GUID_NULL))).toBe(E_INVALIDARG);
  });

  test('VSS_E_PROVIDER_NOT_REGISTERED: no provider with that id (checked before the volume)', () => {
    expect(hresultOf(() => store().snapshotsByVolume('D:\\', UNKNOWN_PROVIDER))).toBe(VSS_E_PROVIDER_NOT_REGISTERED);
    expect(hresultOf(() => store().snapshotsByVolume('Z:\\', UNKNOWN_PROVIDER))).toBe(VSS_E_PROVIDER_NOT_REGISTERED);
  });

  // 3.1.1.4.3: no error row for it; "If the server has no shadow copies on the specified
  // volume, it MUST return an empty IVssEnumObject object."
  test('a name that is no volume of the host gives an empty list, not an error', () => {
    expect(store().snapshotsByVolume('Z:\\', SYS)).toEqual([]);
    expect(store().snapshotsByVolume('', SYS)).toEqual([]);
  });

  test("a volume's shadow copies, oldest first", () => {
    expect(ids(store().snapshotsByVolume('D:\\', SYS))).toEqual([S.dataMondayMorning, S.dataMondayNoon, S.dataBackup, S.dataTuesdayMorning, S.dataTuesdayNoon]);
  });

  test('every name form of a volume gives the same list', () => {
    const s = store();
    const expected = s.snapshotsByVolume('D:\\', SYS);
    for (const name of ['D:', 'd:\\', V.data, V.data.toUpperCase()]) expect(s.snapshotsByVolume(name, SYS)).toEqual(expected);
  });

  test('a query after each change sees it (older copies first), and no longer an undone one; what it hands out is a copy', () => {
    const s = store();
    const before = ids(s.snapshotsByVolume('D:\\', SYS));
    const older = s.addSnapshot({ volume: 'D:', context: VSS_CTX_CLIENT_ACCESSIBLE, sizeBytes: 1n, creationTime: 1n });
    const newer = s.addSnapshot({ volume: 'D:', context: VSS_CTX_CLIENT_ACCESSIBLE, sizeBytes: 1n });
    expect(ids(s.snapshotsByVolume('D:\\', SYS))).toEqual([older.id, ...before, newer.id]);
    s.deleteSnapshot(older.id);
    expect(ids(s.snapshotsByVolume('D:\\', SYS))).toEqual([...before, newer.id]);
    s.onCommit = () => {
      throw new Error('disk full');
    };
    expect(() => s.deleteSnapshot(newer.id)).toThrow('disk full');
    expect(ids(s.snapshotsByVolume('D:\\', SYS))).toEqual([...before, newer.id]);
    s.onCommit = undefined;
    const [first] = s.snapshotsByVolume('D:\\', SYS);
    (first as { id: string }).id = UNKNOWN_PROVIDER;
    expect(ids(s.snapshotsByVolume('D:\\', SYS))).toEqual([...before, newer.id]);
    expect(s.snapshotsByVolume('C:\\', SYS)).toHaveLength(1);
  });

  test('a volume without shadow copies gives an empty list, even one that takes none', () => {
    const s = store();
    expect(s.snapshotsByVolume('E:\\', SYS)).toEqual([]);
    expect(s.snapshotsByVolume('F:\\', SYS)).toEqual([]);
    expect(s.snapshotsByVolume('C:\\mnt\\archive', SYS)).toEqual([]);
  });

  test('a shadow copy carries the host, its set, its device and VSS_SS_CREATED', () => {
    const [c] = store().snapshotsByVolume('C:', SYS);
    expect(c).toEqual({
      id: S.systemBackup,
      setId: SET.backup,
      countInSet: 2,
      originalVolume: V.system,
      deviceObject: '\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy3',
      originatingMachine: 'filesrv01.lab.local',
      serviceMachine: 'filesrv01.lab.local',
      creationTime: filetimeFromDate(new Date('2025-11-17T23:30:11.250Z')),
      attributes: VSS_CTX_APP_ROLLBACK | VSS_VOLSNAP_ATTR_DIFFERENTIAL,
      providerId: SYS,
      state: VSS_SS_CREATED,
      sizeBytes: 612n * MiB,
    });
  });
});

describe('GetProviderMgmtInterface (3.1.1.4.1): requireProvider', () => {
  test('VSS_E_PROVIDER_NOT_REGISTERED for a provider the host does not have, GUID_NULL included (the table has no E_INVALIDARG row for it)', () => {
    expect(hresultOf(() => store().requireProvider(UNKNOWN_PROVIDER))).toBe(VSS_E_PROVIDER_NOT_REGISTERED);
    expect(hresultOf(() => store().requireProvider(GUID_NULL))).toBe(VSS_E_PROVIDER_NOT_REGISTERED);
  });

  test('the system provider, by its id written in any case once read at a boundary', () => {
    expect(store().requireProvider(parseGuid(`{${SYS.toUpperCase()}}`)).id).toBe(SYS);
  });

  test('a host model cannot declare a provider with GUID_NULL as its id', () => {
    const m = defaultHostModel();
    expect(() => store({}, { ...m, providers: [...m.providers, { ...m.providers[0]!, id: GUID_NULL }] })).toThrow(TypeError);
  });

  test('a host model holds GUIDs only in their canonical lower-case form (the store compares them with ===)', () => {
    const m = defaultHostModel();
    expect(() => store({}, { ...m, providers: [{ ...m.providers[0]!, id: SYS.toUpperCase() }] })).toThrow(/provider .*: GUIDs in canonical lower-case form/);
    expect(() => store({}, { ...m, snapshots: m.snapshots.map((s, i) => (i === 0 ? { ...s, setId: `{${s.setId}}` } : s)) })).toThrow(/GUIDs in canonical lower-case form/);
    expect(() => store({}, { ...m, writers: m.writers.map((w, i) => (i === 0 ? { ...w, instanceId: w.instanceId.toUpperCase() } : w)) })).toThrow(/writer .*: GUIDs in canonical lower-case form/);
  });
});

describe('QueryVolumesSupportedForDiffAreas (3.1.4.4.4)', () => {
  test('E_INVALIDARG: pwszOriginalVolumeName is NULL', () => {
    expect(hresultOf(() => store().volumesSupportedForDiffAreas(null))).toBe(E_INVALIDARG);
  });

  // 3.1.4.4.4's table refuses only NULL; "If the server contains no volumes that can provide
  // shadow copy storage for the specified volume, the server MUST return an empty" collection.
  test('a name that is no volume of the host gives an empty list, not an error', () => {
    expect(store().volumesSupportedForDiffAreas('Z:\\')).toEqual([]);
    expect(store().volumesSupportedForDiffAreas('')).toEqual([]);
  });

  test('every NTFS volume can hold storage for a volume, the volume itself included', () => {
    expect(mountNames(store().volumesSupportedForDiffAreas('D:\\'))).toEqual([V.system, V.data, V.archive]);
  });

  test('a ReFS volume can have its storage on an NTFS volume, not on itself', () => {
    expect(mountNames(store().volumesSupportedForDiffAreas('E:\\'))).toEqual([V.system, V.data, V.archive]);
  });

  test('a volume that takes no shadow copy gets an empty list', () => {
    expect(store().volumesSupportedForDiffAreas('F:\\')).toEqual([]);
  });
});

describe('QueryDiffAreasForVolume (3.1.4.4.5) and QueryDiffAreasOnVolume (3.1.4.4.6)', () => {
  test.each([['ForVolume', (s: HostStore, n: string | null) => s.diffAreasForVolume(n)] as const, ['OnVolume', (s: HostStore, n: string | null) => s.diffAreasOnVolume(n)] as const])(
    // The tables refuse only NULL; "If there are no shadow copy storage associations that
    // match the criteria, the server MUST return an empty IVssEnumMgmtObject object."
    '%s: E_INVALIDARG for NULL, an empty list for a name that is no volume',
    (_, query) => {
      expect(hresultOf(() => query(store(), null))).toBe(E_INVALIDARG);
      expect(query(store(), 'Q:\\')).toEqual([]);
      expect(query(store(), '')).toEqual([]);
    },
  );

  test("ForVolume: the association whose original volume is the one named (m_pwszVolumeName matches)", () => {
    const s = store();
    expect(s.diffAreasForVolume('d:')).toEqual([{ volume: V.data, diffAreaVolume: V.archive, maximumBytes: 200n * GiB, usedBytes: 5013n * MiB, allocatedBytes: 5024n * MiB }]);
    expect(s.diffAreasForVolume('C:\\mnt\\archive\\')).toEqual([]);
    expect(s.diffAreasForVolume('E:\\')).toEqual([]);
  });

  test('OnVolume: the associations whose storage is on the volume named (m_pwszDiffAreaVolumeName matches)', () => {
    const s = store();
    expect(s.diffAreasOnVolume('C:\\mnt\\archive').map((d) => d.volume)).toEqual([V.data]);
    expect(s.diffAreasOnVolume('C:').map((d) => d.volume)).toEqual([V.system]);
    expect(s.diffAreasOnVolume('D:\\')).toEqual([]);
    expect(s.diffAreasOnVolume('F:\\')).toEqual([]);
  });
});

describe('AddDiffArea (3.1.4.4.2), validated in the order of the spec', () => {
  test('E_INVALIDARG: pwszVolumeName is NULL', () => {
    const s = store();
    expectRefused(s, () => s.addDiffArea(null, 'D:\\', MIN), E_INVALIDARG);
  });

  test('VSS_E_VOLUME_NOT_SUPPORTED: the volume does not support shadow copies', () => {
    const s = store();
    expectRefused(s, () => s.addDiffArea('F:\\', 'D:\\', MIN), VSS_E_VOLUME_NOT_SUPPORTED);
  });

  test('the volume is checked before the storage volume is looked at (NULL, or unsupported)', () => {
    const s = store();
    expectRefused(s, () => s.addDiffArea('F:\\', null, MIN), VSS_E_VOLUME_NOT_SUPPORTED);
    expectRefused(s, () => s.addDiffArea('F:\\', 'E:\\', 0n), VSS_E_VOLUME_NOT_SUPPORTED);
  });

  test('E_INVALIDARG: pwszDiffAreaVolumeName is NULL', () => {
    const s = store();
    expectRefused(s, () => s.addDiffArea('E:\\', null, MIN), E_INVALIDARG);
  });

  // 3.1.4.4.2 validates that the volume "supports shadow copies" and the storage volume
  // "supports shadow copy storage"; a name that is no volume supports neither, and the
  // table's row for both is VSS_E_VOLUME_NOT_SUPPORTED.
  test.each([
    ['a drive letter no volume has', 'Z:\\'],
    ['the empty string', ''],
    ['a mount name no volume has', '\\\\?\\Volume{00000000-1111-2222-3333-444444444444}\\'],
  ])('VSS_E_VOLUME_NOT_SUPPORTED: either name is %s', (_, name) => {
    const s = store();
    expectRefused(s, () => s.addDiffArea(name, 'D:\\', MIN), VSS_E_VOLUME_NOT_SUPPORTED);
    expectRefused(s, () => s.addDiffArea('E:\\', name, MIN), VSS_E_VOLUME_NOT_SUPPORTED);
  });

  test('a volume that does not exist is refused before the storage volume is looked at (NULL)', () => {
    const s = store();
    expectRefused(s, () => s.addDiffArea('Z:\\', null, MIN), VSS_E_VOLUME_NOT_SUPPORTED);
  });

  test.each([
    ['a ReFS volume', 'E:\\'],
    ['a FAT32 volume', 'F:\\'],
  ])('VSS_E_VOLUME_NOT_SUPPORTED: the storage volume cannot hold shadow copy storage: %s', (_, storage) => {
    const s = store();
    expectRefused(s, () => s.addDiffArea('C:\\mnt\\archive\\', storage, MIN), VSS_E_VOLUME_NOT_SUPPORTED);
  });

  test('VSS_E_VOLUME_NOT_SUPPORTED: the storage volume has less free space than the minimum', () => {
    const m = defaultHostModel();
    const s = store({}, { ...m, volumes: m.volumes.map((v) => (v.mountName === V.archive ? { ...v, freeBytes: MIN - 1n } : v)) });
    expectRefused(s, () => s.addDiffArea('E:\\', 'C:\\mnt\\archive\\', MIN), VSS_E_VOLUME_NOT_SUPPORTED);
  });

  test('the storage volume is checked before the maximum', () => {
    const s = store();
    expectRefused(s, () => s.addDiffArea('C:\\mnt\\archive\\', 'E:\\', 0n), VSS_E_VOLUME_NOT_SUPPORTED);
  });

  test.each([
    ['0', 0n],
    ['a negative value other than -1', -2n],
    ['one byte under 320 MiB', MIN - 1n],
  ])('E_INVALIDARG: llMaximumDiffSpace is %s', (_, maximum) => {
    const s = store();
    expectRefused(s, () => s.addDiffArea('E:\\', 'D:\\', maximum), E_INVALIDARG);
  });

  test('the maximum is checked before the associations (a zero maximum for an existing one)', () => {
    const s = store();
    expectRefused(s, () => s.addDiffArea('D:\\', 'C:\\mnt\\archive\\', 0n), E_INVALIDARG);
  });

  test('VSS_E_OBJECT_ALREADY_EXISTS: the association exists, whatever names it is given by', () => {
    const s = store();
    expectRefused(s, () => s.addDiffArea('D:\\', 'C:\\mnt\\archive\\', MIN), VSS_E_OBJECT_ALREADY_EXISTS);
    expectRefused(s, () => s.addDiffArea(V.data, 'c:\\mnt\\ARCHIVE', -1n), VSS_E_OBJECT_ALREADY_EXISTS);
  });

  test('VSS_E_MAXIMUM_DIFFAREA_ASSOCIATIONS_REACHED: the volume has its storage on another volume', () => {
    const s = store();
    expectRefused(s, () => s.addDiffArea('D:\\', 'C:\\', MIN), VSS_E_MAXIMUM_DIFFAREA_ASSOCIATIONS_REACHED);
  });

  test('exactly the minimum is accepted, and -1 means no limit', () => {
    const s = store();
    expect(s.addDiffArea('E:\\', 'D:\\', MIN)).toEqual({ volume: V.refs, diffAreaVolume: V.data, maximumBytes: MIN, usedBytes: 0n, allocatedBytes: 0n });
    expect(s.addDiffArea('C:\\mnt\\archive\\', 'C:\\mnt\\archive\\', -1n).maximumBytes).toBe(-1n);
  });

  test('a new association is listed for its volume and on its storage volume', () => {
    const s = store();
    s.addDiffArea('e:', 'd:', 10n * GiB);
    expect(s.diffAreasForVolume('E:\\').map((d) => d.diffAreaVolume)).toEqual([V.data]);
    expect(s.diffAreasOnVolume('D:\\').map((d) => d.volume)).toEqual([V.refs]);
  });
});

describe('ChangeDiffAreaMaximumSize (3.1.4.4.3)', () => {
  test('E_INVALIDARG: pwszVolumeName or pwszDiffAreaVolumeName is NULL', () => {
    const s = store();
    expectRefused(s, () => s.changeDiffAreaMaximumSize(null, 'C:\\mnt\\archive\\', 10n * GiB), E_INVALIDARG);
    expectRefused(s, () => s.changeDiffAreaMaximumSize('D:\\', null, 10n * GiB), E_INVALIDARG);
  });

  // The table's E_INVALIDARG row is only for NULL names; a nonzero maximum smaller than one
  // shadow copy needs is its VSS_E_INSUFFICIENT_STORAGE row, and -1 is "no limit".
  test('VSS_E_INSUFFICIENT_STORAGE: a negative maximum other than -1', () => {
    const s = store();
    expectRefused(s, () => s.changeDiffAreaMaximumSize('D:\\', 'C:\\mnt\\archive\\', -2n), VSS_E_INSUFFICIENT_STORAGE);
    expectRefused(s, () => s.changeDiffAreaMaximumSize('D:\\', 'C:\\mnt\\archive\\', -(2n ** 63n)), VSS_E_INSUFFICIENT_STORAGE);
  });

  test('the association is looked up before the maximum: VSS_E_OBJECT_NOT_FOUND for one that does not exist, whatever the maximum', () => {
    const s = store();
    expectRefused(s, () => s.changeDiffAreaMaximumSize('E:\\', 'D:\\', -2n), VSS_E_OBJECT_NOT_FOUND);
    expectRefused(s, () => s.changeDiffAreaMaximumSize('Z:\\', 'D:\\', 1n), VSS_E_OBJECT_NOT_FOUND);
    expectRefused(s, () => s.changeDiffAreaMaximumSize('', '', 0n), VSS_E_OBJECT_NOT_FOUND);
  });

  test('VSS_E_OBJECT_NOT_FOUND: no association between the two volumes (none is created)', () => {
    const s = store();
    expectRefused(s, () => s.changeDiffAreaMaximumSize('D:\\', 'C:\\', 10n * GiB), VSS_E_OBJECT_NOT_FOUND);
    expectRefused(s, () => s.changeDiffAreaMaximumSize('E:\\', 'D:\\', 10n * GiB), VSS_E_OBJECT_NOT_FOUND);
    expectRefused(s, () => s.changeDiffAreaMaximumSize('Z:\\', 'D:\\', 10n * GiB), VSS_E_OBJECT_NOT_FOUND);
  });

  test('VSS_E_VOLUME_IN_USE: 0 while shadow copies are stored in it', () => {
    const s = store();
    expectRefused(s, () => s.changeDiffAreaMaximumSize('D:\\', 'C:\\mnt\\archive\\', 0n), VSS_E_VOLUME_IN_USE);
  });

  test('0 deletes an association no shadow copy uses', () => {
    const s = store();
    s.deleteSnapshot(S.systemBackup);
    expect(s.changeDiffAreaMaximumSize('C:', 'C:', 0n)).toEqual([]);
    expect(s.diffAreasForVolume('C:\\')).toEqual([]);
    s.addDiffArea('E:\\', 'D:\\', MIN);
    s.changeDiffAreaMaximumSize('E:\\', 'D:\\', 0n);
    expect(s.diffAreasOnVolume('D:\\')).toEqual([]);
  });

  test('VSS_E_INSUFFICIENT_STORAGE: a nonzero maximum below the minimum diff-area size', () => {
    const s = store();
    s.addDiffArea('E:\\', 'D:\\', MIN);
    expectRefused(s, () => s.changeDiffAreaMaximumSize('E:\\', 'D:\\', MIN - 1n), VSS_E_INSUFFICIENT_STORAGE);
    expectRefused(s, () => s.changeDiffAreaMaximumSize('E:\\', 'D:\\', 1n), VSS_E_INSUFFICIENT_STORAGE);
  });

  test('VSS_E_INSUFFICIENT_STORAGE: a maximum too small for even the newest shadow copy', () => {
    const s = store();
    // D:\'s newest copy takes 388 MiB: 350 MiB is above the minimum but cannot hold it.
    expectRefused(s, () => s.changeDiffAreaMaximumSize('D:\\', 'C:\\mnt\\archive\\', 350n * MiB), VSS_E_INSUFFICIENT_STORAGE);
  });

  test("shrinking below what is used deletes the volume's oldest shadow copies until the rest fit", () => {
    const s = store();
    // D:\ uses 1240 + 415 + 2210 + 760 + 388 MiB, oldest first.
    const deleted = s.changeDiffAreaMaximumSize('D:\\', 'C:\\mnt\\archive\\', 1200n * MiB);
    expect(ids(deleted)).toEqual([S.dataMondayMorning, S.dataMondayNoon, S.dataBackup]);
    expect(ids(s.snapshotsByVolume('D:\\', SYS))).toEqual([S.dataTuesdayMorning, S.dataTuesdayNoon]);
    expect(diffAreaOf(s, 'D:\\')).toMatchObject({ maximumBytes: 1200n * MiB, usedBytes: 1148n * MiB, allocatedBytes: 1152n * MiB });
    // The other shadow copy of the backup set, on C:\, stays.
    expect(s.snapshot(S.systemBackup)).toBeDefined();
  });

  test('shrinking to exactly the newest copy keeps only it', () => {
    const s = store();
    s.changeDiffAreaMaximumSize('D:\\', 'C:\\mnt\\archive\\', 400n * MiB);
    expect(ids(s.snapshotsByVolume('D:\\', SYS))).toEqual([S.dataTuesdayNoon]);
    expect(diffAreaOf(s, 'D:\\')).toMatchObject({ usedBytes: 388n * MiB, allocatedBytes: 400n * MiB });
  });

  test('a maximum above what is used deletes nothing', () => {
    const s = store();
    expect(s.changeDiffAreaMaximumSize('D:\\', 'C:\\mnt\\archive\\', 6n * GiB)).toEqual([]);
    expect(s.snapshotsByVolume('D:\\', SYS)).toHaveLength(5);
    expect(diffAreaOf(s, 'D:\\').maximumBytes).toBe(6n * GiB);
  });

  test('-1 lifts the limit', () => {
    const s = store();
    s.changeDiffAreaMaximumSize('D:', 'C:\\mnt\\archive', -1n);
    expect(diffAreaOf(s, 'D:\\').maximumBytes).toBe(-1n);
    s.addSnapshot({ volume: 'D:\\', context: VSS_CTX_CLIENT_ACCESSIBLE, sizeBytes: 300n * GiB });
    expect(s.snapshotsByVolume('D:\\', SYS)).toHaveLength(6);
  });
});

describe('diff-area space: used ≤ allocated ≤ maximum (2.2.3.9)', () => {
  test("used space is the sum of the shadow copies' sizes; allocated is rounded up to a 16 MiB step", () => {
    const d = diffAreaOf(store(), 'D:\\');
    expect(d.usedBytes).toBe((1240n + 415n + 2210n + 760n + 388n) * MiB);
    expect(d.allocatedBytes).toBe(5024n * MiB);
  });

  test("the first shadow copy allocates the minimum diff-area size, taken from the storage volume's free space", () => {
    const s = store();
    s.addDiffArea('E:\\', 'D:\\', 10n * GiB);
    const free = freeOf(s, 'D:\\');
    s.addSnapshot({ volume: 'E:\\', context: VSS_CTX_CLIENT_ACCESSIBLE, sizeBytes: 10n * MiB });
    expect(diffAreaOf(s, 'E:\\')).toMatchObject({ usedBytes: 10n * MiB, allocatedBytes: MIN });
    expect(freeOf(s, 'D:\\')).toBe(free - MIN);
  });

  test('allocation never goes past the maximum', () => {
    const s = store();
    s.addDiffArea('E:\\', 'D:\\', 330n * MiB);
    s.addSnapshot({ volume: 'E:\\', context: VSS_CTX_CLIENT_ACCESSIBLE, sizeBytes: 325n * MiB });
    expect(diffAreaOf(s, 'E:\\')).toMatchObject({ usedBytes: 325n * MiB, allocatedBytes: 330n * MiB, maximumBytes: 330n * MiB });
  });

  test('deleting shadow copies gives their space back; deleting the last frees the allocation', () => {
    const s = store();
    const free = freeOf(s, 'C:\\');
    s.deleteSnapshot(S.systemBackup);
    expect(diffAreaOf(s, 'C:\\')).toMatchObject({ usedBytes: 0n, allocatedBytes: 0n, maximumBytes: -1n });
    expect(freeOf(s, 'C:\\')).toBe(free + 624n * MiB);
  });

  test('property: any sequence of operations keeps used = Σ sizes, used ≤ allocated ≤ maximum, and conserves space', () => {
    const volumes = ['C:\\', 'D:\\', 'E:\\', 'C:\\mnt\\archive\\'];
    // Sizes and maxima of the same order, so that allocation often meets the maximum.
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), volume: fc.constantFrom(...volumes), mib: fc.bigInt({ min: 0n, max: 700n }) }),
      fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('resize' as const), volume: fc.constantFrom(...volumes), mib: fc.oneof(fc.constant(-1n), fc.constant(0n), fc.bigInt({ min: 1n, max: 1500n })) }),
      fc.record({ kind: fc.constant('associate' as const), volume: fc.constantFrom(...volumes), storage: fc.constantFrom(...volumes), mib: fc.bigInt({ min: 320n, max: 1500n }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const s = store({ settings: { maxSnapshotsPerVolume: 8 } });
        // Free space plus space allocated on a volume is constant.
        const budget = (name: string) => freeOf(s, name) + s.diffAreasOnVolume(name).reduce((sum, d) => sum + d.allocatedBytes, 0n);
        const before = volumes.map(budget);
        for (const o of ops) {
          hresultOf(() => {
            if (o.kind === 'add') s.addSnapshot({ volume: o.volume, context: VSS_CTX_CLIENT_ACCESSIBLE, sizeBytes: o.mib * MiB });
            else if (o.kind === 'delete') {
              const all = s.snapshots();
              if (all.length > 0) s.deleteSnapshot(all[o.pick % all.length]!.id);
            } else if (o.kind === 'resize') {
              const d = s.diffAreasForVolume(o.volume)[0];
              if (d) s.changeDiffAreaMaximumSize(o.volume, d.diffAreaVolume, o.mib === -1n ? -1n : o.mib * MiB);
            } else s.addDiffArea(o.volume, o.storage, o.mib * MiB);
          });
          for (const d of s.diffAreas()) {
            const stored = s.snapshots().filter((x) => x.originalVolume === d.volume);
            expect(d.usedBytes).toBe(stored.reduce((sum, x) => sum + x.sizeBytes, 0n));
            expect(d.usedBytes <= d.allocatedBytes).toBe(true);
            if (d.maximumBytes !== -1n) expect(d.allocatedBytes <= d.maximumBytes).toBe(true);
            expect(stored.length).toBeLessThanOrEqual(8);
          }
          for (const snap of s.snapshots()) expect(s.diffAreasForVolume(snap.originalVolume)).toHaveLength(1);
          for (const v of s.volumes()) expect(v.freeBytes >= 0n).toBe(true);
          expect(volumes.map(budget)).toEqual(before);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('adding and deleting shadow copies', () => {
  const add = (s: HostStore, volume: string, sizeBytes: bigint, extra = {}) => s.addSnapshot({ volume, context: VSS_CTX_CLIENT_ACCESSIBLE, sizeBytes, ...extra });

  test('a new shadow copy gets the next device number, the host as its machines, VSS_SS_CREATED and its context as attributes', () => {
    const s = store();
    expect(add(s, 'd:', 100n * MiB)).toEqual({
      id: '00000000-0000-4000-8000-000000000001',
      setId: '00000000-0000-4000-8000-000000000002',
      countInSet: 1,
      originalVolume: V.data,
      deviceObject: '\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy7',
      originatingMachine: 'filesrv01.lab.local',
      serviceMachine: 'filesrv01.lab.local',
      creationTime: NOW,
      attributes: VSS_CTX_CLIENT_ACCESSIBLE | VSS_VOLSNAP_ATTR_DIFFERENTIAL,
      providerId: SYS,
      state: VSS_SS_CREATED,
      sizeBytes: 100n * MiB,
    });
    expect(s.snapshotsByVolume('D:\\', SYS).at(-1)?.deviceObject).toMatch(/ShadowCopy7$/);
  });

  test('VSS_E_OBJECT_NOT_FOUND: a name that is no volume of the host', () => {
    const s = store();
    expectRefused(s, () => add(s, 'Z:\\', 1n), VSS_E_OBJECT_NOT_FOUND);
  });

  test('E_INVALIDARG or VSS_E_PROVIDER_NOT_REGISTERED: the provider is GUID_NULL or unknown', () => {
    const s = store();
    expectRefused(s, () => add(s, 'D:\\', 1n, { providerId: GUID_NULL }), E_INVALIDARG);
    expectRefused(s, () => add(s, 'D:\\', 1n, { providerId: UNKNOWN_PROVIDER }), VSS_E_PROVIDER_NOT_REGISTERED);
  });

  test('E_INVALIDARG: VSS_CTX_ALL or a bit outside the mask is no context to take a shadow copy in', () => {
    const s = store();
    expectRefused(s, () => s.addSnapshot({ volume: 'D:\\', context: VSS_CTX_ALL, sizeBytes: 1n }), E_INVALIDARG);
    expectRefused(s, () => s.addSnapshot({ volume: 'D:\\', context: 0x40, sizeBytes: 1n }), E_INVALIDARG);
  });

  test('VSS_E_VOLUME_NOT_SUPPORTED: the volume takes no shadow copy in that context', () => {
    const s = store();
    expectRefused(s, () => add(s, 'F:\\', 1n), VSS_E_VOLUME_NOT_SUPPORTED);
    expectRefused(s, () => s.addSnapshot({ volume: 'D:\\', context: VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE, sizeBytes: 1n }), VSS_E_VOLUME_NOT_SUPPORTED);
  });

  test('E_INVALIDARG: a negative size or a count in set below 1', () => {
    const s = store();
    expectRefused(s, () => add(s, 'D:\\', -1n), E_INVALIDARG);
    expectRefused(s, () => add(s, 'D:\\', 1n, { countInSet: 0 }), E_INVALIDARG);
  });

  test('VSS_E_OBJECT_ALREADY_EXISTS: the id is taken', () => {
    const s = store();
    expectRefused(s, () => add(s, 'D:\\', 1n, { id: parseGuid(S.dataTuesdayNoon.toUpperCase()) }), VSS_E_OBJECT_ALREADY_EXISTS);
  });

  test('VSS_E_INSUFFICIENT_STORAGE: larger than its storage may ever hold', () => {
    const s = store();
    expectRefused(s, () => add(s, 'D:\\', 200n * GiB + 1n), VSS_E_INSUFFICIENT_STORAGE);
  });

  test('a volume without storage gets an association on itself with no limit', () => {
    const s = store();
    add(s, 'C:\\mnt\\archive\\', 50n * MiB);
    expect(s.diffAreasForVolume('C:\\mnt\\archive\\')).toEqual([{ volume: V.archive, diffAreaVolume: V.archive, maximumBytes: -1n, usedBytes: 50n * MiB, allocatedBytes: MIN }]);
  });

  test('VSS_E_INSUFFICIENT_STORAGE: a ReFS volume without storage cannot hold its own', () => {
    const s = store();
    expectRefused(s, () => add(s, 'E:\\', 1n), VSS_E_INSUFFICIENT_STORAGE);
  });

  test('VSS_E_INSUFFICIENT_STORAGE: the storage volume has no room for the allocation', () => {
    const m = defaultHostModel();
    const s = store({}, { ...m, volumes: m.volumes.map((v) => (v.mountName === V.archive ? { ...v, freeBytes: 10n * MiB } : v)) });
    // D:\ has 5024 MiB allocated for 5013 MiB used: 11 MiB more fits in it, 20 MiB needs another 16 MiB step.
    expectRefused(s, () => add(s, 'D:\\', 20n * MiB), VSS_E_INSUFFICIENT_STORAGE);
    expect(add(s, 'D:\\', 11n * MiB).sizeBytes).toBe(11n * MiB);
  });

  test("making room deletes the volume's oldest shadow copies", () => {
    const s = store();
    s.changeDiffAreaMaximumSize('D:\\', 'C:\\mnt\\archive\\', 6n * GiB);
    // 6144 MiB at most, 5013 used: 1500 more needs 369 MiB back, so the oldest (1240 MiB) goes.
    const added = add(s, 'D:\\', 1500n * MiB);
    expect(ids(s.snapshotsByVolume('D:\\', SYS))).toEqual([S.dataMondayNoon, S.dataBackup, S.dataTuesdayMorning, S.dataTuesdayNoon, added.id]);
  });

  test('maxSnapshotsPerVolume: one more deletes the oldest', () => {
    const s = store({ settings: { maxSnapshotsPerVolume: 5 } });
    const added = add(s, 'D:\\', 1n);
    expect(ids(s.snapshotsByVolume('D:\\', SYS))).toEqual([S.dataMondayNoon, S.dataBackup, S.dataTuesdayMorning, S.dataTuesdayNoon, added.id]);
  });

  test('deleteSnapshot: VSS_E_OBJECT_NOT_FOUND for an unknown id; otherwise it is gone and its association stays', () => {
    const s = store();
    expectRefused(s, () => s.deleteSnapshot(UNKNOWN_PROVIDER), VSS_E_OBJECT_NOT_FOUND);
    expect(s.deleteSnapshot(parseGuid(S.dataBackup.toUpperCase())).id).toBe(S.dataBackup);
    expect(s.snapshot(S.dataBackup)).toBeUndefined();
    expect(s.snapshotsByVolume('D:\\', SYS)).toHaveLength(4);
    expect(s.diffAreasForVolume('D:\\')).toHaveLength(1);
  });
});

describe('what the store hands out', () => {
  test('every list is a copy: changing it, or an object in it, changes nothing in the store', () => {
    const s = store();
    const before = s.model();
    const vols = s.volumes() as unknown as { freeBytes: bigint; mountPoints: string[] }[];
    vols[0]!.freeBytes = 0n;
    vols[0]!.mountPoints.push('X:\\');
    vols.pop();
    (s.snapshotsByVolume('D:\\', SYS) as unknown as { sizeBytes: bigint }[])[0]!.sizeBytes = 0n;
    (s.diffAreas() as unknown as { maximumBytes: bigint }[])[0]!.maximumBytes = 0n;
    (s.resolveVolume('C:') as unknown as { snapshotContexts: number[] }).snapshotContexts.length = 0;
    (s.providers() as unknown as { name: string }[])[0]!.name = 'x';
    (s.host() as unknown as { fqdn: string }).fqdn = 'x';
    expect(s.model()).toEqual(before);
    expect(s.resolveVolume('X:\\')).toBeUndefined();
  });

  test("the store never changes the model it was given", () => {
    const m = defaultHostModel();
    const s = store({}, m);
    s.deleteSnapshot(S.systemBackup);
    s.changeDiffAreaMaximumSize('D:\\', 'C:\\mnt\\archive\\', 400n * MiB);
    expect(m).toEqual(defaultHostModel());
  });

  test('model() starts an identical store', () => {
    const s = store();
    s.addDiffArea('E:\\', 'D:\\', MIN);
    s.addSnapshot({ volume: 'E:\\', context: VSS_CTX_CLIENT_ACCESSIBLE, sizeBytes: 5n * MiB });
    const copy = new HostStore(s.model());
    expect(copy.model()).toEqual(s.model());
    expect(copy.addSnapshot({ volume: 'E:\\', context: VSS_CTX_CLIENT_ACCESSIBLE, sizeBytes: 1n }).deviceObject).toMatch(/ShadowCopy8$/);
  });

  test('provider() finds the system provider by its id (written in any case, once read at a boundary)', () => {
    const s = store();
    expect(s.provider(parseGuid(SYS.toUpperCase()))?.name).toBe('Microsoft Software Shadow Copy provider 1.0');
    expect(s.provider(UNKNOWN_PROVIDER)).toBeUndefined();
    expect(s.providers()).toHaveLength(1);
  });
});

describe('a model the rules could not have produced is refused with TypeError', () => {
  const m = defaultHostModel();
  test.each<[string, HostModel]>([
    ['two volumes answer to one name', { ...m, volumes: m.volumes.map((v) => (v.mountName === V.refs ? { ...v, mountPoints: ['D:\\'], displayName: 'D:\\' } : v)) }],
    ['a display name that is not the first mount point', { ...m, volumes: m.volumes.map((v) => (v.mountName === V.refs ? { ...v, displayName: V.refs } : v)) }],
    ['a mount point without its trailing backslash', { ...m, volumes: m.volumes.map((v) => (v.mountName === V.refs ? { ...v, mountPoints: ['E:'], displayName: 'E:' } : v)) }],
    ['shadow copy storage on ReFS', { ...m, diffAreas: [...m.diffAreas, { volume: V.archive, diffAreaVolume: V.refs, maximumBytes: -1n, usedBytes: 0n, allocatedBytes: 0n }] }],
    ['a shadow copy whose volume has no storage', { ...m, diffAreas: m.diffAreas.filter((d) => d.volume !== V.system) }],
    ['used space that is not the sum of the shadow copies', { ...m, diffAreas: m.diffAreas.map((d) => ({ ...d, usedBytes: d.usedBytes + 1n })) }],
    ['allocated space above the maximum', { ...m, diffAreas: m.diffAreas.map((d) => (d.volume === V.data ? { ...d, allocatedBytes: 201n * GiB } : d)) }],
    ['two associations for one volume', { ...m, diffAreas: [...m.diffAreas, { volume: V.data, diffAreaVolume: V.data, maximumBytes: -1n, usedBytes: 5013n * MiB, allocatedBytes: 5024n * MiB }] }],
    ['a shadow copy of a FAT32 volume', { ...m, snapshots: m.snapshots.map((x) => (x.id === S.systemBackup ? { ...x, originalVolume: V.fat } : x)) }],
    ['two shadow copies with one device', { ...m, snapshots: m.snapshots.map((x) => (x.id === S.systemBackup ? { ...x, deviceObject: m.snapshots[0]!.deviceObject } : x)) }],
  ])('%s', (_, bad) => {
    expect(() => new HostStore(bad)).toThrow(TypeError);
  });
});
