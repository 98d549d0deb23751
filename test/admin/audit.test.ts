/**
 * Every change made through the admin API is one audit log line, as every authentication
 * is: the route, the outcome, and the change (parameters, body with long strings shortened,
 * what was made or deleted). Reads are not logged; a wrong token is, whatever the method.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { AdminClient } from '../../src/admin/client.js';
import { startAdminServer, type AdminServer } from '../../src/admin/http.js';
import { createLogger } from '../../src/log.js';
import { defaultHostModel } from '../../src/store/default-host.js';
import { EmulatedHost } from '../../src/store/emulated-host.js';

const TOKEN = 'audit-test-token-0123456789';
const lines: Array<Record<string, any>> = [];
let admin: AdminServer;
let api: AdminClient;

beforeAll(async () => {
  const log = createLogger('info', (l) => lines.push(JSON.parse(l)));
  admin = await startAdminServer({ host: new EmulatedHost(defaultHostModel()), token: TOKEN, port: 0, log });
  api = new AdminClient(admin.url, TOKEN);
});
afterAll(() => admin.close());

/** The audit lines written by one request. */
async function audited(f: () => Promise<unknown>): Promise<Array<Record<string, any>>> {
  const before = lines.length;
  await f();
  return lines.slice(before).filter((l) => l.audit === 'admin');
}

test('a change that succeeds: route, outcome and what it made', async () => {
  let id = '';
  const [line, ...more] = await audited(async () => (id = (await api.ok('POST', '/api/shadows', { for: 'D:' })).id));
  expect(more).toEqual([]);
  expect(line).toMatchObject({ level: 'info', msg: 'admin change', audit: 'admin', method: 'POST', path: '/api/shadows', route: '/api/shadows', status: 200, outcome: 'done', change: { body: { for: 'D:' } }, result: { id } });
  expect(line!.client).toMatch(/127\.0\.0\.1/);
  const [deleted] = await audited(() => api.ok('POST', '/api/shadows/delete', { shadow: id }));
  expect(deleted).toMatchObject({ route: '/api/shadows/delete', outcome: 'done', change: { body: { shadow: id } }, result: { deleted: [id] } });
});

test('a refused change: the HRESULT and the reason, at warn', async () => {
  const [line] = await audited(() => api.request('POST', '/api/shadows', { for: 'F:' }));
  expect(line).toMatchObject({ level: 'warn', route: '/api/shadows', status: 409, outcome: 'refused', hresult: '0x8004230c', hresultName: 'VSS_E_VOLUME_NOT_SUPPORTED', change: { body: { for: 'F:' } } });
  const [bad] = await audited(() => api.request('POST', '/api/shadowstorage/resize', { for: 'D:', on: 'C:\\mnt\\archive', maxSize: 'lots' }));
  expect(bad).toMatchObject({ status: 400, outcome: 'bad request', field: 'maxSize' });
});

test('session steps name the route, the session and the step; a document is logged by its size, not its text', async () => {
  const session = await api.ok('POST', '/api/sessions');
  const [step] = await audited(() => api.ok('POST', `/api/sessions/${session.id}/initialize-for-backup`));
  expect(step).toMatchObject({ route: '/api/sessions/:id/:step', change: { params: [session.id, 'initialize-for-backup'] }, result: { session: { id: session.id } } });
  const xml = `<?xml version="1.0"?>\n<BACKUP_COMPONENTS xmlns="x-schema:#VssComponentMetadata" version="1.2" bootableSystemStateBackup="no" selectComponents="yes" backupType="full" partialFileSupport="no"/>\n`;
  const [put] = await audited(() => api.ok('PUT', '/api/documents/nightly', { xml }));
  expect(put).toMatchObject({ method: 'PUT', route: '/api/documents/:name', change: { params: ['nightly'], body: { xml: `<${xml.length} characters>` } }, result: { name: 'nightly' } });
  const [released] = await audited(() => api.ok('DELETE', `/api/sessions/${session.id}`));
  expect(released).toMatchObject({ method: 'DELETE', route: '/api/sessions/:id', outcome: 'done', result: { deleted: [] } });
  const [reboot] = await audited(() => api.ok('POST', '/api/reboot'));
  expect(reboot).toMatchObject({ route: '/api/reboot', outcome: 'done' });
});

test('reads leave no line; a wrong token does, whatever the method', async () => {
  expect(await audited(() => api.ok('GET', '/api/host'))).toEqual([]);
  const [line] = await audited(() => new AdminClient(admin.url, 'not-the-token-0123456789').request('GET', '/api/host'));
  expect(line).toMatchObject({ level: 'warn', status: 401, outcome: 'unauthenticated', method: 'GET', path: '/api/host' });
  expect(line!.change).toBeUndefined();
});
