/**
 * The requester session's rules (the Backup Components Document life cycle), one test per
 * rule and named after it, over the embedded default host and its writers: the System and
 * Registry writers (one required component each), SqlServerWriter (two selectable
 * databases under FILESRV01, backup stamp set in PostSnapshot) and the Exchange writer (a
 * selectable storage group whose two databases are selectable for restore only).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DEFAULT_VOLUMES as V, DEFAULT_WRITERS as W, defaultHostModel } from '../../src/store/default-host.js';
import { EmulatedHost } from '../../src/store/emulated-host.js';
import { StoreError } from '../../src/store/errors.js';
import { countingGuids, hresultOf } from '../helpers/store.js';
import { filetimeFromDate } from '../../src/store/filetime.js';
import type { HostModel } from '../../src/store/model.js';
import { documentFromXml, documentToXml } from '../../src/store/requester/document-xml.js';
import { parseXml } from '../../src/store/requester/xml.js';
import {
  E_INVALIDARG,
  VSS_E_BAD_STATE,
  VSS_E_INVALID_XML_DOCUMENT,
  VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED,
  VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED,
  VSS_E_NO_SNAPSHOTS_IMPORTED,
  VSS_E_OBJECT_ALREADY_EXISTS,
  VSS_E_OBJECT_NOT_FOUND,
  VSS_E_SNAPSHOT_SET_IN_PROGRESS,
  VSS_E_UNSUPPORTED_CONTEXT,
  VSS_E_VOLUME_NOT_SUPPORTED,
  VSS_E_WRITERERROR_RETRYABLE,
} from '../../src/status/index.js';
import { VSS_WS_STABLE, type ComponentRef, type RequesterSession } from '../../src/store/requester/session.js';
import {
  GUID_NULL,
  VSS_CTX_ALL,
  VSS_CTX_APP_ROLLBACK,
  VSS_CTX_BACKUP,
  VSS_CTX_CLIENT_ACCESSIBLE,
  VSS_CTX_FILE_SHARE_BACKUP,
  VSS_VOLSNAP_ATTR_IMPORTED,
  VSS_VOLSNAP_ATTR_TRANSPORTABLE,
  VSS_VOLSNAP_ATTR_DIFFERENTIAL,
  contextOfAttributes,
} from '../../src/store/vss.js';

const MiB = 1024n * 1024n;
const NOW = filetimeFromDate(new Date('2026-11-21T22:00:00Z'));

function host(model: HostModel = defaultHostModel(), options: ConstructorParameters<typeof EmulatedHost>[1] = {}): EmulatedHost {
  return new EmulatedHost(model, { newGuid: countingGuids(), now: () => NOW, ...options });
}


const sales: ComponentRef = { writerId: W.sql.id, type: 'database', logicalPath: 'FILESRV01', name: 'Sales' };
const master: ComponentRef = { writerId: W.sql.id, type: 'database', logicalPath: 'FILESRV01', name: 'master' };
const SG_PATH = 'Microsoft Exchange Server\\Microsoft Information Store\\FILESRV01';
const storageGroup: ComponentRef = { writerId: W.exchange.id, type: 'filegroup', logicalPath: SG_PATH, name: 'First Storage Group' };
const mailbox: ComponentRef = { writerId: W.exchange.id, type: 'database', logicalPath: `${SG_PATH}\\First Storage Group`, name: 'Mailbox Database' };

/** A backup session up to the point before PrepareForBackup. */
function startBackup(h: EmulatedHost, components: ComponentRef[] = [sales], context = VSS_CTX_BACKUP, volumes = ['D:\\']): RequesterSession {
  const s = h.openSession();
  s.initializeForBackup();
  if (context !== VSS_CTX_BACKUP) s.setContext(context);
  s.setBackupState({ selectComponents: true, bootableSystemState: false, backupType: 'full', partialFileSupport: false });
  s.gatherWriterMetadata();
  for (const c of components) s.addComponent(c);
  s.startSnapshotSet();
  for (const v of volumes) s.addToSnapshotSet(v);
  return s;
}

/** A whole backup up to DoSnapshotSet. */
function snapshotted(h: EmulatedHost, components: ComponentRef[] = [sales], context = VSS_CTX_BACKUP, volumes = ['D:\\']): RequesterSession {
  const s = startBackup(h, components, context, volumes);
  s.prepareForBackup();
  s.doSnapshotSet();
  return s;
}

const docComponents = (s: RequesterSession) => s.document().writers.flatMap((w) => w.components.map((c) => (c.logicalPath ? `${c.logicalPath}\\${c.name}` : c.name)));

describe('requester sessions: the Backup Components Document life cycle', () => {
  test('InitializeForBackup or InitializeForRestore must come first: every other call is VSS_E_BAD_STATE (0x80042301)', () => {
    expect(VSS_E_BAD_STATE).toBe(0x80042301);
    const s = host().openSession();
    const calls: Array<[string, () => unknown]> = [
      ['SetContext', () => s.setContext(VSS_CTX_BACKUP)],
      ['SetBackupState', () => s.setBackupState({ selectComponents: true, bootableSystemState: false, backupType: 'full', partialFileSupport: false })],
      ['GatherWriterMetadata', () => s.gatherWriterMetadata()],
      ['GatherWriterStatus', () => s.writerStatus()],
      ['AddComponent', () => s.addComponent(sales)],
      ['SetBackupSucceeded', () => s.setBackupSucceeded(sales, true)],
      ['SetBackupOptions', () => s.setBackupOptions(sales, 'x')],
      ['SetSelectedForRestore', () => s.setSelectedForRestore(sales, true)],
      ['AddRestoreSubcomponent', () => s.addRestoreSubcomponent(storageGroup, mailbox)],
      ['SetFileRestoreStatus', () => s.setFileRestoreStatus(sales, 'all')],
      ['StartSnapshotSet', () => s.startSnapshotSet()],
      ['AddToSnapshotSet', () => s.addToSnapshotSet('C:\\')],
      ['PrepareForBackup', () => s.prepareForBackup()],
      ['DoSnapshotSet', () => s.doSnapshotSet()],
      ['BackupComplete', () => s.backupComplete()],
      ['AbortBackup', () => s.abortBackup()],
      ['DeleteSnapshots', () => s.deleteSnapshots(GUID_NULL, 'set')],
      ['ImportSnapshots', () => s.importSnapshots()],
      ['PreRestore', () => s.preRestore()],
      ['PostRestore', () => s.postRestore()],
      ['SaveAsXML', () => s.saveAsXml()],
    ];
    for (const [name, call] of calls) expect([name, hresultOf(call)]).toEqual([name, VSS_E_BAD_STATE]);
    expect(s.phase).toBe('created');
    s.initializeForBackup();
    expect(hresultOf(() => s.initializeForBackup())).toBe(VSS_E_BAD_STATE);
    expect(hresultOf(() => s.initializeForRestore(documentToXml(s.document())))).toBe(VSS_E_BAD_STATE);
  });

  test('the document starts empty, or from a saved XML copy', () => {
    const h = host();
    const fresh = h.openSession();
    fresh.initializeForBackup();
    expect(fresh.document().writers).toEqual([]);
    expect(fresh.document().snapshotSet).toBeUndefined();

    const first = snapshotted(h);
    const xml = first.saveAsXml();
    const loaded = h.openSession();
    loaded.initializeForBackup(xml);
    expect(loaded.document()).toEqual(first.document());
    const restore = h.openSession();
    restore.initializeForRestore(xml);
    expect(docComponents(restore)).toEqual(docComponents(first));
    expect(hresultOf(() => h.openSession().initializeForRestore('<BACKUP_COMPONENTS'))).toBe(VSS_E_INVALID_XML_DOCUMENT);
  });

  test('GatherWriterMetadata gives every writer’s Writer Metadata Document: components, logical paths, selectability, file sets', () => {
    const s = host().openSession();
    s.initializeForBackup();
    const metadata = s.gatherWriterMetadata();
    expect(metadata.map((m) => m.name)).toEqual(['System Writer', 'Registry Writer', 'SqlServerWriter', 'Microsoft Exchange Writer']);
    const exchange = metadata[3]!;
    const doc = parseXml(exchange.xml);
    expect(doc.name).toBe('WRITER_METADATA');
    expect(doc.attrs).toEqual({ xmlns: 'x-schema:#VssWriterMetadataInfo', version: '1.2' });
    expect(doc.children[0]).toMatchObject({ name: 'IDENTIFICATION', attrs: { writerId: W.exchange.id, instanceId: W.exchange.instanceId, friendlyName: 'Microsoft Exchange Writer' } });
    const locations = doc.children.find((c) => c.name === 'BACKUP_LOCATIONS')!.children;
    expect(locations.map((c) => [c.name, c.attrs.componentName, c.attrs.selectable, c.attrs.selectableForRestore])).toEqual([
      ['FILE_GROUP', 'First Storage Group', 'yes', 'no'],
      ['DATABASE', 'Mailbox Database', 'no', 'yes'],
      ['DATABASE', 'Public Folder Database', 'no', 'yes'],
    ]);
    expect(locations[1]!.attrs.logicalPath).toBe(`${SG_PATH}\\First Storage Group`);
    expect(locations[1]!.children[0]).toMatchObject({ name: 'DATABASE_FILES', attrs: { path: 'D:\\Exchange\\First Storage Group', filespec: 'Mailbox Database.edb', recursive: 'no' } });
    const system = parseXml(metadata[0]!.xml).children.find((c) => c.name === 'BACKUP_LOCATIONS')!.children[0]!;
    expect(system).toMatchObject({ name: 'FILE_GROUP', attrs: { componentName: 'System Files', selectable: 'no' }, children: [{ name: 'FILE_LIST', attrs: { path: 'C:\\Windows\\System32', filespec: '*.*', recursive: 'yes' } }] });
    expect(system.attrs.logicalPath).toBeUndefined();
    // Gathered once per session.
    expect(hresultOf(() => s.gatherWriterMetadata())).toBe(VSS_E_BAD_STATE);
  });

  test('explicitly included: every selectable component the requester chooses and every required component of a writer taking part go into the document', () => {
    const h = host();
    const s = startBackup(h, [sales, storageGroup]);
    expect(docComponents(s)).toEqual(['FILESRV01\\Sales', `${SG_PATH}\\First Storage Group`]);
    s.prepareForBackup();
    // The System and Registry writers take no part: none of their components was chosen.
    expect(docComponents(s)).toEqual(['FILESRV01\\Sales', `${SG_PATH}\\First Storage Group`]);

    // Choosing a required component makes its writer take part; without component
    // selection every component with no selectable ancestor of every writer goes in.
    const all = h.openSession();
    all.initializeForBackup();
    all.setBackupState({ selectComponents: false, bootableSystemState: true, backupType: 'full', partialFileSupport: false });
    all.gatherWriterMetadata();
    all.startSnapshotSet();
    all.addToSnapshotSet('C:\\');
    all.prepareForBackup();
    expect(docComponents(all).sort()).toEqual(['FILESRV01\\Sales', 'FILESRV01\\master', 'Registry', 'System Files', `${SG_PATH}\\First Storage Group`].sort());
    expect(hresultOf(() => all.addComponent(sales))).toBe(VSS_E_BAD_STATE);
  });

  test('a component under an included selectable ancestor is implicitly included: a member of its component set, not in the document', () => {
    const h = host();
    const s = startBackup(h, [storageGroup]);
    // The databases are members of the storage group's set: adding one is refused, and the
    // document names only the group.
    expect(hresultOf(() => s.addComponent(mailbox))).toBe(VSS_E_OBJECT_ALREADY_EXISTS);
    expect(docComponents(s)).toEqual([`${SG_PATH}\\First Storage Group`]);
    // A nonselectable subcomponent can never be explicitly included.
    const t = startBackup(host(), []);
    expect(hresultOf(() => t.addComponent(mailbox))).toBe(E_INVALIDARG);
    expect(hresultOf(() => t.addComponent({ ...sales, name: 'NoSuchDb' }))).toBe(E_INVALIDARG);
    expect(hresultOf(() => t.addComponent({ ...sales, type: 'filegroup' }))).toBe(E_INVALIDARG);
    expect(hresultOf(() => s.addComponent(storageGroup))).toBe(VSS_E_OBJECT_ALREADY_EXISTS);
  });

  test('restore uses restore selectability: a component implicitly included at backup and added for restore is written into the document then', () => {
    const h = host();
    const b = snapshotted(h, [storageGroup, sales]);
    const xml = b.saveAsXml();
    const r = h.openSession();
    r.initializeForRestore(xml);
    r.gatherWriterMetadata();
    expect(hresultOf(() => r.addComponent(mailbox))).toBe(VSS_E_BAD_STATE);
    r.setSelectedForRestore(storageGroup, true);
    // Mailbox Database is selectable for restore; the storage group itself is not, yet it
    // was explicitly included and so may always be selected.
    r.addRestoreSubcomponent(storageGroup, mailbox);
    expect(hresultOf(() => r.addRestoreSubcomponent(storageGroup, mailbox))).toBe(VSS_E_OBJECT_ALREADY_EXISTS);
    expect(hresultOf(() => r.addRestoreSubcomponent(sales, mailbox))).toBe(VSS_E_OBJECT_NOT_FOUND);
    expect(hresultOf(() => r.setSelectedForRestore(mailbox, true))).toBe(VSS_E_OBJECT_NOT_FOUND);
    const group = r.document().writers.find((w) => w.writerId === W.exchange.id)!.components[0]!;
    expect(group.restoreSubcomponents).toEqual([{ logicalPath: mailbox.logicalPath, name: 'Mailbox Database', repair: false }]);
    // The document written now carries it, and reads back with it.
    const again = documentFromXml(r.saveAsXml());
    expect(again.writers.find((w) => w.writerId === W.exchange.id)!.components[0]!.restoreSubcomponents).toEqual(group.restoreSubcomponents);
    r.preRestore();
    const pre = r.events.find((e) => e.event === 'PreRestore' && e.writerId === W.exchange.id)!;
    expect(pre.subcomponents).toEqual([`${mailbox.logicalPath}\\Mailbox Database`]);
    // A component not selectable for restore cannot be restored apart from its set.
    const model = defaultHostModel();
    const ex = model.writers.find((w) => w.id === W.exchange.id)!;
    (ex.components[2] as { selectableForRestore: boolean }).selectableForRestore = false;
    const h2 = host(model);
    const r2 = h2.openSession();
    r2.initializeForRestore(xml);
    r2.gatherWriterMetadata();
    expect(hresultOf(() => r2.addRestoreSubcomponent(storageGroup, { logicalPath: mailbox.logicalPath, name: 'Public Folder Database' }))).toBe(VSS_E_OBJECT_NOT_FOUND);
  });

  test('writers receive their components at PrepareBackup, PostSnapshot, BackupComplete, PreRestore and PostRestore', () => {
    const h = host();
    const b = snapshotted(h, [sales, storageGroup]);
    b.backupComplete();
    const sqlEvents = b.events.filter((e) => e.writerId === W.sql.id);
    expect(sqlEvents.map((e) => e.event)).toEqual(['Identify', 'PrepareBackup', 'PrepareSnapshot', 'Freeze', 'Thaw', 'PostSnapshot', 'BackupComplete']);
    for (const e of sqlEvents.filter((x) => ['PrepareBackup', 'PostSnapshot', 'BackupComplete'].includes(x.event))) expect(e.components).toEqual(['FILESRV01\\Sales']);
    // Writers with nothing in the document get nothing after Identify.
    expect(b.events.filter((e) => e.writerId === W.system.id).map((e) => e.event)).toEqual(['Identify']);
    const r = h.openSession();
    r.initializeForRestore(b.saveAsXml());
    r.gatherWriterMetadata();
    r.setSelectedForRestore(sales, true);
    r.preRestore();
    r.setFileRestoreStatus(sales, 'all');
    r.postRestore();
    const restoreEvents = r.events.filter((e) => e.event === 'PreRestore' || e.event === 'PostRestore');
    // Only the writer with a component selected for restore takes part.
    expect(restoreEvents.map((e) => [e.event, e.writerId, e.components])).toEqual([
      ['PreRestore', W.sql.id, ['FILESRV01\\Sales']],
      ['PostRestore', W.sql.id, ['FILESRV01\\Sales']],
    ]);
  });

  test('writers may change component information until PostSnapshot and PostRestore have finished', () => {
    const model = defaultHostModel();
    const sql = model.writers.find((w) => w.id === W.sql.id)!;
    (sql as { script: unknown }).script = [
      { on: 'PrepareBackup', setBackupStamp: 'stamp-at-prepare' },
      { on: 'PostSnapshot', setBackupStamp: 'stamp-at-post-snapshot' },
      { on: 'PreRestore', setFailureMessage: 'log files missing' },
      { on: 'PostRestore', setFailureMessage: 'recovery pending' },
    ];
    const h = host(model);
    const b = startBackup(h);
    b.prepareForBackup();
    expect(b.document().writers[0]!.components[0]!.backupStamp).toBe('stamp-at-prepare');
    b.doSnapshotSet();
    expect(b.document().writers[0]!.components[0]!.backupStamp).toBe('stamp-at-post-snapshot');
    const r = h.openSession();
    r.initializeForRestore(b.saveAsXml());
    r.gatherWriterMetadata();
    r.setSelectedForRestore(sales, true);
    r.preRestore();
    r.postRestore();
    const c = r.document().writers[0]!.components[0]!;
    expect([c.preRestoreFailureMsg, c.postRestoreFailureMsg]).toEqual(['log files missing', 'recovery pending']);
    // After PostRestore the document is read-only for the requester too.
    expect(hresultOf(() => r.setFileRestoreStatus(sales, 'all'))).toBe(VSS_E_BAD_STATE);
  });

  test('from BackupComplete on the document is read-only: a writer’s change is refused, and so is the requester’s', () => {
    const model = defaultHostModel();
    const sql = model.writers.find((w) => w.id === W.sql.id)!;
    (sql as { script: unknown }).script = [{ on: 'BackupComplete', setBackupStamp: 'too-late' }];
    const h = host(model);
    const b = snapshotted(h);
    b.setBackupSucceeded(sales, true);
    const before = b.saveAsXml();
    b.backupComplete();
    const done = b.events.find((e) => e.event === 'BackupComplete')!;
    expect(done.refusedChanges).toEqual(['SetBackupStamp(too-late)']);
    expect(b.saveAsXml()).toBe(before);
    for (const call of [() => b.setBackupSucceeded(sales, false), () => b.setBackupOptions(sales, 'x'), () => b.addComponent(master), () => b.backupComplete()]) {
      expect(hresultOf(call)).toBe(VSS_E_BAD_STATE);
    }
    expect(b.saveAsXml()).toBe(before);
  });

  test('a writer’s veto shows in GatherWriterStatus, and the writer takes no further part', () => {
    const model = defaultHostModel();
    const sql = model.writers.find((w) => w.id === W.sql.id)!;
    (sql as { script: unknown }).script = [{ on: 'PrepareBackup', veto: VSS_E_WRITERERROR_RETRYABLE }];
    const h = host(model);
    const b = startBackup(h, [sales, storageGroup]);
    b.prepareForBackup();
    const status = b.writerStatus();
    expect(status.find((x) => x.writerId === W.sql.id)).toMatchObject({ state: 7, failure: VSS_E_WRITERERROR_RETRYABLE });
    expect(status.find((x) => x.writerId === W.exchange.id)).toMatchObject({ state: VSS_WS_STABLE, failure: 0 });
    b.doSnapshotSet();
    expect(b.events.filter((e) => e.writerId === W.sql.id).map((e) => e.event)).toEqual(['Identify', 'PrepareBackup']);
    expect(b.events.filter((e) => e.writerId === W.exchange.id).map((e) => e.event)).toContain('PostSnapshot');
  });
});

describe('requester sessions: snapshot sets', () => {
  test('AddToSnapshotSet takes every volume name form MS-SCMP accepts, each volume once', () => {
    const h = host();
    const s = startBackup(h, [sales], VSS_CTX_BACKUP, []);
    s.addToSnapshotSet('c:');
    s.addToSnapshotSet('\\\\?\\Volume{620cbbfe-af50-4c96-ba03-a9068d1e118b}');
    s.addToSnapshotSet('C:\\mnt\\archive');
    expect(hresultOf(() => s.addToSnapshotSet('D:\\'))).toBe(VSS_E_OBJECT_ALREADY_EXISTS);
    expect(hresultOf(() => s.addToSnapshotSet('Q:\\'))).toBe(VSS_E_OBJECT_NOT_FOUND);
    expect(hresultOf(() => s.addToSnapshotSet('F:\\'))).toBe(VSS_E_VOLUME_NOT_SUPPORTED);
    expect(hresultOf(() => s.addToSnapshotSet('E:\\', '11111111-2222-3333-4444-555555555555'))).toBe(VSS_E_OBJECT_NOT_FOUND);
    s.prepareForBackup();
    const made = s.doSnapshotSet();
    expect(made.map((x) => x.originalVolume)).toEqual([V.system, V.data, V.archive]);
  });

  test('a snapshot set holds at most 64 shadow copies (VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED)', () => {
    const model = defaultHostModel();
    const base = model.volumes[3]!;
    const volumes = Array.from({ length: 70 }, (_, i) => ({
      ...base,
      mountName: `\\\\?\\Volume{aaaaaaaa-0000-4000-8000-${i.toString(16).padStart(12, '0')}}\\`,
      mountPoints: [`C:\\mnt\\v${i}\\`],
      displayName: `C:\\mnt\\v${i}\\`,
    }));
    const h = host({ ...model, volumes: [...model.volumes, ...volumes] });
    const s = startBackup(h, [sales], VSS_CTX_BACKUP, []);
    for (let i = 0; i < 64; i++) s.addToSnapshotSet(`C:\\mnt\\v${i}\\`);
    expect(hresultOf(() => s.addToSnapshotSet('C:\\mnt\\v64\\'))).toBe(VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED);
    s.prepareForBackup();
    const made = s.doSnapshotSet();
    expect(made.length).toBe(64);
    expect(new Set(made.map((x) => x.setId)).size).toBe(1);
    expect(made.every((x) => x.countInSet === 64)).toBe(true);
  });

  test('the per-volume maximum number of shadow copies is a host setting (VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED)', () => {
    // D:\ has five shadow copies in the default host.
    const h = host(defaultHostModel(), { settings: { maxSnapshotsPerVolume: 5 } });
    const s = startBackup(h, [sales], VSS_CTX_BACKUP, []);
    expect(hresultOf(() => s.addToSnapshotSet('D:\\'))).toBe(VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED);
    s.addToSnapshotSet('C:\\');
    const roomy = startBackup(host(defaultHostModel(), { settings: { maxSnapshotsPerVolume: 6 } }), [sales], VSS_CTX_BACKUP, ['D:\\']);
    expect(roomy.snapshotSetId).toBeDefined();
  });

  test('DoSnapshotSet gives shadow copies ids, device objects, the context’s attributes, and consumes diff-area space', () => {
    const h = host();
    const before = h.store.diffAreasForVolume('D:\\')[0]!;
    const s = startBackup(h, [sales], VSS_CTX_APP_ROLLBACK, ['D:\\', 'C:\\mnt\\archive\\']);
    s.prepareForBackup();
    const [d, e] = s.doSnapshotSet();
    expect(d!.id).toBe(s.snapshotIds[0]);
    expect(d!.setId).toBe(s.snapshotSetId);
    expect([d!.deviceObject, e!.deviceObject]).toEqual(['\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy7', '\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy8']);
    // The system provider's copies are differential (copy-on-write), beyond the context's bits.
    expect(d!.attributes).toBe(VSS_CTX_APP_ROLLBACK | VSS_VOLSNAP_ATTR_DIFFERENTIAL);
    expect(d!.creationTime).toBe(NOW);
    const after = h.store.diffAreasForVolume('D:\\')[0]!;
    expect(after.usedBytes - before.usedBytes).toBe(32n * MiB);
    // The archive volume had no storage association: VSS made one on itself, without a limit.
    expect(h.store.diffAreasForVolume('C:\\mnt\\archive\\')).toMatchObject([{ volume: V.archive, diffAreaVolume: V.archive, maximumBytes: -1n, usedBytes: 32n * MiB }]);
    // A volume that can hold no storage and has none takes no shadow copy.
    const t = startBackup(h, [master], VSS_CTX_BACKUP, ['E:\\']);
    t.prepareForBackup();
    expect(hresultOf(() => t.doSnapshotSet())).toBe(0x8004231f);
  });

  test('StartSnapshotSet: one set per session, never in VSS_CTX_ALL; DoSnapshotSet needs PrepareForBackup when writers take part', () => {
    const h = host();
    const s = h.openSession();
    s.initializeForBackup();
    s.setContext(VSS_CTX_ALL);
    expect(hresultOf(() => s.startSnapshotSet())).toBe(VSS_E_UNSUPPORTED_CONTEXT);
    const t = startBackup(h);
    expect(hresultOf(() => t.startSnapshotSet())).toBe(VSS_E_SNAPSHOT_SET_IN_PROGRESS);
    expect(hresultOf(() => t.doSnapshotSet())).toBe(VSS_E_BAD_STATE);
    t.prepareForBackup();
    t.doSnapshotSet();
    expect(hresultOf(() => t.startSnapshotSet())).toBe(VSS_E_BAD_STATE);
    // Without writers (a file share backup) PrepareForBackup is not needed.
    const u = h.openSession();
    u.initializeForBackup();
    u.setContext(VSS_CTX_FILE_SHARE_BACKUP);
    u.startSnapshotSet();
    u.addToSnapshotSet('C:\\');
    expect(u.doSnapshotSet().length).toBe(1);
  });

  test('a DoSnapshotSet the storage cannot hold makes no shadow copy at all', () => {
    const model = defaultHostModel();
    const h = host(model, { requester: { newSnapshotBytes: 150n * 1024n * MiB } });
    // D:\'s storage is limited to 200 GiB on the archive volume and holds about 5 GiB:
    // one 150 GiB copy fits with deletions, but C:\'s storage volume has 71 GiB free.
    const s = startBackup(h, [sales], VSS_CTX_BACKUP, ['D:\\', 'C:\\']);
    s.prepareForBackup();
    const before = h.store.model();
    expect(hresultOf(() => s.doSnapshotSet())).toBe(0x8004231f);
    expect(h.store.model()).toEqual(before);
  });
});

describe('requester sessions: the document and the end of a session', () => {
  test('SaveAsXML writes the Backup Components Document’s XML shape; loading it restores an equal document', () => {
    const h = host();
    const s = snapshotted(h, [sales, storageGroup]);
    s.setBackupSucceeded(sales, true);
    const xml = s.saveAsXml();
    expect(xml).toMatch(/^<\?xml version="1.0"\?>\n<BACKUP_COMPONENTS xmlns="x-schema:#VssComponentMetadata" version="1.2" bootableSystemStateBackup="no" selectComponents="yes" backupType="full" partialFileSupport="no" context="0" snapshotSetId="[0-9a-f-]{36}">/);
    expect(xml).toContain(`<WRITER_COMPONENTS instanceId="${W.sql.instanceId}" writerId="${W.sql.id}">`);
    expect(xml).toContain('<COMPONENT logicalPath="FILESRV01" componentName="Sales" componentType="database" backupSucceeded="yes" backupStamp="LSN:00000041:00000150:0001" selectedForRestore="no" additionalRestores="no"/>');
    expect(xml).toContain('<SNAPSHOT_SET_DESCRIPTION');
    expect(documentFromXml(xml)).toEqual(s.document());
    expect(documentToXml(documentFromXml(xml))).toBe(xml);
  });

  test('releasing the session without saving loses the document', () => {
    const h = host();
    const s = snapshotted(h);
    h.releaseSession(s.id);
    expect(hresultOf(() => h.session(s.id))).toBe(VSS_E_OBJECT_NOT_FOUND);
    expect(hresultOf(() => s.saveAsXml())).toBe(VSS_E_BAD_STATE);
    expect(h.documentNames()).toEqual([]);
  });

  test('releasing the session raises BackupShutdown: its auto-release shadow copies are deleted, those with NO_AUTO_RELEASE remain', () => {
    const h = host();
    const auto = snapshotted(h, [sales], VSS_CTX_BACKUP, ['D:\\']);
    const kept = snapshotted(h, [master], VSS_CTX_APP_ROLLBACK, ['C:\\']);
    const [autoId] = auto.snapshotIds;
    const [keptId] = kept.snapshotIds;
    expect(h.store.snapshot(autoId!)).toBeDefined();
    expect(h.releaseSession(auto.id)).toEqual([autoId]);
    expect(h.releaseSession(kept.id)).toEqual([]);
    expect(h.store.snapshot(autoId!)).toBeUndefined();
    expect(h.store.snapshot(keptId!)).toBeDefined();
    expect(auto.events.at(-1)).toMatchObject({ event: 'BackupShutdown', writerId: W.sql.id, components: [] });
  });

  test('AbortBackup: writers get Abort and no BackupComplete; the auto-release copies go at release', () => {
    const h = host();
    const s = snapshotted(h);
    s.abortBackup();
    expect(s.events.at(-1)).toMatchObject({ event: 'Abort', writerId: W.sql.id });
    expect(hresultOf(() => s.backupComplete())).toBe(VSS_E_BAD_STATE);
    expect(hresultOf(() => s.setBackupSucceeded(sales, true))).toBe(VSS_E_BAD_STATE);
    s.abortBackup();
    const [id] = s.snapshotIds;
    expect(h.store.snapshot(id!)).toBeDefined();
    expect(h.releaseSession(s.id)).toEqual([id]);
    expect(s.events.map((e) => e.event).filter((e) => e === 'BackupComplete')).toEqual([]);
    expect(s.events.at(-1)!.event).toBe('BackupShutdown');
  });

  test('DeleteSnapshots deletes one shadow copy or a set among those the session’s context sees', () => {
    const h = host();
    const s = snapshotted(h, [sales], VSS_CTX_BACKUP, ['C:\\', 'D:\\']);
    const other = h.openSession();
    other.initializeForBackup();
    // The default context (backup) does not see client-accessible copies.
    const ca = h.store.snapshots().find((x) => contextOfAttributes(x.attributes) === VSS_CTX_CLIENT_ACCESSIBLE)!;
    expect(hresultOf(() => other.deleteSnapshots(ca.id, 'snapshot'))).toBe(VSS_E_OBJECT_NOT_FOUND);
    expect(other.deleteSnapshots(s.snapshotSetId!, 'set')).toEqual({ deleted: 2, nonDeleted: GUID_NULL });
    expect(s.snapshotIds.map((id) => h.store.snapshot(id))).toEqual([undefined, undefined]);
    const all = h.openSession();
    all.initializeForBackup();
    all.setContext(VSS_CTX_ALL);
    expect(all.deleteSnapshots(ca.id, 'snapshot').deleted).toBe(1);
    expect(hresultOf(() => all.deleteSnapshots(ca.id, 'snapshot'))).toBe(VSS_E_OBJECT_NOT_FOUND);
    // Releasing the session that made the deleted copies deletes nothing more.
    expect(h.releaseSession(s.id)).toEqual([]);
  });

  test('transportable shadow copies: a second host loads the saved document, imports them and continues where the first stopped', () => {
    const first = host();
    const s = snapshotted(first, [sales], VSS_CTX_BACKUP | VSS_VOLSNAP_ATTR_TRANSPORTABLE, ['D:\\']);
    const [id] = s.snapshotIds;
    expect(first.store.snapshot(id!)!.attributes).toBe(VSS_VOLSNAP_ATTR_TRANSPORTABLE | VSS_VOLSNAP_ATTR_DIFFERENTIAL);
    const xml = s.saveAsXml();

    const model = defaultHostModel();
    const second = host({ ...model, host: { fqdn: 'backupsrv.lab.local', netbiosName: 'BACKUPSRV' }, snapshots: [], diffAreas: [] });
    const t = second.openSession();
    t.initializeForBackup(xml);
    const imported = t.importSnapshots();
    expect(imported).toHaveLength(1);
    expect(imported[0]).toMatchObject({ id, setId: s.snapshotSetId, originalVolume: V.data, originatingMachine: 'filesrv01.lab.local', serviceMachine: 'backupsrv.lab.local' });
    expect(imported[0]!.attributes & VSS_VOLSNAP_ATTR_IMPORTED).not.toBe(0);
    expect(second.store.snapshotsByVolume('D:\\', 'b5946137-7b9f-4925-af80-51abd60b20d5').map((x) => x.id)).toEqual([id]);
    // It continues: the backup is marked and completed there, then released.
    t.setBackupSucceeded(sales, true);
    t.backupComplete();
    expect(second.releaseSession(t.id)).toEqual([id]);
    expect(second.store.snapshot(id!)).toBeUndefined();
    // Importing again where nothing matches, or a set that is not transportable, is refused.
    const u = second.openSession();
    u.initializeForBackup(xml.replace(/originalVolumeName="[^"]*"/, 'originalVolumeName="\\\\?\\Volume{99999999-9999-4999-8999-999999999999}\\"').replace(/originalVolumeDisplayName="[^"]*"/, 'originalVolumeDisplayName="Q:\\"'));
    expect(hresultOf(() => u.importSnapshots())).toBe(VSS_E_NO_SNAPSHOTS_IMPORTED);
    const plain = snapshotted(first, [master], VSS_CTX_BACKUP, ['C:\\']);
    const v = second.openSession();
    v.initializeForBackup(plain.saveAsXml());
    expect(hresultOf(() => v.importSnapshots())).toBe(VSS_E_BAD_STATE);
  });
});

describe('the Backup Components Document reader', () => {
  test('a malformed or hostile document is VSS_E_INVALID_XML_DOCUMENT naming what is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /expected "<"/],
      ['<BACKUP_COMPONENTS>', /not closed/],
      ['<!DOCTYPE x [<!ENTITY a "b">]><BACKUP_COMPONENTS/>', /document type/],
      ['<BACKUP_COMPONENTS selectComponents="maybe"/>', /selectComponents="maybe"/],
      ['<BACKUP_COMPONENTS><WRITER_COMPONENTS instanceId="x" writerId="y"/></BACKUP_COMPONENTS>', /WRITER_COMPONENTS\[0\]: instanceId="x" is not a GUID/],
      ['<BACKUP_COMPONENTS backupType="weekly"/>', /backupType="weekly"/],
      ['<OTHER/>', /no BACKUP_COMPONENTS/],
      [`${'<a>'.repeat(40)}${'</a>'.repeat(40)}`, /nested deeper/],
      ['<BACKUP_COMPONENTS a="&bogus;"/>', /unknown entity/],
    ];
    for (const [xml, message] of cases) {
      let caught: unknown;
      try {
        documentFromXml(xml);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(StoreError);
      expect((caught as StoreError).hresult).toBe(VSS_E_INVALID_XML_DOCUMENT);
      expect((caught as StoreError).message).toMatch(message);
    }
    expect(() => documentFromXml('<BACKUP_COMPONENTS/>', { maxLength: 10, maxDepth: 4, maxElements: 10 })).toThrow(/longer than 10/);
  });

  test('property: any string is a document or VSS_E_INVALID_XML_DOCUMENT, never another error', () => {
    const h = host();
    const xml = snapshotted(h, [sales, storageGroup]).saveAsXml();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.tuple(fc.nat(xml.length), fc.nat(xml.length), fc.string()).map(([a, b, s]) => xml.slice(0, Math.min(a, b)) + s + xml.slice(Math.max(a, b)))), (text) => {
        try {
          documentFromXml(text);
        } catch (e) {
          expect(e).toBeInstanceOf(StoreError);
          expect((e as StoreError).hresult).toBe(VSS_E_INVALID_XML_DOCUMENT);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('requester sessions: robustness', () => {
  test('property: any sequence of calls on any sessions answers or refuses with a StoreError, and the host stays valid', () => {
    const refs = [sales, master, storageGroup, mailbox, { ...sales, name: 'Nope' }];
    const volumes = ['C:', 'D:\\', 'E:', 'F:', 'Q:', 'C:\\mnt\\archive'];
    const contexts = [VSS_CTX_BACKUP, VSS_CTX_APP_ROLLBACK, VSS_CTX_FILE_SHARE_BACKUP, VSS_CTX_CLIENT_ACCESSIBLE, VSS_CTX_ALL, 0x20, 0x7777];
    const op = fc.oneof(
      { arbitrary: fc.constantFrom('initB', 'initR', 'gather', 'status', 'start', 'prepare', 'do', 'do', 'complete', 'abort', 'import', 'pre', 'post', 'save', 'release', 'open', 'prefix', 'prefix', 'restorePrefix').map((k) => ({ k })), weight: 6 },
      { arbitrary: fc.record({ k: fc.constant('ctx'), c: fc.constantFrom(...contexts) }), weight: 1 },
      { arbitrary: fc.record({ k: fc.constant('state'), sel: fc.boolean() }), weight: 1 },
      { arbitrary: fc.record({ k: fc.constantFrom('add', 'succeeded', 'selected', 'sub', 'fileStatus', 'options'), r: fc.constantFrom(...refs) }), weight: 2 },
      { arbitrary: fc.record({ k: fc.constant('vol'), v: fc.constantFrom(...volumes) }), weight: 1 },
      { arbitrary: fc.record({ k: fc.constant('delete'), set: fc.boolean(), i: fc.nat(20) }), weight: 1 },
    );
    const phases = new Set<string>();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(2), op), { minLength: 20, maxLength: 80 }), (steps) => {
        const h = host(defaultHostModel(), { settings: { maxSnapshotsPerVolume: 8 } });
        const sessions = [h.openSession(), h.openSession(), h.openSession()];
        let lastXml: string | undefined;
        for (const [i, o] of steps) {
          phases.add(sessions[i]!.phase);
          const s = sessions[i]!;
          const any = o as any;
          const call = (): unknown => {
            switch (any.k) {
              case 'initB': return s.initializeForBackup(lastXml);
              case 'initR': return s.initializeForRestore(lastXml ?? '<x/>');
              case 'gather': return s.gatherWriterMetadata();
              case 'status': return s.writerStatus();
              case 'start': return s.startSnapshotSet();
              case 'prepare': return s.prepareForBackup();
              case 'do': return s.doSnapshotSet();
              case 'complete': return s.backupComplete();
              case 'abort': return s.abortBackup();
              case 'import': return s.importSnapshots();
              case 'pre': return s.preRestore();
              case 'post': return s.postRestore();
              case 'save': return (lastXml = s.saveAsXml());
              case 'release': return h.releaseSession(s.id);
              case 'open': return (sessions[i] = h.openSession());
              // The usual opening of a backup, so that random runs reach the later phases.
              case 'prefix':
                for (const f of [() => s.initializeForBackup(), () => s.setBackupState({ selectComponents: true, bootableSystemState: false, backupType: 'full', partialFileSupport: false }), () => s.gatherWriterMetadata(), () => s.addComponent(sales), () => s.startSnapshotSet(), () => s.addToSnapshotSet('D:'), () => s.prepareForBackup(), () => (lastXml = s.saveAsXml())]) {
                  try {
                    f();
                  } catch (e) {
                    if (!(e instanceof StoreError)) throw e;
                  }
                }
                return undefined;
              case 'restorePrefix':
                for (const f of [() => s.initializeForRestore(lastXml ?? '<x/>'), () => s.gatherWriterMetadata(), () => s.setSelectedForRestore(sales, true), () => s.preRestore()]) {
                  try {
                    f();
                  } catch (e) {
                    if (!(e instanceof StoreError)) throw e;
                  }
                }
                return undefined;
              case 'ctx': return s.setContext(any.c);
              case 'state': return s.setBackupState({ selectComponents: any.sel, bootableSystemState: false, backupType: 'full', partialFileSupport: false });
              case 'add': return s.addComponent(any.r);
              case 'succeeded': return s.setBackupSucceeded(any.r, true);
              case 'selected': return s.setSelectedForRestore(any.r, true);
              case 'sub': return s.addRestoreSubcomponent(storageGroup, any.r);
              case 'fileStatus': return s.setFileRestoreStatus(any.r, 'all');
              case 'options': return s.setBackupOptions(any.r, 'o');
              case 'vol': return s.addToSnapshotSet(any.v);
              case 'delete': {
                const all = h.store.snapshots();
                const target = all[any.i % Math.max(1, all.length)];
                return target && s.deleteSnapshots(any.set ? target.setId : target.id, any.set ? 'set' : 'snapshot');
              }
            }
          };
          try {
            call();
          } catch (e) {
            if (!(e instanceof StoreError)) throw e;
          }
          phases.add(sessions[i]!.phase);
          // The store's own check of every invariant: a model it would not accept is a defect.
          expect(() => new EmulatedHost(h.store.model())).not.toThrow();
        }
      }),
      { numRuns: 300 },
    );
    // The runs went deep: past DoSnapshotSet, into completion and restore.
    for (const p of ['snapshotted', 'completed', 'restoring'] as const) expect(phases).toContain(p);
  });
});
