/**
 * The admin API's fault routes in process: every change is one audit line naming the route,
 * and what the API shows is what the engine holds.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { AdminClient } from '../../src/admin/client.js';
import { startAdminServer, type AdminServer } from '../../src/admin/http.js';
import { createLogger } from '../../src/log.js';
import { defaultHostModel } from '../../src/store/default-host.js';
import { EmulatedHost } from '../../src/store/emulated-host.js';

const TOKEN = 'faults-admin-token-0123456789';
const lines: Array<Record<string, any>> = [];
const host = new EmulatedHost(defaultHostModel());
let admin: AdminServer;
let api: AdminClient;

beforeAll(async () => {
  admin = await startAdminServer({ host, token: TOKEN, port: 0, log: createLogger('info', (l) => lines.push(JSON.parse(l))) });
  api = new AdminClient(admin.url, TOKEN);
});
afterAll(() => admin.close());

const audits = () => lines.filter((l) => l.audit === 'admin');

test('add, list, delete one, clear: each change one audit line; the engine holds what the API shows', async () => {
  const rule = { interface: 'ivsssnapshotmgmt', method: 'querysnapshotsbyvolume', args: { pwszVolumeName: 'C:' }, action: 'hresult', status: '0x80042306', count: 1 };
  const added = await api.ok('POST', '/api/faults', rule);
  // Names as the IDL spells them, the status by name.
  expect(added).toEqual({ id: expect.any(Number), interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', args: { pwszVolumeName: 'C:' }, action: 'hresult', status: 'VSS_E_PROVIDER_VETO', count: 1, fired: 0, spent: false });
  expect(audits().at(-1)).toMatchObject({ method: 'POST', route: '/api/faults', outcome: 'done', change: { body: rule }, result: { id: added.id } });
  expect(host.faults.match('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', { pwszVolumeName: 'c:\\' })?.rule.id).toBe(added.id);
  expect(await api.ok('GET', '/api/faults')).toEqual([{ ...added, fired: 1, spent: true }]);
  const second = await api.ok('POST', '/api/faults', { interface: 'IObjectExporter', method: 'ServerAlive2', action: 'drop' });
  await api.ok('DELETE', `/api/faults/${added.id}`);
  expect(audits().at(-1)).toMatchObject({ method: 'DELETE', route: '/api/faults/:id', outcome: 'done', change: { params: [String(added.id)] } });
  expect((await api.request('DELETE', `/api/faults/${added.id}`)).status).toBe(404);
  expect(audits().at(-1)).toMatchObject({ route: '/api/faults/:id', outcome: 'not found' });
  expect(await api.ok('DELETE', '/api/faults')).toEqual({ cleared: 1 });
  expect(audits().at(-1)).toMatchObject({ method: 'DELETE', route: '/api/faults', outcome: 'done' });
  expect(host.faults.list()).toEqual([]);
  void second;
});

test('a bad rule: 400 naming the field, audited as a bad request; nothing added', async () => {
  const r = await api.request('POST', '/api/faults', { interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', action: 'fault' });
  expect(r.status).toBe(400);
  expect(r.body).toEqual({ error: { field: 'status', message: expect.stringMatching(/^status: is required/) } });
  expect(audits().at(-1)).toMatchObject({ route: '/api/faults', status: 400 });
  expect(host.faults.list()).toEqual([]);
});

test('the limits are settings of the host: maxRules, maxDelayMs', async () => {
  const small = new EmulatedHost(defaultHostModel(), { faults: { maxRules: 1, maxDelayMs: 100 } });
  const a = await startAdminServer({ host: small, token: TOKEN, port: 0, log: createLogger('error', () => {}) });
  try {
    const c = new AdminClient(a.url, TOKEN);
    const slow = await c.request('POST', '/api/faults', { interface: 'IVssEnumObject', method: 'Next', action: 'delay', ms: 101 });
    expect(slow.status).toBe(400);
    expect((slow.body as { error: { field: string; message: string } }).error).toMatchObject({ field: 'ms', message: expect.stringContaining('maxDelayMs') });
    expect((await c.request('POST', '/api/faults', { interface: 'IVssEnumObject', method: 'Next', action: 'delay', ms: 100 })).status).toBe(200);
    const more = await c.request('POST', '/api/faults', { interface: 'IVssEnumObject', method: 'Next', action: 'hang' });
    expect(more.status).toBe(400);
    expect((more.body as { error: { message: string } }).error.message).toContain('maxRules');
  } finally {
    await a.close();
  }
});
