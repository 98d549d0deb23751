/**
 * vssadmin's layouts for the default host, compared with fixed expected files
 * (test/cli/expected/list-*.txt, times in UTC), and the pieces they are made of: volume
 * labels, en-US local times, shadow copy types and attributes, empty listings, --json.
 */
process.env.TZ = 'UTC';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { DEFAULT_SNAPSHOTS, DEFAULT_VOLUMES, defaultHostModel } from '../../src/store/default-host.js';
import { dateFromFiletime } from '../../src/store/filetime.js';
import {
  attributeNames,
  formatProviders,
  formatShadows,
  formatShadowStorage,
  formatTime,
  formatVolumes,
  formatWriters,
  NO_ITEMS,
  shadowsJson,
  shadowStorageJson,
  shadowType,
  toJson,
  volumeLabel,
  type ShadowRecord,
  type VolumeRecord,
} from '../../src/cli/vssadmin-format.js';

const expected = (name: string) => readFileSync(new URL(`./expected/${name}.txt`, import.meta.url), 'utf8');

const model = defaultHostModel();
const volumes: VolumeRecord[] = model.volumes.map((v) => ({ mountName: v.mountName, mountPoints: v.mountPoints, totalBytes: v.totalBytes }));
const shadows: ShadowRecord[] = model.snapshots.map((s) => ({ ...s, creationTime: dateFromFiletime(s.creationTime) }));

describe('the default host in vssadmin’s layout', () => {
  test('list volumes: the volumes that take shadow copies (not FAT32 F:)', () => {
    const eligible = volumes.filter((_v, i) => model.volumes[i]!.snapshotContexts.length > 0);
    expect(formatVolumes(eligible)).toBe(expected('list-volumes'));
  });
  test('list providers', () => expect(formatProviders(model.providers)).toBe(expected('list-providers')));
  test('list writers', () => expect(formatWriters(model.writers)).toBe(expected('list-writers')));
  test('list shadows: grouped by set, the backup set’s two copies under one heading', () => {
    expect(formatShadows(shadows, volumes, model.providers)).toBe(expected('list-shadows'));
  });
  test('list shadowstorage: sizes with their share of the storage volume', () => {
    expect(formatShadowStorage(model.diffAreas, volumes)).toBe(expected('list-shadowstorage'));
  });
});

describe('the pieces', () => {
  test('a volume is named by its first mount point without the backslash, then its mount name', () => {
    expect(volumeLabel(DEFAULT_VOLUMES.data, volumes)).toBe(`(D:)${DEFAULT_VOLUMES.data}`);
    expect(volumeLabel(DEFAULT_VOLUMES.archive.toUpperCase(), volumes)).toBe(`(C:\\mnt\\archive)${DEFAULT_VOLUMES.archive.toUpperCase()}`);
    expect(volumeLabel('\\\\?\\Volume{00000000-0000-0000-0000-000000000000}\\', volumes)).toBe('\\\\?\\Volume{00000000-0000-0000-0000-000000000000}\\');
  });

  test('times: en-US, 12-hour clock, in the local time zone', () => {
    expect(formatTime(new Date('2025-11-17T00:05:09Z'))).toBe('11/17/2025 12:05:09 AM');
    expect(formatTime(new Date('2025-01-02T12:00:00Z'))).toBe('1/2/2025 12:00:00 PM');
    expect(formatTime(new Date('2025-12-31T23:59:59Z'))).toBe('12/31/2025 11:59:59 PM');
  });

  test('types and attributes from the attribute bits', () => {
    expect(shadowType(0x1d)).toBe('ClientAccessible');
    expect(shadowType(0x0d)).toBe('ClientAccessibleWriters');
    expect(shadowType(0x19)).toBe('DataVolumeRollback');
    expect(shadowType(0x09)).toBe('ApplicationRollback');
    expect(shadowType(0x10)).toBe('FileShareBackup');
    expect(shadowType(0x20000)).toBe('Backup');
    expect(attributeNames(0x1d | 0x20000)).toEqual(['Persistent', 'Client-accessible', 'No auto release', 'No writers', 'Differential']);
    expect(attributeNames(0)).toEqual([]);
  });

  test('an empty listing says so, as vssadmin does', () => {
    expect(NO_ITEMS).toBe('No items found that satisfy the query.\n');
    for (const text of [formatVolumes([]), formatProviders([]), formatWriters([]), formatShadows([], volumes, []), formatShadowStorage([], volumes)]) expect(text).toBe(NO_ITEMS);
  });

  test('--json: byte counts are exact JSON numbers, UNBOUNDED is null, GUIDs bare', () => {
    const json = toJson(shadowStorageJson(model.diffAreas, volumes));
    expect(json).toMatch(/"usedBytes": \d+,/);
    const parsed = JSON.parse(json);
    expect(parsed[0]).toMatchObject({ forVolume: DEFAULT_VOLUMES.data, forVolumePath: 'D:\\', storageVolumePath: 'C:\\mnt\\archive\\', maximumBytes: 200 * 1024 ** 3 });
    expect(parsed[1].maximumBytes).toBeNull();
    expect(toJson({ big: (1n << 63n) - 1n })).toBe('{\n  "big": 9223372036854775807\n}\n');
    const copies = shadowsJson(shadows, volumes, model.providers);
    expect(copies[0]).toMatchObject({ id: DEFAULT_SNAPSHOTS.dataMondayMorning, creationTime: '2025-11-17T07:00:03.412Z', originalVolumePath: 'D:\\', type: 'ClientAccessible', provider: 'Microsoft Software Shadow Copy provider 1.0' });
  });
});
