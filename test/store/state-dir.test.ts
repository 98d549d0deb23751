/**
 * Persistence: what a state directory keeps across a restart (storage associations and
 * their sizes, persistent shadow copies, saved documents) and what a restart drops
 * (non-persistent shadow copies, open sessions), as a Windows host across a reboot.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DEFAULT_VOLUMES as V, DEFAULT_WRITERS as W, defaultHostModel } from '../../src/store/default-host.js';
import { EmulatedHost } from '../../src/store/emulated-host.js';
import { StoreError } from '../../src/store/errors.js';
import { VSS_E_UNEXPECTED } from '../../src/status/index.js';
import { makeWritableDirectory, STATE_FILE, StateDirError } from '../../src/store/state-dir.js';
import { VSS_CTX_APP_ROLLBACK, VSS_CTX_BACKUP, VSS_VOLSNAP_ATTR_TRANSPORTABLE } from '../../src/store/vss.js';

const MiB = 1024n * 1024n;
const GiB = 1024n * MiB;
const made: string[] = [];
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'scmp-state-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function backup(h: EmulatedHost, context: number, volume: string) {
  const s = h.openSession();
  s.initializeForBackup();
  if (context !== VSS_CTX_BACKUP) s.setContext(context);
  s.setBackupState({ selectComponents: true, bootableSystemState: false, backupType: 'full', partialFileSupport: false });
  s.gatherWriterMetadata();
  s.addComponent({ writerId: W.sql.id, type: 'database', logicalPath: 'FILESRV01', name: 'Sales' });
  s.startSnapshotSet();
  s.addToSnapshotSet(volume);
  s.prepareForBackup();
  return { session: s, copy: s.doSnapshotSet()[0]! };
}

describe('state directory', () => {
  test('without one, nothing is written: the store is in memory', () => {
    const h = new EmulatedHost(defaultHostModel());
    h.createShadow('D:');
    expect(h.store.snapshots().length).toBe(7);
  });

  test('a restart keeps storage associations and their sizes, persistent shadow copies and saved documents; drops non-persistent copies and sessions', () => {
    const d = dir();
    const first = new EmulatedHost(defaultHostModel(), { stateDir: d });
    first.store.addDiffArea('C:\\mnt\\archive', 'D:', 10n * GiB);
    first.store.changeDiffAreaMaximumSize('D:', 'C:\\mnt\\archive', 250n * GiB);
    const persistent = backup(first, VSS_CTX_APP_ROLLBACK, 'C:\\mnt\\archive');
    const temporary = backup(first, VSS_CTX_BACKUP, 'D:');
    first.saveDocument('nightly', persistent.session.saveAsXml());
    const before = first.store.model();

    const second = new EmulatedHost(defaultHostModel(), { stateDir: d });
    expect(second.sessions()).toEqual([]);
    expect(second.store.snapshot(persistent.copy.id)).toEqual(persistent.copy);
    expect(second.store.snapshot(temporary.copy.id)).toBeUndefined();
    expect(second.store.diffAreas().map((x) => [x.volume, x.diffAreaVolume, x.maximumBytes])).toEqual(before.diffAreas.map((x) => [x.volume, x.diffAreaVolume, x.maximumBytes]));
    // The temporary copy's space is given back to D:'s storage and to the archive volume it is on.
    const dArea = (m: typeof before) => m.diffAreas.find((x) => x.volume === V.data)!;
    expect(dArea(second.store.model()).usedBytes).toBe(dArea(before).usedBytes - 32n * MiB);
    expect(second.documentNames()).toEqual(['nightly']);
    expect(second.document('nightly')).toBe(first.document('nightly'));
    // The writers are configuration: they come from the model given, not from the state.
    expect(second.store.writers()).toEqual(defaultHostModel().writers);
  });

  test('a persistent imported shadow copy keeps its originating machine and its exact time across a restart', () => {
    const first = new EmulatedHost(defaultHostModel(), { now: () => 133_000_000_000_001_234n });
    const { session } = backup(first, VSS_CTX_APP_ROLLBACK | VSS_VOLSNAP_ATTR_TRANSPORTABLE, 'D:');
    const d = dir();
    const m = defaultHostModel();
    const second = new EmulatedHost({ ...m, host: { fqdn: 'backupsrv.lab.local', netbiosName: 'BACKUPSRV' }, snapshots: [], diffAreas: [] }, { stateDir: d });
    const t = second.openSession();
    t.initializeForBackup(session.saveAsXml());
    const [imported] = t.importSnapshots();
    expect(imported!.originatingMachine).toBe('filesrv01.lab.local');
    expect(imported!.creationTime).toBe(133_000_000_000_001_234n);
    const again = new EmulatedHost({ ...m, host: { fqdn: 'backupsrv.lab.local', netbiosName: 'BACKUPSRV' }, snapshots: [], diffAreas: [] }, { stateDir: d });
    expect(again.store.snapshot(imported!.id)).toEqual(imported);
  });

  test('saved documents are bounded in number and in size (E_OUTOFMEMORY), and names are checked', () => {
    const h = new EmulatedHost(defaultHostModel(), { requester: { maxSavedDocuments: 2, maxSavedDocumentChars: 2000 } });
    const xml = backup(h, VSS_CTX_BACKUP, 'D:').session.saveAsXml();
    h.saveDocument('a', xml);
    expect(() => h.saveDocument('b', `${xml}${' '.repeat(2000)}`)).toThrow(/more than the 2000/);
    h.saveDocument('b', xml.slice(0, xml.indexOf('>', 30) + 1) + '</BACKUP_COMPONENTS>');
    expect(() => h.saveDocument('c', xml)).toThrow(/2 documents are saved/);
    h.saveDocument('a', xml);
    expect(() => h.saveDocument('../etc/passwd', xml)).toThrow(/document name/);
    expect(() => h.saveDocument('d', '<nope')).toThrow(StoreError);
    expect(h.documentNames()).toEqual(['a', 'b']);
  });

  test('a simulated reboot is what a restart would give', () => {
    const d = dir();
    const h = new EmulatedHost(defaultHostModel(), { stateDir: d });
    backup(h, VSS_CTX_BACKUP, 'D:');
    backup(h, VSS_CTX_APP_ROLLBACK, 'C:');
    h.reboot();
    expect(h.store.model()).toEqual(new EmulatedHost(defaultHostModel(), { stateDir: d }).store.model());
    const inMemory = new EmulatedHost(defaultHostModel());
    backup(inMemory, VSS_CTX_BACKUP, 'D:');
    inMemory.reboot();
    expect(inMemory.store.snapshots().length).toBe(6);
  });

  test('every change a caller is told succeeded is on disk first', () => {
    const d = dir();
    const h = new EmulatedHost(defaultHostModel(), { stateDir: d });
    const onDisk = () => JSON.parse(readFileSync(join(d, STATE_FILE), 'utf8'));
    h.store.addDiffArea('C:\\mnt\\archive', 'D:', 10n * GiB);
    expect(onDisk().model.diffAreas).toContainEqual({ volume: V.archive, diffAreaVolume: V.data, maximumBytes: String(10n * GiB) });
    const s = h.createShadow('C:');
    expect(onDisk().model.snapshots.map((x: { id: string }) => x.id)).toContain(s.id);
    h.deleteShadows(undefined, { shadow: s.id });
    expect(onDisk().model.snapshots.map((x: { id: string }) => x.id)).not.toContain(s.id);
    h.saveDocument('doc1', backup(h, VSS_CTX_BACKUP, 'D:').session.saveAsXml());
    expect(Object.keys(onDisk().documents)).toEqual(['doc1']);
    h.deleteDocument('doc1');
    expect(onDisk().documents).toEqual({});
  });

  test('a change that cannot be written is refused with VSS_E_UNEXPECTED and undone', () => {
    const d = dir();
    const h = new EmulatedHost(defaultHostModel(), { stateDir: d });
    const before = h.store.model();
    // Put a non-empty directory where the state file goes: the rename over it fails.
    rmSync(join(d, STATE_FILE));
    mkdirSync(join(d, STATE_FILE));
    writeFileSync(join(d, STATE_FILE, 'x'), '');
    let caught: unknown;
    try {
      h.store.addDiffArea('C:\\mnt\\archive', 'D:', 10n * GiB);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(StoreError);
    expect((caught as StoreError).hresult).toBe(VSS_E_UNEXPECTED);
    expect(h.store.model()).toEqual(before);
    expect(() => h.createShadow('D:')).toThrow(StoreError);
    expect(h.store.model()).toEqual(before);
    expect(() => h.saveDocument('d', backup(new EmulatedHost(defaultHostModel()), VSS_CTX_BACKUP, 'D:').session.saveAsXml())).toThrow(StoreError);
    expect(h.documentNames()).toEqual([]);
  });

  test('a crash mid-write leaves a temporary file that the next start ignores; a corrupt state file stops the start, naming it', () => {
    const d = dir();
    const h = new EmulatedHost(defaultHostModel(), { stateDir: d });
    const s = h.createShadow('D:');
    writeFileSync(join(d, `${STATE_FILE}.tmp`), '{"torn');
    const again = new EmulatedHost(defaultHostModel(), { stateDir: d });
    expect(again.store.snapshot(s.id)).toBeDefined();
    expect(existsSync(join(d, `${STATE_FILE}.tmp`))).toBe(false);
    writeFileSync(join(d, STATE_FILE), '{"format":"scmp-state/1","model":{"host":{}},"documents":{}}');
    expect(() => new EmulatedHost(defaultHostModel(), { stateDir: d })).toThrow(StateDirError);
    expect(() => new EmulatedHost(defaultHostModel(), { stateDir: d })).toThrow(/state\.json: model\.host\.fqdn/);
  });
});

describe('creating the state directory', () => {
  test('missing parents are made one level at a time', () => {
    const d = join(dir(), 'a', 'b', 'c');
    makeWritableDirectory(d);
    expect(existsSync(d)).toBe(true);
    // An existing directory is fine as it is.
    makeWritableDirectory(d);
  });

  test('a path that cannot be created is a StateDirError at once, before anything is written (/proc refuses new entries with ENOENT, where a recursive mkdir loops forever)', () => {
    expect(() => makeWritableDirectory('/proc/scmp-state-test/x')).toThrow(StateDirError);
    expect(() => makeWritableDirectory('/proc/scmp-state-test/x')).toThrow(/^cannot create \/proc\/scmp-state-test\/x: ENOENT/);
    expect(() => new EmulatedHost(defaultHostModel(), { stateDir: '/proc/scmp-state-test' })).toThrow(StateDirError);
    const file = join(dir(), 'plain-file');
    writeFileSync(file, 'x');
    expect(() => makeWritableDirectory(join(file, 'state'))).toThrow(/plain-file is not a directory/);
  });
});
