/**
 * The admin HTTP API: refused without the token, loopback by default, 400 naming the field
 * for a bad body, the host's HRESULT for a refusal; a requester session driven step by
 * step, vssadmin's create/delete, documents and a reboot; and every change visible to the
 * next MS-SCMP call over DCOM.
 */
import { networkInterfaces } from 'node:os';
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AdminClient } from '../../src/admin/client.js';
import { DEFAULT_ADMIN_LISTEN, startAdminServer, type AdminServer } from '../../src/admin/http.js';
import { main as scmpMain, requestFor } from '../../src/cli/admin.js';
import { RpcClient } from '../../src/client/rpc-client.js';
import { AUTH_LEVEL } from '../../src/dcerpc/constants.js';
import { decodeObjref } from '../../src/dcom/objref.js';
import { IVssEnumObject, IVssSnapshotMgmt } from '../../src/interfaces/scmp/idl.js';
import { VSS_SYSTEM_PROVIDER_ID } from '../../src/interfaces/scmp/types.js';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { DEFAULT_WRITERS as W, defaultHostModel } from '../../src/store/default-host.js';
import { EmulatedHost } from '../../src/store/emulated-host.js';
import { activate, orpcThis } from '../helpers/dcom.js';
import { ADMIN, ntlm } from '../helpers/security.js';
import { testServer } from '../helpers/server.js';

const TOKEN = 'test-token-0123456789abcdef';
let server: Awaited<ReturnType<typeof testServer>>;
let admin: AdminServer;
let emulated: EmulatedHost;

beforeAll(async () => {
  emulated = new EmulatedHost(defaultHostModel());
  server = await testServer({ emulated, accounts: [parseAccountSpec(`${ADMIN.user}:${ADMIN.password}:admin`)] });
  admin = await startAdminServer({ host: emulated, token: TOKEN, port: 0 });
});
afterAll(async () => {
  await admin.close();
  await server.close();
});

async function api(method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<{ status: number; json: any }> {
  const a = await new AdminClient(admin.url, token ?? undefined).request(method, path, body);
  return { status: a.status, json: a.body };
}

/** QuerySnapshotsByVolume over DCOM at privacy, as a management client sees the host. */
async function scmpSnapshots(volume: string): Promise<Array<{ id: string; setId: string }>> {
  const { ipid } = await activate(server.host, server.port);
  const c = await RpcClient.connect(server.host, server.objects.port);
  try {
    await c.bindInterface(IVssSnapshotMgmt, { auth: { ctx: ntlm(), level: AUTH_LEVEL.pkt_privacy } });
    const [r0] = await c.alterContext([{ contextId: 1, abstractSyntax: { uuid: IVssEnumObject.uuid, major: 0, minor: 0 } }]);
    expect(r0!.result).toBe(0);
    const r = await c.call(0, IVssSnapshotMgmt.methods.QuerySnapshotsByVolume, { ORPCthis: orpcThis(), pwszVolumeName: volume, ProviderId: VSS_SYSTEM_PROVIDER_ID }, { object: ipid });
    expect(r.hr).toBe(0);
    const o = decodeObjref(r.ppEnum!.abData);
    if (o.kind !== 'standard') throw new Error('not standard');
    const n = await c.call(1, IVssEnumObject.methods.Next, { ORPCthis: orpcThis(), celt: 512 }, { object: o.std.ipid });
    return n.rgelt.map((x) => ({ id: (x.Obj.value as any).m_SnapshotId, setId: (x.Obj.value as any).m_SnapshotSetId }));
  } finally {
    await c.close();
  }
}

describe('admin API: access', () => {
  test('no token or a wrong token is refused with 401, and changes nothing', async () => {
    const before = emulated.store.snapshots().length;
    for (const token of [null, 'wrong-token-0123456789abcdef', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      const r = await api('POST', '/api/shadows', { for: 'D:' }, token);
      expect(r.status).toBe(401);
      expect(r.json.error.message).toMatch(/admin token/);
    }
    const basic = await fetch(`${admin.url}/api/host`, { headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
    expect(emulated.store.snapshots().length).toBe(before);
  });

  test('the default binding is loopback only', async () => {
    expect(DEFAULT_ADMIN_LISTEN).toBe('127.0.0.1');
    expect(admin.address).toBe('127.0.0.1');
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) {
      const refused = await new Promise<string>((resolve) => {
        const s = netConnect(admin.port, external.address);
        s.on('connect', () => (s.destroy(), resolve('connected')));
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
    }
  });

  test('invalid bodies get 400 with a message that names the field', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/api/shadows', {}, 'for'],
      ['POST', '/api/shadows', { for: 3 }, 'for'],
      ['POST', '/api/shadows', { for: 'C:', colour: 'blue' }, 'colour'],
      ['POST', '/api/shadows', '{not json', '(body)'],
      ['POST', '/api/shadows', '[1,2]', '(body)'],
      ['POST', '/api/shadowstorage', { for: 'C:', on: 'D:', maxSize: 'lots' }, 'maxSize'],
      ['POST', '/api/shadows/delete', { shadow: 'not-a-guid' }, 'shadow'],
      ['PUT', '/api/documents/x', { xml: 7 }, 'xml'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await api(method, path, body);
      expect([path, r.status, r.json.error.field]).toEqual([path, 400, field]);
      expect(r.json.error.message).toContain(field);
    }
    const s = (await api('POST', '/api/sessions', {})).json.id;
    const bad = await api('POST', `/api/sessions/${s}/add-component`, { writerId: 'sql', type: 'database', name: 'Sales' });
    expect([bad.status, bad.json.error.field]).toEqual([400, 'writerId']);
    const nested = await api('POST', `/api/sessions/${s}/set-backup-succeeded`, { component: { writerId: W.sql.id, type: 'table', name: 'Sales' }, succeeded: true });
    expect([nested.status, nested.json.error.field]).toEqual([400, 'component.type']);
    expect((await api('POST', `/api/sessions/${s}/frobnicate`, {})).status).toBe(404);
    expect((await api('GET', '/api/nothing')).status).toBe(404);
    expect((await api('DELETE', '/api/host')).status).toBe(405);
    await api('DELETE', `/api/sessions/${s}`);
  });

  test('a refusal by the host answers 409 with its HRESULT and the HRESULT\'s name', async () => {
    const s = (await api('POST', '/api/sessions', {})).json.id;
    const r = await api('POST', `/api/sessions/${s}/start-snapshot-set`, {});
    expect([r.status, r.json.error.hresult, r.json.error.hresultName]).toEqual([409, '0x80042301', 'VSS_E_BAD_STATE']);
    expect((await api('POST', '/api/shadows', { for: 'F:' })).json.error).toMatchObject({ hresult: '0x8004230c', hresultName: 'VSS_E_VOLUME_NOT_SUPPORTED' });
    const missing = await api('GET', '/api/sessions/00000000-0000-0000-0000-000000000000');
    expect([missing.status, missing.json.error.hresult, missing.json.error.hresultName]).toEqual([404, '0x80042308', 'VSS_E_OBJECT_NOT_FOUND']);
    await api('DELETE', `/api/sessions/${s}`);
  });

  test('a GUID in a path or a body names its object in any case and in braces', async () => {
    const s: string = (await api('POST', '/api/sessions', {})).json.id;
    expect(s).toMatch(/^[0-9a-f-]{36}$/);
    expect((await api('GET', `/api/sessions/${s.toUpperCase()}`)).json.id).toBe(s);
    expect((await api('GET', `/api/sessions/${encodeURIComponent(`{${s}}`)}`)).json.id).toBe(s);
    expect((await api('DELETE', `/api/sessions/${s.toUpperCase()}`)).status).toBe(200);
    const made = (await api('POST', '/api/shadows', { for: 'D:' })).json;
    const gone = await api('POST', '/api/shadows/delete', { shadow: `{${made.id.toUpperCase()}}` });
    expect([gone.status, gone.json.deleted.map((x: { id: string }) => x.id)]).toEqual([200, [made.id]]);
  });
});

describe('admin API: bad input', () => {
  test('a body over the limit is 413; a bad percent-encoding is 400; the server keeps serving', async () => {
    const big = await api('PUT', '/api/documents/big', { xml: 'x'.repeat(3 * 1024 * 1024) });
    expect(big.status).toBe(413);
    expect((await api('GET', '/api/documents/%E0%A4%A')).status).toBe(400);
    expect((await api('GET', '/api/host')).status).toBe(200);
  });

  test('property: any JSON body on any route is answered 200, 400, 404 or 409, never 500', async () => {
    const fcMod = (await import('fast-check')).default;
    // A host of its own: random bodies may well change it.
    const own = await startAdminServer({ host: new EmulatedHost(defaultHostModel()), token: TOKEN, port: 0 });
    const client = new AdminClient(own.url, TOKEN);
    const call = async (method: string, path: string, body?: string) => (await client.request(method, path, body)).status;
    const { id } = await client.ok<{ id: string }>('POST', '/api/sessions', {});
    const routes: Array<[string, string]> = [
      ['POST', '/api/shadows'],
      ['POST', '/api/shadows/delete'],
      ['POST', '/api/shadowstorage'],
      ['POST', '/api/shadowstorage/resize'],
      ['POST', '/api/shadowstorage/delete'],
      ['PUT', '/api/documents/fuzz'],
      ...['initialize-for-backup', 'initialize-for-restore', 'set-context', 'set-backup-state', 'add-component', 'set-backup-succeeded', 'add-restore-subcomponent', 'add-to-snapshot-set', 'delete-snapshots', 'save-document'].map(
        (step): [string, string] => ['POST', `/api/sessions/${id}/${step}`],
      ),
    ];
    const fields = fcMod.constantFrom('for', 'on', 'maxSize', 'shadow', 'all', 'oldest', 'xml', 'document', 'context', 'selectComponents', 'backupType', 'writerId', 'type', 'logicalPath', 'name', 'component', 'subcomponent', 'volume', 'id', 'succeeded');
    const body = fcMod.oneof(fcMod.jsonValue(), fcMod.dictionary(fields, fcMod.oneof(fcMod.jsonValue(), fcMod.constantFrom('C:', 'D:', W.sql.id, 'database', 'UNBOUNDED', '0x10', '<BACKUP_COMPONENTS/>'))));
    await fcMod.assert(
      fcMod.asyncProperty(fcMod.constantFrom(...routes), body, async ([method, path], b) => {
        expect([200, 400, 404, 409]).toContain(await call(method, path, JSON.stringify(b)));
      }),
      { numRuns: 300 },
    );
    expect(await call('GET', '/api/host')).toBe(200);
    await own.close();
  });
});

describe('admin API: the host, step by step', () => {
  test('a backup session driven over HTTP: its shadow copies appear in MS-SCMP with its set id, and go when it is released', async () => {
    const open = await api('POST', '/api/sessions', {});
    expect(open.status).toBe(200);
    const id = open.json.id;
    const step = async (name: string, body: unknown = {}) => {
      const r = await api('POST', `/api/sessions/${id}/${name}`, body);
      expect([name, r.status, r.json.error]).toEqual([name, 200, undefined]);
      return r.json.result;
    };
    await step('initialize-for-backup');
    await step('set-backup-state', { selectComponents: true, backupType: 'full' });
    const metadata = await step('gather-writer-metadata');
    expect(metadata.map((w: any) => w.name)).toContain('SqlServerWriter');
    await step('add-component', { writerId: W.sql.id, type: 'database', logicalPath: 'FILESRV01', name: 'Sales' });
    const { snapshotSetId } = await step('start-snapshot-set');
    const { snapshotId } = await step('add-to-snapshot-set', { volume: 'D:' });
    await step('prepare-for-backup');
    const made = await step('do-snapshot-set');
    expect(made).toMatchObject([{ id: snapshotId, setId: snapshotSetId, autoRelease: true, persistent: false }]);
    expect(await scmpSnapshots('D:\\')).toContainEqual({ id: snapshotId, setId: snapshotSetId });
    await step('set-backup-succeeded', { component: { writerId: W.sql.id, type: 'database', logicalPath: 'FILESRV01', name: 'Sales' }, succeeded: true });
    await step('backup-complete');
    await step('save-document', { name: 'nightly' });
    const shown = await api('GET', `/api/sessions/${id}`);
    expect(shown.json.phase).toBe('completed');
    expect(shown.json.document.writers[0].components[0]).toMatchObject({ name: 'Sales', backupSucceeded: true, backupStamp: 'LSN:00000041:00000150:0001' });
    const released = await api('DELETE', `/api/sessions/${id}`);
    expect(released.json.deleted).toEqual([snapshotId]);
    expect((await scmpSnapshots('D:\\')).map((s) => s.id)).not.toContain(snapshotId);
    // The saved document outlives the session and starts a restore.
    const doc = await api('GET', '/api/documents/nightly');
    expect(doc.json.xml).toMatch(/^<\?xml version="1.0"\?>\n<BACKUP_COMPONENTS/);
    const r = (await api('POST', '/api/sessions', {})).json.id;
    expect((await api('POST', `/api/sessions/${r}/initialize-for-restore`, { document: 'nightly' })).status).toBe(200);
    expect((await api('GET', `/api/sessions/${r}`)).json.mode).toBe('restore');
    await api('DELETE', `/api/sessions/${r}`);
    expect((await api('DELETE', '/api/documents/nightly')).status).toBe(200);
  });

  test('vssadmin create shadow and delete shadows, and shadow storage, are what the next MS-SCMP call sees', async () => {
    const made = await api('POST', '/api/shadows', { for: 'C:' });
    expect(made.json).toMatchObject({ attributes: 0x2001d, persistent: true, autoRelease: false });
    expect((await scmpSnapshots('C:\\')).map((s) => s.id)).toContain(made.json.id);
    // vssadmin deletes only client-accessible copies: Monday night's backup copy is "not found".
    const backupCopy = emulated.store.snapshots().find((x) => x.attributes === 0x20009)!;
    expect((await api('POST', '/api/shadows/delete', { shadow: backupCopy.id })).status).toBe(404);
    const before = emulated.store.snapshotsByVolume('C:', VSS_SYSTEM_PROVIDER_ID).length;
    const oldest = await api('POST', '/api/shadows/delete', { for: 'C:', oldest: true });
    expect(oldest.json.deleted.map((s: any) => s.id)).toEqual([made.json.id]);
    expect(emulated.store.snapshotsByVolume('C:', VSS_SYSTEM_PROVIDER_ID).length).toBe(before - 1);
    const again = await api('POST', '/api/shadows', { for: 'C:' });
    made.json.id = again.json.id;
    const gone = await api('POST', '/api/shadows/delete', { shadow: made.json.id });
    expect(gone.json.deleted.map((s: any) => s.id)).toEqual([made.json.id]);
    expect((await scmpSnapshots('C:\\')).map((s) => s.id)).not.toContain(made.json.id);
    const storage = await api('POST', '/api/shadowstorage', { for: 'C:\\mnt\\archive', on: 'D:', maxSize: '1073741824' });
    expect(storage.json).toMatchObject({ maximumBytes: '1073741824' });
    const resized = await api('POST', '/api/shadowstorage/resize', { for: 'C:\\mnt\\archive', on: 'D:', maxSize: 'UNBOUNDED' });
    expect(resized.json.deleted).toEqual([]);
    expect(emulated.store.diffAreasForVolume('C:\\mnt\\archive')[0]!.maximumBytes).toBe(-1n);
    expect((await api('POST', '/api/shadowstorage/delete', { for: 'C:\\mnt\\archive', on: 'D:' })).status).toBe(200);
    expect(emulated.store.diffAreasForVolume('C:\\mnt\\archive')).toEqual([]);
  });

  test('a simulated reboot drops sessions and non-persistent shadow copies', async () => {
    const s = emulated.openSession();
    s.initializeForBackup();
    s.setContext(0x10);
    s.startSnapshotSet();
    s.addToSnapshotSet('D:');
    const [copy] = s.doSnapshotSet();
    const persistent = emulated.createShadow('D:');
    const r = await api('POST', '/api/reboot', {});
    expect(r.json.sessions).toEqual([]);
    const ids = (await scmpSnapshots('D:\\')).map((x) => x.id);
    expect(ids).toContain(persistent.id);
    expect(ids).not.toContain(copy!.id);
    emulated.deleteShadows(undefined, { shadow: persistent.id });
  });
});

describe('scmp admin', () => {
  test('commands map onto the API, vssadmin’s /for= form too', () => {
    expect(requestFor(['create', 'shadow', '/for=C:'])).toMatchObject({ method: 'POST', path: '/api/shadows', body: { for: 'C:' } });
    expect(requestFor(['delete', 'shadows', '--for', 'D:', '--oldest'])).toMatchObject({ path: '/api/shadows/delete', body: { for: 'D:', oldest: true } });
    expect(requestFor(['add', 'shadowstorage', '/for=C:', '/on=D:', '/maxsize=UNBOUNDED'])).toMatchObject({ body: { for: 'C:', on: 'D:', maxSize: '-1' } });
    expect(requestFor(['add', 'shadowstorage', '/for=C:', '/on=D:', '/maxsize=1.5GB'])).toMatchObject({ body: { maxSize: String(1.5 * 1024 ** 3) } });
    expect(requestFor(['resize', 'shadowstorage', '/for=C:', '/on=D:', '/maxsize=20%'])).toMatchObject({ body: { maxSize: '20%' } });
    expect(requestFor(['delete', 'shadows', '/all'])).toMatchObject({ body: { all: true } });
    expect(() => requestFor(['add', 'shadowstorage', '/for=C:', '/on=D:', '/maxsize=lots'])).toThrow(/--maxsize: "lots" is not a size/);
    expect(() => requestFor(['delete', 'shadows', '/oldest'])).toThrow(/--oldest needs --for/);
    expect(() => requestFor(['delete', 'shadows', '/all', '/oldest', '/for=D:'])).toThrow(/give one of/);
    expect(requestFor(['session', 'step', 'abc', 'set-context', '{"context":16}'])).toMatchObject({ method: 'POST', path: '/api/sessions/abc/set-context', body: { context: 16 } });
    expect(() => requestFor(['create', 'shadow'])).toThrow(/--for is required/);
    expect(() => requestFor(['frob'])).toThrow(/unknown command/);
  });

  test('runs against a server: prints what vssadmin prints, exits 1 with the HRESULT on a refusal, 3 for a bad token, 2 on a usage error', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const w = (a: string[]) => ({ write: (s: string) => (a.push(s), true) }) as unknown as NodeJS.WriteStream;
    const env = { SCMP_ADMIN_URL: admin.url, SCMP_ADMIN_TOKEN: TOKEN };
    expect(await scmpMain(['admin', 'create', 'shadow', '/for=D:'], env, w(out), w(err))).toBe(0);
    const m = /Successfully created shadow copy for 'D:\\'\n {4}Shadow Copy ID: \{([0-9a-f-]{36})\}\n {4}Shadow Copy Volume Name: \\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy\d+\n/.exec(out.join(''));
    expect(m, out.join('')).toBeTruthy();
    out.length = 0;
    expect(await scmpMain(['admin', 'delete', 'shadows', `/shadow=${m![1]}`, '/quiet'], env, w(out), w(err))).toBe(0);
    expect(out.join('')).toBe('Successfully deleted 1 shadow copies.\n');
    expect(await scmpMain(['admin', 'create', 'shadow', '--for', 'F:'], env, w(out), w(err))).toBe(1);
    expect(err.join('')).toMatch(/refused \(409\): .*\[VSS_E_VOLUME_NOT_SUPPORTED 0x8004230c\]/);
    expect(await scmpMain(['admin', 'host'], { ...env, SCMP_ADMIN_TOKEN: 'nope-nope-nope-nope' }, w(out), w(err))).toBe(3);
    expect(err.join('')).toMatch(/401/);
    expect(await scmpMain(['admin', 'create'], env, w(out), w(err))).toBe(2);
    out.length = 0;
    expect(await scmpMain(['admin', '--json', 'host'], env, w(out), w(err))).toBe(0);
    expect(JSON.parse(out.join('')).host.fqdn).toBe('filesrv01.lab.local');
  });
});
