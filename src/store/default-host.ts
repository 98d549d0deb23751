/**
 * The host scmpd emulates when given no other: a Windows file server, FILESRV01, as an
 * administrator would find it on a Wednesday morning. Every GUID is fixed so that tests and
 * the README can name them; the README's "embedded default host" section describes it.
 *
 * - C:\ system (NTFS), D:\ data (NTFS), E:\ (ReFS), an NTFS archive volume mounted at
 *   C:\mnt\archive\ with no drive letter, and a FAT32 F:\ that takes no shadow copy.
 * - D:\ has Shadow Copies of Shared Folders at the default schedule (07:00 and 12:00) on
 *   Monday and Tuesday, and its copy in Monday night's backup set, which also holds C:\'s
 *   only shadow copy.
 * - D:\'s shadow copy storage is on the archive volume, 200 GiB at most. C:\'s is on C:\
 *   without a limit: VSS made it with the backup's shadow copy. E:\ has none: shadow copy
 *   storage needs NTFS, so it cannot be on E:\ itself.
 */
import { allocatedFor } from './diff-area-space.js';
import { filetimeFromDate } from './filetime.js';
import type { Writer, WriterComponent, WriterFileSet } from './writers.js';
import { displayNameOf, type DiffArea, type HostModel, type Provider, type Snapshot, type Volume } from './model.js';
import { DEFAULT_STORE_SETTINGS } from './settings.js';
import { SYSTEM_PROVIDER_CONTEXTS, VSS_CTX_APP_ROLLBACK, VSS_CTX_CLIENT_ACCESSIBLE, VSS_PROV_SYSTEM, VSS_SS_CREATED, VSS_SYSTEM_PROVIDER_ID, VSS_VOLSNAP_ATTR_DIFFERENTIAL } from './vss.js';

const MiB = 1024n * 1024n;
const GiB = 1024n * MiB;
const TiB = 1024n * GiB;

export const DEFAULT_HOST = { fqdn: 'filesrv01.lab.local', netbiosName: 'FILESRV01' } as const;

/** Volume mount names. */
export const DEFAULT_VOLUMES = {
  system: '\\\\?\\Volume{533e497f-db82-42bd-9618-ce9bf0d2f3a3}\\',
  data: '\\\\?\\Volume{620cbbfe-af50-4c96-ba03-a9068d1e118b}\\',
  refs: '\\\\?\\Volume{111f7d3f-813b-4f4a-9765-6492e873f6c0}\\',
  archive: '\\\\?\\Volume{1b6a94c1-7405-4c1b-a379-f89d026372e4}\\',
  fat: '\\\\?\\Volume{ebd47520-7932-4245-ac5c-77b73e12ba74}\\',
} as const;

/** Shadow copy ids, oldest first. */
export const DEFAULT_SNAPSHOTS = {
  dataMondayMorning: 'c8986115-cdd8-4fb3-b9d9-ebe8ad139df1',
  dataMondayNoon: '96b84e41-b4b4-4cd9-9752-a1e85fe3725e',
  systemBackup: '01757cda-03d3-452a-afb7-cc7258403648',
  dataBackup: '18e584e3-b8ed-448f-b5af-206460c57dc3',
  dataTuesdayMorning: '32b510fe-1b08-49a2-acf1-c4586bcb81bd',
  dataTuesdayNoon: '8fb08b4f-67ba-460d-8f54-0747b6e256bb',
} as const;

/** Shadow copy set ids; the backup set holds two shadow copies. */
export const DEFAULT_SNAPSHOT_SETS = {
  mondayMorning: '3ba5de11-2fde-409f-8b73-d7a1ecb15dbc',
  mondayNoon: '8a58497d-ba7c-43b1-bbc0-114bc107fb6f',
  backup: '9e5ec4ac-8e2d-4a10-93a3-88fc99734917',
  tuesdayMorning: '88cbeb44-8654-45be-938d-945ddb5ba6cd',
  tuesdayNoon: 'b6f27fdd-97df-4a02-b4f2-ab1412950701',
} as const;

/** As `vssadmin list providers` and `diskshadow list providers` print it. */
export const SYSTEM_PROVIDER: Provider = {
  id: VSS_SYSTEM_PROVIDER_ID,
  name: 'Microsoft Software Shadow Copy provider 1.0',
  version: '1.0.0.7',
  versionId: '00000001-0000-0000-0000-000000000000',
  type: VSS_PROV_SYSTEM,
  clsid: '65ee1dba-8ff4-4a58-ac1c-3470ee2f376a',
};

function volume(mountName: string, mountPoints: string[], fileSystem: Volume['fileSystem'], totalBytes: bigint, freeBytes: bigint): Volume {
  const ntfs = fileSystem === 'NTFS';
  return {
    mountName,
    mountPoints,
    displayName: displayNameOf(mountName, mountPoints),
    fileSystem,
    totalBytes,
    freeBytes,
    // FAT32 takes no shadow copy; NTFS and ReFS take them in every context.
    snapshotContexts: fileSystem === 'FAT32' ? [] : [...SYSTEM_PROVIDER_CONTEXTS],
    // The system provider keeps shadow copy storage on NTFS only (AddDiffArea's
    // VSS_E_VOLUME_NOT_SUPPORTED: "not an NTFS volume").
    canHoldDiffArea: ntfs,
  };
}

function snapshot(id: string, setId: string, countInSet: number, originalVolume: string, n: number, utc: string, context: number, sizeBytes: bigint): Snapshot {
  return {
    id,
    setId,
    countInSet,
    originalVolume,
    deviceObject: `\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy${n}`,
    originatingMachine: DEFAULT_HOST.fqdn,
    serviceMachine: DEFAULT_HOST.fqdn,
    creationTime: filetimeFromDate(new Date(utc)),
    attributes: context | VSS_VOLSNAP_ATTR_DIFFERENTIAL,
    providerId: VSS_SYSTEM_PROVIDER_ID,
    state: VSS_SS_CREATED,
    sizeBytes,
  };
}

/** An association whose used and allocated space follow from the shadow copies it stores. */
function diffArea(volume: string, diffAreaVolume: string, maximumBytes: bigint, snapshots: readonly Snapshot[]): DiffArea {
  const stored = snapshots.filter((s) => s.originalVolume === volume);
  const usedBytes = stored.reduce((sum, s) => sum + s.sizeBytes, 0n);
  return { volume, diffAreaVolume, maximumBytes, usedBytes, allocatedBytes: allocatedFor(usedBytes, stored.length, maximumBytes, DEFAULT_STORE_SETTINGS) };
}

/** A fresh copy of the default host each call: a store may change it freely. */
export function defaultHostModel(): HostModel {
  const V = DEFAULT_VOLUMES;
  const S = DEFAULT_SNAPSHOTS;
  const SET = DEFAULT_SNAPSHOT_SETS;
  const CA = VSS_CTX_CLIENT_ACCESSIBLE;
  const snapshots = [
    snapshot(S.dataMondayMorning, SET.mondayMorning, 1, V.data, 1, '2025-11-17T07:00:03.412Z', CA, 1240n * MiB),
    snapshot(S.dataMondayNoon, SET.mondayNoon, 1, V.data, 2, '2025-11-17T12:00:02.871Z', CA, 415n * MiB),
    snapshot(S.systemBackup, SET.backup, 2, V.system, 3, '2025-11-17T23:30:11.250Z', VSS_CTX_APP_ROLLBACK, 612n * MiB),
    snapshot(S.dataBackup, SET.backup, 2, V.data, 4, '2025-11-17T23:30:11.250Z', VSS_CTX_APP_ROLLBACK, 2210n * MiB),
    snapshot(S.dataTuesdayMorning, SET.tuesdayMorning, 1, V.data, 5, '2025-11-18T07:00:02.956Z', CA, 760n * MiB),
    snapshot(S.dataTuesdayNoon, SET.tuesdayNoon, 1, V.data, 6, '2025-11-18T12:00:03.104Z', CA, 388n * MiB),
  ];
  return {
    host: { ...DEFAULT_HOST },
    volumes: [
      volume(V.system, ['C:\\'], 'NTFS', 127n * GiB, 71n * GiB),
      volume(V.data, ['D:\\'], 'NTFS', 2n * TiB, 1126n * GiB),
      volume(V.refs, ['E:\\'], 'ReFS', 1n * TiB, 612n * GiB),
      volume(V.archive, ['C:\\mnt\\archive\\'], 'NTFS', 500n * GiB, 391n * GiB),
      volume(V.fat, ['F:\\'], 'FAT32', 32n * GiB, 29n * GiB),
    ],
    providers: [{ ...SYSTEM_PROVIDER }],
    snapshots,
    diffAreas: [diffArea(V.data, V.archive, 200n * GiB, snapshots), diffArea(V.system, V.system, -1n, snapshots)],
    writers: defaultWriters(),
  };
}

/** Writer class ids (as `vssadmin list writers` prints them) and this host's instance ids. */
export const DEFAULT_WRITERS = {
  system: { id: 'e8132975-6f93-4464-a53e-1050253ae220', instanceId: '3f6d1a2b-6c1e-4a57-9d42-1c0e8d3b7a11' },
  registry: { id: 'afbab4a2-367d-4d15-a586-71dbb18f8485', instanceId: '5d0b7e39-2a64-47f1-8c35-96f04e2b1d22' },
  sql: { id: 'a65faa63-5ea8-4ebc-9dbd-a0c4db26912a', instanceId: 'b2c4e6f8-0a1c-4e3f-a5b7-c9d1e3f5a733' },
  exchange: { id: '76fe1ac4-15f7-4bcd-987e-8e1acb462fb7', instanceId: 'd4e6f8a0-2c4e-4f61-8a3c-5e7f9b1d3f44' },
} as const;

const files = (path: string, filespec: string, recursive = false) => ({ path, filespec, recursive });

/**
 * The writers of a Windows file server with SQL Server and Exchange 2007 in the lab: the
 * system and registry writers' mandatory components; SQL Server's databases, each
 * selectable, with backup stamps set in PostSnapshot as the SQL writer does for
 * differential backups; and Exchange's storage groups, selectable for backup, whose
 * databases are selectable only for restore: the textbook component sets.
 */
export function defaultWriters(): Writer[] {
  const W = DEFAULT_WRITERS;
  const fg = (logicalPath: string, name: string, caption: string, selectable: boolean, selectableForRestore: boolean, fileSets: WriterFileSet[]): WriterComponent => ({
    logicalPath,
    name,
    type: 'filegroup',
    caption,
    selectable,
    selectableForRestore,
    files: fileSets,
  });
  const db = (logicalPath: string, name: string, selectable: boolean, selectableForRestore: boolean, fileSets: WriterFileSet[]): WriterComponent => ({
    ...fg(logicalPath, name, name, selectable, selectableForRestore, fileSets),
    type: 'database',
  });
  const sg = 'Microsoft Exchange Server\\Microsoft Information Store\\FILESRV01';
  return [
    { ...W.system, name: 'System Writer', components: [fg('', 'System Files', 'System Files', false, false, [files('C:\\Windows\\System32', '*.*', true)])], script: [] },
    { ...W.registry, name: 'Registry Writer', components: [fg('', 'Registry', 'Registry', false, false, [files('C:\\Windows\\System32\\config', '*')])], script: [] },
    {
      ...W.sql,
      name: 'SqlServerWriter',
      components: [
        db('FILESRV01', 'master', true, true, [files('C:\\Program Files\\Microsoft SQL Server\\MSSQL\\DATA', 'master.mdf'), files('C:\\Program Files\\Microsoft SQL Server\\MSSQL\\DATA', 'mastlog.ldf')]),
        db('FILESRV01', 'Sales', true, true, [files('D:\\SQL\\Data', 'Sales.mdf'), files('D:\\SQL\\Logs', 'Sales_log.ldf')]),
      ],
      script: [{ on: 'PostSnapshot', setBackupStamp: 'LSN:00000041:00000150:0001' }],
    },
    {
      ...W.exchange,
      name: 'Microsoft Exchange Writer',
      components: [
        fg(sg, 'First Storage Group', 'First Storage Group', true, false, [files('D:\\Exchange\\First Storage Group', 'E00*.log')]),
        db(`${sg}\\First Storage Group`, 'Mailbox Database', false, true, [files('D:\\Exchange\\First Storage Group', 'Mailbox Database.edb')]),
        db(`${sg}\\First Storage Group`, 'Public Folder Database', false, true, [files('D:\\Exchange\\First Storage Group', 'Public Folder Database.edb')]),
      ],
      script: [],
    },
  ];
}
