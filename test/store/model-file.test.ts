import { describe, expect, test } from 'vitest';
import { defaultHostModel } from '../../src/store/default-host.js';
import { HostStore } from '../../src/store/host-store.js';
import { HostModelError, parseHostModel, serializeHostModel } from '../../src/store/model-file.js';

const valid = () => JSON.parse(serializeHostModel(defaultHostModel()));

describe('host model file', () => {
  test('the default host written as a file reads back as the same model, and a store accepts it', () => {
    const back = parseHostModel(serializeHostModel(defaultHostModel()));
    expect(back.model).toEqual(defaultHostModel());
    expect(() => new HostStore(back.model)).not.toThrow();
  });

  test('optional fields take their defaults: contexts and storage by file system, the system provider', () => {
    const f = valid();
    for (const v of f.volumes) {
      delete v.snapshotContexts;
      delete v.canHoldDiffArea;
    }
    delete f.providers;
    const m = parseHostModel(JSON.stringify(f)).model;
    expect(m.volumes.find((v) => v.fileSystem === 'FAT32')!.snapshotContexts).toEqual([]);
    expect(m.volumes.find((v) => v.fileSystem === 'ReFS')!.canHoldDiffArea).toBe(false);
    expect(m.providers[0]!.id).toBe('b5946137-7b9f-4925-af80-51abd60b20d5');
  });

  test('accounts with a password or an NT hash', () => {
    const f = { ...valid(), accounts: [{ name: 'alice', password: 'x', role: 'admin' }, { name: 'bob', ntHash: '8846f7eaee8fb117ad06bdd830b7586c' }] };
    expect(parseHostModel(JSON.stringify(f)).accounts).toEqual([
      { name: 'alice', password: 'x', role: 'admin' },
      { name: 'bob', ntHash: '8846f7eaee8fb117ad06bdd830b7586c', role: 'user' },
    ]);
  });

  const bad: Array<[string, (f: any) => void, RegExp]> = [
    ['not JSON', () => undefined, /^\(file\): not JSON/],
    ['host missing', (f) => delete f.host, /^host: expected an object/],
    ['bad NetBIOS name', (f) => (f.host.netbiosName = 'A-NAME-MUCH-TOO-LONG'), /^host\.netbiosName: expected a NetBIOS name/],
    ['bad mount name', (f) => (f.volumes[1].mountName = 'D:'), /^volumes\[1\]\.mountName: expected a volume mount name/],
    ['bad size', (f) => (f.volumes[0].totalBytes = '12 GB'), /^volumes\[0\]\.totalBytes: expected a whole number of bytes/],
    ['free above total', (f) => (f.volumes[0].freeBytes = '999999999999999999'), /^volumes\[0\]\.freeBytes: exceeds totalBytes/],
    ['unknown file system', (f) => (f.volumes[2].fileSystem = 'ext4'), /^volumes\[2\]\.fileSystem: expected one of NTFS, ReFS, FAT32/],
    ['unknown field', (f) => (f.volumes[0].colour = 'blue'), /^volumes\[0\]\.colour: unknown field/],
    ['snapshot on no volume', (f) => (f.snapshots[3].volume = '\\\\?\\Volume{00000000-0000-0000-0000-000000000009}\\'), /^snapshots\[3\]\.volume: no volume/],
    ['bad time', (f) => (f.snapshots[0].created = 'yesterday'), /^snapshots\[0\]\.created: expected an ISO 8601 time/],
    ['diff area limit', (f) => (f.diffAreas[0].maximumBytes = -2), /^diffAreas\[0\]\.maximumBytes: expected bytes, or -1/],
    ['account with both', (f) => (f.accounts = [{ name: 'x', password: 'p', ntHash: '8846f7eaee8fb117ad06bdd830b7586c' }]), /^accounts\[0\]: give exactly one/],
    ['account role', (f) => (f.accounts = [{ name: 'x', password: 'p', role: 'root' }]), /^accounts\[0\]\.role: expected "admin" or "user"/],
    ['component type', (f) => (f.writers[2].components[1].type = 'table'), /^writers\[2\]\.components\[1\]\.type: expected "database" or "filegroup"/],
    ['component twice', (f) => f.writers[2].components.push({ ...f.writers[2].components[0], name: 'SALES' }), /^writers\[2\]\.components\[2\]: another component of this writer is FILESRV01\\SALES too/],
    ['component name with a backslash', (f) => (f.writers[0].components[0].name = 'a\\b'), /^writers\[0\]\.components\[0\]\.name: expected a name without a backslash/],
    ['logical path ending in a backslash', (f) => (f.writers[2].components[0].logicalPath = 'FILESRV01\\'), /^writers\[2\]\.components\[0\]\.logicalPath: expected a logical path/],
    ['selectable not a boolean', (f) => (f.writers[3].components[0].selectable = 'yes'), /^writers\[3\]\.components\[0\]\.selectable: expected true or false/],
    ['file set without a filespec', (f) => delete f.writers[0].components[0].files[0].filespec, /^writers\[0\]\.components\[0\]\.files\[0\]\.filespec: is required \(a non-empty string\)/],
    ['writer instance twice', (f) => (f.writers[1].instanceId = f.writers[0].instanceId), /^writers\[1\]\.instanceId: .* is another writer's instance too/],
    ['script event', (f) => (f.writers[2].script[0].on = 'Lunch'), /^writers\[2\]\.script\[0\]\.on: expected one of Identify, PrepareBackup/],
    ['script veto', (f) => (f.writers[2].script = [{ on: 'PrepareBackup', veto: 'E_FAIL' }]), /^writers\[2\]\.script\[0\]\.veto: expected one of VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT/],
    ['script with two actions', (f) => (f.writers[2].script = [{ on: 'PrepareBackup', veto: 'VSS_E_WRITERERROR_RETRYABLE', setBackupStamp: 'x' }]), /^writers\[2\]\.script\[0\]: give exactly one of veto, setBackupStamp and setFailureMessage/],
  ];
  for (const [name, spoil, message] of bad) {
    test(`a malformed file names the field: ${name}`, () => {
      const f = valid();
      spoil(f);
      const text = name === 'not JSON' ? '{ "host": ' : JSON.stringify(f);
      let err: unknown;
      try {
        parseHostModel(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(HostModelError);
      expect((err as Error).message).toMatch(message);
      // One mistake is one problem: nothing that refers to the bad value is reported again
      // (renaming a volume is two: what still names it by its old name names no volume).
      if (name !== 'bad mount name') expect((err as HostModelError).problems).toHaveLength(1);
    });
  }

  test('every bad field of a file is reported at once, in file order, one line each', () => {
    const f = valid();
    f.host.netbiosName = 'A-NAME-MUCH-TOO-LONG';
    f.volumes[1].totalBytes = 'lots';
    f.volumes[3].colour = 'blue';
    f.snapshots[0].created = 'yesterday';
    f.diffAreas[1].maximumBytes = -2;
    f.writers[2].script = [{ on: 'PrepareBackup', veto: 'E_FAIL' }];
    f.accounts = [{ name: 'x', password: 'p', role: 'root' }];
    let err: HostModelError | undefined;
    try {
      parseHostModel(JSON.stringify(f));
    } catch (e) {
      err = e as HostModelError;
    }
    expect(err).toBeInstanceOf(HostModelError);
    expect(err!.problems.map((p) => p.field)).toEqual(['host.netbiosName', 'volumes[1].totalBytes', 'volumes[3].colour', 'snapshots[0].created', 'diffAreas[1].maximumBytes', 'writers[2].script[0].veto', 'accounts[0].role']);
    expect(err!.message.split('\n')).toHaveLength(7);
    expect(err!.field).toBe('host.netbiosName');
  });

  test('a volume with a bad mount name is one problem, not one more for every shadow copy and storage on it', () => {
    const f = valid();
    const d = f.volumes[1].mountName;
    f.volumes[1].mountName = d.replace('Volume{', 'Volume{zz');
    for (const s of f.snapshots) if (s.volume === d) s.volume = f.volumes[1].mountName;
    for (const a of f.diffAreas) if (a.volume === d) a.volume = f.volumes[1].mountName;
    expect(() => parseHostModel(JSON.stringify(f))).toThrow(/^volumes\[1\]\.mountName: expected a volume mount name[^\n]*$/);
  });

  test('account roles are read in any case', () => {
    const f = { ...valid(), accounts: [{ name: 'alice', password: 'x', role: 'Admin' }, { name: 'bob', password: 'y', role: 'USER' }] };
    expect(parseHostModel(JSON.stringify(f)).accounts.map((a) => a.role)).toEqual(['admin', 'user']);
  });
});

test('a creation time finer than a millisecond survives the file (imported shadow copies keep their own)', () => {
  const m = defaultHostModel();
  const snapshots = m.snapshots.map((s, i) => (i === 0 ? { ...s, creationTime: s.creationTime + 1234n } : s));
  const back = parseHostModel(serializeHostModel({ ...m, snapshots })).model;
  expect(back.snapshots[0]!.creationTime).toBe(snapshots[0]!.creationTime);
  const f = valid();
  f.snapshots[0].creationTime = '5';
  expect(() => parseHostModel(JSON.stringify(f))).toThrow(/^snapshots\[0\]\.creationTime: is not within the millisecond/);
});

test('writers and their scripts read back from the file, vetoes by name', () => {
  const f = valid();
  f.writers[2].script = [
    { on: 'PrepareBackup', veto: 'VSS_E_WRITERERROR_RETRYABLE' },
    { on: 'PostSnapshot', setBackupStamp: 'LSN:1' },
    { on: 'PostRestore', setFailureMessage: 'recovery pending' },
  ];
  const w = parseHostModel(JSON.stringify(f)).model.writers[2]!;
  expect(w.script).toEqual([
    { on: 'PrepareBackup', veto: 0x800423f3 },
    { on: 'PostSnapshot', setBackupStamp: 'LSN:1' },
    { on: 'PostRestore', setFailureMessage: 'recovery pending' },
  ]);
  expect(JSON.parse(serializeHostModel(parseHostModel(JSON.stringify(f)).model)).writers[2].script).toEqual(f.writers[2].script);
  // Optional fields take their defaults: root logical path, caption = name, not selectable, no files.
  const g = valid();
  g.writers = [{ id: g.writers[0].id, instanceId: g.writers[0].instanceId, name: 'Minimal', components: [{ name: 'Only', type: 'filegroup' }] }];
  expect(parseHostModel(JSON.stringify(g)).model.writers[0]!.components[0]).toEqual({ logicalPath: '', name: 'Only', type: 'filegroup', caption: 'Only', selectable: false, selectableForRestore: false, files: [] });
});

test('fixtures/default-host.json is the embedded default host in the file format', async () => {
  const { readFileSync } = await import('node:fs');
  const file = parseHostModel(readFileSync(new URL('../../fixtures/default-host.json', import.meta.url), 'utf8'));
  expect(file.model).toEqual(defaultHostModel());
  expect(file.accounts).toEqual([{ name: 'Administrator', password: 'Scmp-Lab-2026!', role: 'admin' }]);
});
