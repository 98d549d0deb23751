/**
 * The embedded default host, as README.md's "The embedded default host" section describes
 * it: every figure stated there is checked here.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_HOST_NAMES } from '../../src/security/identity.js';
import { DEFAULT_SNAPSHOTS as S, DEFAULT_SNAPSHOT_SETS as SET, DEFAULT_VOLUMES as V, defaultHostModel } from '../../src/store/default-host.js';
import { dateFromFiletime } from '../../src/store/filetime.js';
import { HostStore } from '../../src/store/host-store.js';
import {
  VSS_CTX_APP_ROLLBACK,
  VSS_CTX_CLIENT_ACCESSIBLE,
  VSS_VOLSNAP_ATTR_DIFFERENTIAL,
  VSS_PROV_SYSTEM,
  VSS_SS_CREATED,
  VSS_SYSTEM_PROVIDER_ID,
} from '../../src/store/vss.js';

const MiB = 1024n * 1024n;
const GiB = 1024n * MiB;
const TiB = 1024n * GiB;

describe('the embedded default host', () => {
  const m = defaultHostModel();
  const s = new HostStore(m);

  test('is FILESRV01, filesrv01.lab.local: the names NTLM already answers to', () => {
    expect(m.host).toEqual({ fqdn: DEFAULT_HOST_NAMES.dnsName, netbiosName: DEFAULT_HOST_NAMES.netbiosName });
    expect(m.host).toEqual({ fqdn: 'filesrv01.lab.local', netbiosName: 'FILESRV01' });
  });

  test('has five volumes: C:\\, D:\\, E:\\, one mounted at C:\\mnt\\archive\\ and F:\\', () => {
    expect(m.volumes.map((v) => [v.mountName, v.displayName, v.fileSystem, v.totalBytes, v.freeBytes, v.canHoldDiffArea, v.snapshotContexts.length])).toEqual([
      [V.system, 'C:\\', 'NTFS', 127n * GiB, 71n * GiB, true, 6],
      [V.data, 'D:\\', 'NTFS', 2n * TiB, 1126n * GiB, true, 6],
      [V.refs, 'E:\\', 'ReFS', 1n * TiB, 612n * GiB, false, 6],
      [V.archive, 'C:\\mnt\\archive\\', 'NTFS', 500n * GiB, 391n * GiB, true, 6],
      [V.fat, 'F:\\', 'FAT32', 32n * GiB, 29n * GiB, false, 0],
    ]);
  });

  test('the archive volume has no drive letter; its display name is its mount point', () => {
    expect(s.resolveVolume(V.archive)?.mountPoints).toEqual(['C:\\mnt\\archive\\']);
  });

  test('FAT32 F:\\ supports nothing: no shadow copy, no storage', () => {
    expect(s.volumesSupportedForSnapshots(VSS_SYSTEM_PROVIDER_ID, -1).map((v) => v.mountName)).not.toContain(V.fat);
    expect(s.volumesSupportedForDiffAreas('D:\\').map((v) => v.mountName)).not.toContain(V.fat);
  });

  test('has the system provider, as diskshadow lists it', () => {
    expect(m.providers).toEqual([
      {
        id: VSS_SYSTEM_PROVIDER_ID,
        name: 'Microsoft Software Shadow Copy provider 1.0',
        version: '1.0.0.7',
        versionId: '00000001-0000-0000-0000-000000000000',
        type: VSS_PROV_SYSTEM,
        clsid: '65ee1dba-8ff4-4a58-ac1c-3470ee2f376a',
      },
    ]);
  });

  test('has six shadow copies: five of D:\\ and one of C:\\, numbered in creation order', () => {
    // The system provider's copies are differential (copy-on-write) in every context.
    const DIFF = VSS_VOLSNAP_ATTR_DIFFERENTIAL;
    const rows = s.snapshots().map((x) => [x.id, x.setId, x.countInSet, x.originalVolume, x.deviceObject.replace(/.*ShadowCopy/, ''), dateFromFiletime(x.creationTime).toISOString(), x.attributes, x.sizeBytes / MiB]);
    expect(rows).toEqual([
      [S.dataMondayMorning, SET.mondayMorning, 1, V.data, '1', '2025-11-17T07:00:03.412Z', VSS_CTX_CLIENT_ACCESSIBLE | DIFF, 1240n],
      [S.dataMondayNoon, SET.mondayNoon, 1, V.data, '2', '2025-11-17T12:00:02.871Z', VSS_CTX_CLIENT_ACCESSIBLE | DIFF, 415n],
      [S.systemBackup, SET.backup, 2, V.system, '3', '2025-11-17T23:30:11.250Z', VSS_CTX_APP_ROLLBACK | DIFF, 612n],
      [S.dataBackup, SET.backup, 2, V.data, '4', '2025-11-17T23:30:11.250Z', VSS_CTX_APP_ROLLBACK | DIFF, 2210n],
      [S.dataTuesdayMorning, SET.tuesdayMorning, 1, V.data, '5', '2025-11-18T07:00:02.956Z', VSS_CTX_CLIENT_ACCESSIBLE | DIFF, 760n],
      [S.dataTuesdayNoon, SET.tuesdayNoon, 1, V.data, '6', '2025-11-18T12:00:03.104Z', VSS_CTX_CLIENT_ACCESSIBLE | DIFF, 388n],
    ]);
    for (const x of m.snapshots) {
      expect(x).toMatchObject({ originatingMachine: 'filesrv01.lab.local', serviceMachine: 'filesrv01.lab.local', providerId: VSS_SYSTEM_PROVIDER_ID, state: VSS_SS_CREATED });
    }
  });

  test("D:\\'s storage is on the archive volume (200 GiB at most), C:\\'s on itself without a limit; no other volume has any", () => {
    expect(s.diffAreas()).toEqual([
      { volume: V.data, diffAreaVolume: V.archive, maximumBytes: 200n * GiB, usedBytes: 5013n * MiB, allocatedBytes: 5024n * MiB },
      { volume: V.system, diffAreaVolume: V.system, maximumBytes: -1n, usedBytes: 612n * MiB, allocatedBytes: 624n * MiB },
    ]);
    for (const name of ['E:\\', 'C:\\mnt\\archive\\', 'F:\\']) expect(s.diffAreasForVolume(name)).toEqual([]);
  });

  test('each call gives a fresh copy', () => {
    const a = defaultHostModel();
    (a.volumes as unknown as unknown[]).length = 0;
    expect(defaultHostModel().volumes).toHaveLength(5);
    expect(defaultHostModel()).not.toBe(defaultHostModel());
  });
});
