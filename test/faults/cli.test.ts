/**
 * Scripted faults through the built commands: rules added, listed and cleared with
 * `scmp admin fault` (audited, 400 naming the bad field), rules from the host model file,
 * and what `scmp list shadows` prints when a rule makes QuerySnapshotsByVolume refuse.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { AdminClient } from '../../src/admin/client.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { runScmpd, spawnScmpd, type RunningScmpd } from '../helpers/scmpd.js';
import { runScmp, scmpdWithAdminToken, type ScmpdWithToken } from '../helpers/scmp-cli.js';

const TOKEN = 'faults-test-token-0123456789abcdef';
const ADMIN = { user: 'alice', password: 'Wonder-Land-1' };
let running: ScmpdWithToken;
let server: RunningScmpd;
let api: AdminClient;

beforeAll(async () => {
  running = await scmpdWithAdminToken(TOKEN, ['--account', `${ADMIN.user}:${ADMIN.password}:admin`]);
  server = running.server;
  api = new AdminClient(server.adminUrl!, TOKEN);
});
afterAll(() => running?.stop());
beforeEach(async () => {
  await api.ok('DELETE', '/api/faults');
});

const admin = (...args: string[]) => runScmp(['admin', ...args, '--url', server.adminUrl!, '--token-file', running.tokenFile]);
const listShadows = (...extra: string[]) => runScmp(['list', 'shadows', `${ADMIN.user}:${ADMIN.password}@127.0.0.1`, '--port', String(server.port), ...extra]);

describe('scmp admin fault', () => {
  test('add, list (text and --json), clear one, clear all', async () => {
    const added = await admin('fault', 'add', 'IVssSnapshotMgmt.QuerySnapshotsByVolume', '--hresult', 'VSS_E_PROVIDER_VETO', '--arg', 'pwszVolumeName=C:', '--count', '2');
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^Successfully added fault rule (\d+)\.\n/);
    const id = Number(/rule (\d+)/.exec(added.stdout)![1]);
    await admin('fault', 'add', 'ivssenumobject.next', '--delay', '10', '--probability', '0.5', '--seed', '7');
    const text = await admin('fault', 'list');
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      [
        `Fault rule ID: ${id}`,
        '   Call: IVssSnapshotMgmt.QuerySnapshotsByVolume',
        '   Arguments: pwszVolumeName=C:',
        '   Action: return VSS_E_PROVIDER_VETO',
        '   Limit: the next 2 matching calls',
        '   Fired: 0 times',
        '',
        `Fault rule ID: ${id + 1}`,
        '   Call: IVssEnumObject.Next',
        '   Action: delay 10 ms, then answer',
        '   Probability: 0.5 (seed 7)',
        '   Fired: 0 times',
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await admin('fault', 'list', '--json')).stdout);
    expect(json).toEqual([
      { id, interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', args: { pwszVolumeName: 'C:' }, action: 'hresult', status: 'VSS_E_PROVIDER_VETO', count: 2, fired: 0, spent: false },
      { id: id + 1, interface: 'IVssEnumObject', method: 'Next', action: 'delay', ms: 10, probability: 0.5, seed: 7, fired: 0 },
    ]);
    expect(await admin('fault', 'clear', String(id))).toMatchObject({ code: 0, stdout: `Successfully deleted fault rule ${id}.\n` });
    expect(await admin('fault', 'clear', String(id))).toMatchObject({ code: EXIT.NOT_FOUND });
    expect(await admin('fault', 'clear')).toMatchObject({ code: 0, stdout: 'Successfully deleted 1 fault rule.\n' });
    expect(await admin('fault', 'list')).toMatchObject({ code: 0, stdout: 'No items found that satisfy the query.\n' });
  });

  test('INTERFACE.OPNUM: a rule by opnum, listed as such; the interface still checked, the opnum not (an unknown one is the point)', async () => {
    const added = await admin('fault', 'add', 'iobjectexporter.99', '--fault', 'nca_s_unk_if');
    expect(added.code).toBe(0);
    const id = Number(/rule (\d+)/.exec(added.stdout)![1]);
    expect(added.stdout).toBe(
      [`Successfully added fault rule ${id}.`, `Fault rule ID: ${id}`, '   Call: IObjectExporter opnum 99', '   Action: fault nca_s_unk_if', '   Fired: 0 times', ''].join('\n'),
    );
    expect(JSON.parse((await admin('fault', 'list', '--json')).stdout)).toEqual([{ id, interface: 'IObjectExporter', opnum: 99, action: 'fault', status: 'nca_s_unk_if', fired: 0 }]);
    const r = await admin('fault', 'add', 'IObjectExporter.99', '--hresult', 'E_FAIL');
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(/action: hresult needs a method/);
    expect((await admin('fault', 'add', 'INope.3', '--drop')).stderr).toMatch(/interface: not an interface this host serves/);
  });

  test('a bad rule: 400 naming the field, exit 2', async () => {
    const bad = async (body: unknown, field: string) => {
      const r = await api.request('POST', '/api/faults', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect((r.body as { error: { field: string } }).error.field).toBe(field);
    };
    await bad({ interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', action: 'hresult', status: 'NOT_A_STATUS' }, 'status');
    await bad({ interface: 'IVssNope', method: 'QuerySnapshotsByVolume', action: 'drop' }, 'interface');
    await bad({ interface: 'IVssSnapshotMgmt', method: 'Nope', action: 'drop' }, 'method');
    await bad({ interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', action: 'explode' }, 'action');
    await bad({ interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', action: 'delay', ms: 10_000_000 }, 'ms');
    await bad({ interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', action: 'drop', colour: 'red' }, 'colour');
    const r = await admin('fault', 'add', 'IVssSnapshotMgmt.Nope', '--drop');
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(/^scmp admin: the server did not take the request: method: not a method of IVssSnapshotMgmt/);
    expect((await admin('fault', 'add', 'IVssSnapshotMgmt.QuerySnapshotsByVolume')).code).toBe(EXIT.USAGE);
  });
});

describe('what a client sees', () => {
  test('QuerySnapshotsByVolume vetoed: scmp list shadows prints the refusal by name, exit 1; the rule fired once', async () => {
    await admin('fault', 'add', 'IVssSnapshotMgmt.QuerySnapshotsByVolume', '--hresult', 'VSS_E_PROVIDER_VETO', '--count', '1');
    const r = await listShadows();
    expect(r.code).toBe(EXIT.REFUSED);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('VSS_E_PROVIDER_VETO');
    expect(r.stderr).toContain('0x80042306');
    const [rule] = await api.ok('GET', '/api/faults');
    expect(rule).toMatchObject({ fired: 1, spent: true });
    expect(await listShadows()).toMatchObject({ code: 0 });
  });

  test('a fault status: the client names it, exit 1', async () => {
    await admin('fault', 'add', 'IVssSnapshotMgmt.QuerySnapshotsByVolume', '--fault', 'nca_s_fault_unspec');
    const r = await listShadows();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('nca_s_fault_unspec');
  });

  test('no answer: the client --timeout fires', async () => {
    await admin('fault', 'add', 'IVssSnapshotMgmt.QuerySnapshotsByVolume', '--hang');
    const r = await listShadows('--timeout', '2');
    expect(r.stderr).toContain('did not answer in time');
    expect(r.code).toBe(EXIT.CONNECTION);
  });

  test('a dropped connection: a connection error, exit 6', async () => {
    await admin('fault', 'add', 'IVssSnapshotMgmt.QuerySnapshotsByVolume', '--drop');
    const r = await listShadows();
    expect(r.code).toBe(EXIT.CONNECTION);
  });
});

describe('the host model file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scmp-faults-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const hostWith = (faults: unknown) => {
    const file = join(dir, `host-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        host: { fqdn: 'filesrv01.example.test', netbiosName: 'FILESRV01' },
        volumes: [{ mountName: '\\\\?\\Volume{11111111-1111-1111-1111-111111111111}\\', mountPoints: ['C:\\'], fileSystem: 'NTFS', totalBytes: 1e11, freeBytes: 5e10 }],
        accounts: [{ name: ADMIN.user, password: ADMIN.password, role: 'admin' }],
        faults,
      }),
    );
    return file;
  };

  test('rules in `faults` are served from the start', async () => {
    const file = hostWith([{ interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', args: { pwszVolumeName: 'c:' }, action: 'hresult', status: 'VSS_E_PROVIDER_VETO' }]);
    const s = await spawnScmpd(['--no-admin', '--host-model', file]);
    try {
      const r = await runScmp(['list', 'shadows', `${ADMIN.user}:${ADMIN.password}@127.0.0.1`, '--port', String(s.port), '--for', 'C:']);
      expect(r.code).toBe(EXIT.REFUSED);
      expect(r.stderr).toContain('VSS_E_PROVIDER_VETO');
    } finally {
      s.child.kill('SIGTERM');
    }
  });

  test('a bad rule stops scmpd naming faults[i].field', async () => {
    const r = await runScmpd(['--host-model', hostWith([{ interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', action: 'hresult' }, { interface: 'IVssSnapshotMgmt', method: 'Bogus', action: 'drop' }])]).exited;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('faults[0].status: is required');
    const r2 = await runScmpd(['--host-model', hostWith([{ interface: 'IVssSnapshotMgmt', method: 'Bogus', action: 'drop' }])]).exited;
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('faults[0].method: not a method of IVssSnapshotMgmt');
  });
});
