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
    });
  }
});

test('fixtures/default-host.json is the embedded default host in the file format', async () => {
  const { readFileSync } = await import('node:fs');
  const file = parseHostModel(readFileSync(new URL('../../fixtures/default-host.json', import.meta.url), 'utf8'));
  expect(file.model).toEqual(defaultHostModel());
  expect(file.accounts).toEqual([{ name: 'Administrator', password: 'Scmp-Lab-2026!', role: 'admin' }]);
});
